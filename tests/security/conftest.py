"""Fixtures of the security tests: a service account whose token comes from a local fake OAuth server, and an
attacker's server on loopback that records every request and the token it carried."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import os
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from gemini_batch_local.local_stack import LOCAL_PROJECT, LOOPBACK, LocalStack

#: The access token the fake OAuth server hands out; it must never be written anywhere.
ACCESS_TOKEN = "secret-token-123"
PRIVATE_KEY_ID = "secret-key-id-456"
CONN_ID = "gcp_with_secrets"


@dataclass
class ServiceAccount:
    """A service-account connection: the secrets it holds, and how many tokens were handed out."""

    conn_id: str
    private_key_pem: str
    token_requests: list[str]

    def secrets(self) -> list[str]:
        """Strings that must appear in no log, XCom, trigger argument or manifest."""
        body = [line for line in self.private_key_pem.splitlines() if line and not line.startswith("-----")]
        return [ACCESS_TOKEN, PRIVATE_KEY_ID, "PRIVATE KEY", body[1], body[-2]]


class _TokenHandler(BaseHTTPRequestHandler):
    """OAuth2 token endpoint: answers every assertion with :data:`ACCESS_TOKEN`."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.server.requests.append(self.rfile.read(length).decode())  # type: ignore[attr-defined]
        body = json.dumps({"access_token": ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="session")
def token_server() -> Iterator[ThreadingHTTPServer]:
    """A fake OAuth token endpoint on loopback."""
    server = ThreadingHTTPServer((LOOPBACK, 0), _TokenHandler)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def service_account_key(token_server: ThreadingHTTPServer) -> dict[str, str]:
    """A real service-account key file (as a dict) whose tokens come from the fake OAuth server."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    host, port = token_server.server_address[:2]
    return {
        "type": "service_account",
        "project_id": LOCAL_PROJECT,
        "private_key_id": PRIVATE_KEY_ID,
        "private_key": pem,
        "client_email": "batch@local-project.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": f"http://{host}:{port}/token",
    }


@contextlib.contextmanager
def env_connection(conn_id: str, extra: dict[str, Any]) -> Iterator[str]:
    """Connection ``conn_id`` (``google_cloud_platform``, with ``extra``) as an env-var connection, while inside."""
    variable = f"AIRFLOW_CONN_{conn_id.upper()}"
    os.environ[variable] = json.dumps({"conn_type": "google_cloud_platform", "extra": extra})
    try:
        yield conn_id
    finally:
        os.environ.pop(variable, None)


@pytest.fixture(scope="session")
def service_account(stack: LocalStack, service_account_key: dict[str, str],
                    token_server: ThreadingHTTPServer) -> Iterator[ServiceAccount]:
    """Connection ``gcp_with_secrets``: a real service-account key, tokens from the fake OAuth server,
    Vertex AI at the emulator (Cloud Storage at fake-gcs-server through ``STORAGE_EMULATOR_HOST``); the
    emulator is on the connection's ``endpoint_allow_list``, as real credentials go to Google's only."""
    extra = {"project": LOCAL_PROJECT, "keyfile_dict": json.dumps(service_account_key),
             "vertex_ai_endpoint": stack.vertex_url, "endpoint_allow_list": [urlsplit(stack.vertex_url).netloc]}
    with env_connection(CONN_ID, extra):
        yield ServiceAccount(CONN_ID, service_account_key["private_key"], token_server.requests)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Seen:
    """One request the attacker's server received."""

    method: str
    path: str
    authorization: str | None


def planted_job() -> dict[str, Any]:
    """What the attacker's server answers: a finished job whose output is the attacker's."""
    return {
        "name": f"projects/{LOCAL_PROJECT}/locations/us-central1/batchPredictionJobs/1",
        "state": "JOB_STATE_SUCCEEDED",
        "outputInfo": {"gcsOutputDirectory": "gs://attacker-bucket/planted"},
        "completionStats": {"successfulCount": "1"},
    }


class _AttackerHandler(BaseHTTPRequestHandler):
    """Records every request and answers it with the server's ``job`` (a list of it, to a list call)."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length", 0) or 0)
        self.rfile.read(length)
        self.server.seen.append(Seen(self.command, self.path, self.headers.get("Authorization")))  # type: ignore[attr-defined]
        job = self.server.job  # type: ignore[attr-defined]
        listed = self.command == "GET" and self.path.split("?")[0].endswith("/batchPredictionJobs")
        body = json.dumps({"batchPredictionJobs": [job]} if listed else job).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@dataclass
class Attacker:
    """An attacker's HTTP server on loopback, over plain HTTP or TLS, that records what reaches it.

    :param netloc: ``127.0.0.1:PORT``.
    :param seen: the requests it received.
    :param job: what it answers (:func:`planted_job`; change it to answer otherwise).
    """

    netloc: str
    seen: list[Seen]
    job: dict[str, Any]

    @property
    def tokens(self) -> list[str]:
        """The ``Authorization`` headers it was sent."""
        return [request.authorization for request in self.seen if request.authorization]


def _serve(server: ThreadingHTTPServer) -> Iterator[Attacker]:
    server.seen = []  # type: ignore[attr-defined]
    server.job = planted_job()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Attacker(f"{LOOPBACK}:{server.server_address[1]}", server.seen, server.job)  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LOOPBACK)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "attacker.pem", folder / "attacker.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def attacker() -> Iterator[Attacker]:
    """The attacker's plain-HTTP server on 127.0.0.1."""
    yield from _serve(ThreadingHTTPServer((LOOPBACK, 0), _AttackerHandler))


@pytest.fixture
def tls_attacker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Attacker]:
    """The attacker's HTTPS server on 127.0.0.1, with a certificate the worker trusts (``REQUESTS_CA_BUNDLE``):
    an attacker with a valid certificate for a host of their own, where a request may land once a name
    changes the host of ``https://{location}-aiplatform.googleapis.com``."""
    cert_path, key_path = _self_signed(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_path))
    server = ThreadingHTTPServer((LOOPBACK, 0), _AttackerHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from _serve(server)
