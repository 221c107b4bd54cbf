"""Airflow run like production, on loopback: PostgreSQL, api-server, scheduler, dag-processor, triggerer.

:class:`ProductionStack` extends the local stack (fake-gcs-server + the Vertex AI emulator) with a
PostgreSQL cluster from Debian's packages in a temporary folder and the four long-running Airflow
3 components with the LocalExecutor, each a child process in its own process group, bound to
127.0.0.1. :class:`AirflowApi` talks to the api-server's REST API with a JWT from ``/auth/token``,
as any client of a real deployment does.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests

from gemini_batch_local.local_stack import LOOPBACK, LocalStack, LocalStackError, free_port

T = TypeVar("T")

ADMIN_USER = "admin"
#: The long-running Airflow components, in start order, with the arguments they run with. The
#: compose file must run the same subcommands (``test_compose.py`` checks it against these).
AIRFLOW_COMPONENTS: dict[str, list[str]] = {
    "api-server": ["api-server", "--host", LOOPBACK, "--port", "{api_port}", "--workers", "1"],
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
}
#: The one-off command that creates or upgrades the metadata database (``airflow-init`` in compose).
DB_MIGRATE = ["db", "migrate"]
POSTGRES_USER = "postgres"


def wait_until(probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.25) -> T:
    """Call ``probe`` until it returns something true (not ``None``, ``False`` or empty); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def postgres_bin(program: str) -> str:
    """A PostgreSQL server program (``initdb``, ``postgres``) from Debian's newest installed version."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"), key=lambda p: int(p.split("/")[4]))
    if found:
        return found[-1]
    on_path = shutil.which(program)
    if on_path is None:
        raise LocalStackError(f"no {program}: run .ci/system-deps.sh (Debian package postgresql)")
    return on_path


def as_server_user(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run ``argv`` as the ``postgres`` user."""
    return ["runuser", "-u", POSTGRES_USER, "--", *argv] if os.geteuid() == 0 else argv


