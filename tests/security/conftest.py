"""Fixtures of the security tests: a service account whose token comes from a local fake OAuth server."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

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
def service_account(stack: LocalStack, token_server: ThreadingHTTPServer) -> Iterator[ServiceAccount]:
    """Connection ``gcp_with_secrets``: a real service-account key, tokens from the fake OAuth server,
    Vertex AI at the emulator (Cloud Storage at fake-gcs-server through ``STORAGE_EMULATOR_HOST``)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    host, port = token_server.server_address[:2]
    keyfile = {
        "type": "service_account",
        "project_id": LOCAL_PROJECT,
        "private_key_id": PRIVATE_KEY_ID,
        "private_key": pem,
        "client_email": "batch@local-project.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": f"http://{host}:{port}/token",
    }
    extra = {"project": LOCAL_PROJECT, "keyfile_dict": json.dumps(keyfile), "vertex_ai_endpoint": stack.vertex_url,
             "endpoint_allow_list": [urlsplit(stack.vertex_url).netloc]}  # real credentials go to Google's only
    variable = f"AIRFLOW_CONN_{CONN_ID.upper()}"
    os.environ[variable] = json.dumps({"conn_type": "google_cloud_platform", "extra": extra})
    yield ServiceAccount(CONN_ID, pem, token_server.requests)  # type: ignore[attr-defined]
    os.environ.pop(variable, None)