class ProductionStack(LocalStack):
    """The local stack plus PostgreSQL and Airflow's api-server, scheduler, dag-processor and triggerer.

    :param dags_folder: the DAGs the dag-processor parses.
    :param log_dir: where every server's log goes (kept after the stack stops).
    :param extra_env: more environment for the Airflow processes (e.g. the example DAG's knobs).
    :param emulator_args: flags for the Vertex AI emulator.
    :param buckets: buckets to create in fake-gcs-server.
    """

    def __init__(
        self,
        dags_folder: Path,
        log_dir: Path,
        extra_env: dict[str, str] | None = None,
        emulator_args: list[str] | None = None,
        buckets: list[str] | None = None,
    ) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        super().__init__(emulator_args=emulator_args or [], buckets=buckets or [], log_dir=log_dir)
        self.dags_folder = dags_folder
        self.extra_env = extra_env or {}
        # a folder the postgres user can enter (pytest's tmp_path is private to root)
        self.root = Path(tempfile.mkdtemp(prefix="gemini-e2e-"))
        self.root.chmod(0o755)
        self.airflow_home = self.root / "airflow-home"
        #: the admin user's and the database's password
        self.password = secrets.token_urlsafe(12)
        self.secret_key = secrets.token_urlsafe(32)
        self.jwt_secret = secrets.token_urlsafe(32)
        self.db_port = 0
        self.api_port = 0
        #: processes found running with this stack's AIRFLOW_HOME after it stopped its own (then killed)
        self.orphans: list[int] = []
        #: every command line this stack ran: its servers and its one-off ``airflow`` commands
        self.commands: list[list[str]] = []

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start everything and wait until the api-server reports every component healthy."""
        try:
            super().start()
            self.start_postgres()
            self.airflow_home.mkdir()
            (self.airflow_home / "passwords.json").write_text(json.dumps({ADMIN_USER: self.password}))
            self.api_port = free_port()
            self.run_airflow(DB_MIGRATE, timeout=300)
            for component in AIRFLOW_COMPONENTS:
                self.start_component(component)
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the Airflow components, then PostgreSQL and the local stack; kill any straggler."""
        for name in reversed(list(self._processes)):
            self.stop_process(name)
        self.orphans = self.stragglers()
        for pid in self.orphans:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        super().stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def stragglers(self) -> list[int]:
        """Processes still running with this stack's ``AIRFLOW_HOME``: children that left our groups."""
        marker = f"AIRFLOW_HOME={self.airflow_home}".encode()
        found = []
        for environ in glob.glob("/proc/[0-9]*/environ"):
            with contextlib.suppress(OSError):
                if marker in Path(environ).read_bytes().split(b"\0"):
                    found.append(int(environ.split("/")[2]))
        return [pid for pid in found if pid != os.getpid()]

    # -- PostgreSQL ------------------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        """SQLAlchemy URL of the metadata database."""
        return f"postgresql+psycopg2://airflow:{self.password}@{LOOPBACK}:{self.db_port}/airflow"

    def start_postgres(self) -> None:
        """``initdb`` a fresh cluster (password auth, loopback only) and start ``postgres`` on a free port."""
        data = self.root / "pgdata"
        password_file = self.root / "pgpass"
        password_file.write_text(self.password + "\n")
        if os.geteuid() == 0:
            user = pwd.getpwnam(POSTGRES_USER)
            os.chown(self.root, user.pw_uid, user.pw_gid)
            os.chown(password_file, user.pw_uid, user.pw_gid)
        subprocess.run(
            as_server_user([postgres_bin("initdb"), "-D", str(data), "-U", "airflow", "-A", "scram-sha-256",
                            f"--pwfile={password_file}", "-E", "UTF8", "--no-sync"]),
            check=True, capture_output=True, timeout=120,
        )
        self.db_port = free_port()
        self._spawn("postgres", as_server_user([
            postgres_bin("postgres"), "-D", str(data), "-h", LOOPBACK, "-p", str(self.db_port),
            "-k", str(self.root), "-c", "fsync=off", "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off", "-c", "max_connections=200",
        ]))
        wait_until(self._create_database, 60, "PostgreSQL to accept connections")

    def _create_database(self) -> bool:
        import psycopg2

        try:
            connection = psycopg2.connect(host=LOOPBACK, port=self.db_port, user="airflow",
                                          password=self.password, dbname="postgres", connect_timeout=2)
        except psycopg2.OperationalError:
            if self._processes["postgres"].poll() is not None:
                raise LocalStackError(f"postgres exited: {self.log_tail('postgres')}") from None
            return False
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("CREATE DATABASE airflow")
        finally:
            connection.close()
        return True

    # -- Airflow ---------------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        """The api-server's root URL (UI, REST API, execution API)."""
        return f"http://{LOOPBACK}:{self.api_port}"

    def airflow_process_env(self) -> dict[str, str]:
        """The environment every Airflow process of this stack runs with (no ``airflow.cfg`` needed)."""
        return {
            **os.environ,
            **self.airflow_env(self.airflow_home, self.dags_folder),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.database_url,
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.airflow_home / "passwords.json"),
            "AIRFLOW__API__BASE_URL": self.api_url,
            "AIRFLOW__API__SECRET_KEY": self.secret_key,
            "AIRFLOW__API_AUTH__JWT_SECRET": self.jwt_secret,
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.log_dir / "tasks"),
            **self.extra_env,
        }

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        self.commands.append(argv)
        return super()._spawn(name, argv, env)

    def run_airflow(self, args: list[str], timeout: float = 120) -> str:
        """Run one ``airflow`` CLI command against this stack; return its output, fail with it on error."""
        argv = [sys.executable, "-m", "airflow", *args]
        self.commands.append(argv)
        result = subprocess.run(argv, env=self.airflow_process_env(), capture_output=True, text=True,
                                timeout=timeout)
        output = result.stdout + result.stderr
        if result.returncode != 0:
            raise LocalStackError(f"airflow {' '.join(args)} exited {result.returncode}:\n{output[-6000:]}")
        return output

    def component_argv(self, component: str) -> list[str]:
        """The command line of one Airflow component."""
        args = [arg.format(api_port=self.api_port) for arg in AIRFLOW_COMPONENTS[component]]
        return [sys.executable, "-m", "airflow", *args]

    def start_component(self, component: str) -> None:
        """Start (or restart) one Airflow component in its own process group."""
        self._spawn(component, self.component_argv(component), env=self.airflow_process_env())

    def stop_component(self, component: str) -> None:
        """Stop one component as an orchestrator would: SIGTERM, then SIGKILL after 10 s."""
        self.stop_process(component)

    def running(self, name: str) -> bool:
        """Whether a server of this stack is running."""
        process = self._processes.get(name)
        return process is not None and process.poll() is None

    def log_tail(self, name: str, chars: int = 3000) -> str:
        """The end of a server's log, for failure messages."""
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def wait_healthy(self, timeout: float = 240) -> None:
        """Wait until ``/api/v2/monitor/health`` reports the database and every component healthy."""

        def healthy() -> bool:
            for component in AIRFLOW_COMPONENTS:
                if not self.running(component):
                    raise LocalStackError(f"airflow {component} exited:\n{self.log_tail(component)}")
            try:
                health = requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=5).json()
            except (requests.RequestException, ValueError):
                return False
            return all(part.get("status") == "healthy" for part in health.values())

        wait_until(healthy, timeout, "every Airflow component to report healthy", interval=1)


class AirflowApi:
    """A REST client of Airflow's public API, authenticated with a JWT from ``POST /auth/token``.

    :param base_url: the api-server's root URL.
    :param username: a user of the simple auth manager.
    :param password: that user's password.
    """

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        response = self.session.post(f"{base_url}/auth/token", json={"username": username, "password": password},
                                     timeout=30)
        response.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, **params: Any) -> Any:
        """One API call under ``/api/v2``; raise with the response body on an error status."""
        response = self.session.request(method, f"{self.base_url}/api/v2/{path}", json=body,
                                        params=params or None, timeout=30)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text[:2000]}")
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        """``GET /api/v2/{path}``."""
        return self.call("GET", path, **params)
