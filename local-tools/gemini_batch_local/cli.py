"""``gemini-batch-local -- COMMAND``: run a command, typically ``airflow dags test``, against the local stack.

Starts fake-gcs-server and the Vertex AI batch emulator on loopback (:mod:`gemini_batch_local.local_stack`),
creates the ``--bucket`` buckets, runs ``COMMAND`` with Airflow pointed at both, and stops them again,
also on an error, Ctrl-C or SIGTERM. ``COMMAND``'s environment is the caller's plus:

- ``STORAGE_EMULATOR_HOST`` (fake-gcs-server) and ``AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT``: the
  connection the operators use by default, anonymous, with ``vertex_ai_endpoint`` the emulator;
- ``AIRFLOW__CORE__LOAD_EXAMPLES=False``, ``AIRFLOW__CORE__UNIT_TEST_MODE=False``, ``NO_PROXY=*``;
- ``PATH`` starting with this Python's scripts folder, so that ``airflow`` is the one installed
  beside the local tools.

Airflow's home and DAGs folder follow one rule (:func:`airflow_places`): the caller's ``AIRFLOW_HOME``
is used as it is (its configuration and metadata database; migrate that once with ``airflow db
migrate``), otherwise a temporary home whose SQLite database is migrated before ``COMMAND`` and
deleted afterwards. The DAGs folder is ``--dags-folder`` if given, else the caller's
``AIRFLOW__CORE__DAGS_FOLDER`` or own home's configuration, else ``./dags``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gemini_batch_local.local_stack import running_stack

PROG = "gemini-batch-local"


@dataclass(frozen=True)
class AirflowPlaces:
    """Where ``COMMAND``'s Airflow keeps its home and finds DAGs.

    :param home: ``AIRFLOW_HOME`` to set, or ``None`` to keep the caller's.
    :param dags_folder: ``AIRFLOW__CORE__DAGS_FOLDER`` to set, or ``None`` to keep the caller's setting.
    """

    home: Path | None
    dags_folder: Path | None

    @property
    def temporary_home(self) -> bool:
        """Whether the home is the command's own (then its metadata database is migrated first)."""
        return self.home is not None


def airflow_places(environ: Mapping[str, str], dags_folder: Path | None, temporary_home: Path) -> AirflowPlaces:
    """Apply the rule of the module docstring to the caller's environment and ``--dags-folder``."""
    own_home = bool(environ.get("AIRFLOW_HOME"))
    if dags_folder is None and not own_home and not environ.get("AIRFLOW__CORE__DAGS_FOLDER"):
        dags_folder = Path("dags")
    return AirflowPlaces(
        home=None if own_home else temporary_home,
        dags_folder=dags_folder.resolve() if dags_folder is not None else None,
    )


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``gemini-batch-local``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Start fake-gcs-server and the Vertex AI batch emulator on loopback, run COMMAND with "
        "Airflow's google_cloud_default connection and STORAGE_EMULATOR_HOST pointed at them, then stop both.",
        epilog="AIRFLOW_HOME: yours if set, else a temporary one with a migrated SQLite database. DAGs folder: "
        "--dags-folder, else your AIRFLOW__CORE__DAGS_FOLDER or home's configuration, else ./dags.",
    )
    parser.add_argument("--bucket", action="append", default=[], help="bucket to create (repeatable)")
    parser.add_argument("--dags-folder", type=Path, default=None, help="the DAGs folder COMMAND's Airflow reads")
    parser.add_argument("--emulator-arg", action="append", default=[], help="extra emulator flag (repeatable)")
    parser.add_argument("--log-dir", default=None, help="folder for the servers' logs")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")
    return parser


def _migrate(env: Mapping[str, str], log_path: Path) -> int:
    """``airflow db migrate`` of a temporary home; prints the log's tail if it fails."""
    with log_path.open("w") as log:
        result = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, stdout=log,
                                stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        print(log_path.read_text(errors="replace")[-4000:], file=sys.stderr)
        print(f"{PROG}: airflow db migrate failed (exit {result.returncode}); log: {log_path}", file=sys.stderr)
    return result.returncode


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``gemini-batch-local [options] -- COMMAND``; returns COMMAND's exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run after --")
    with (
        tempfile.TemporaryDirectory(prefix="gemini-batch-airflow-home-") as scratch,
        running_stack(emulator_args=args.emulator_arg, buckets=args.bucket, log_dir=args.log_dir) as stack,
    ):
        places = airflow_places(os.environ, args.dags_folder, Path(scratch))
        env = {
            **os.environ,
            **stack.airflow_env(places.home, places.dags_folder),
            "PATH": os.pathsep.join([sysconfig.get_path("scripts"), os.environ.get("PATH", "")]),
        }
        print(f"Cloud Storage (fake-gcs-server): {stack.gcs_url}", flush=True)
        print(f"Vertex AI batch emulator:        {stack.vertex_url}", flush=True)
        print(f"AIRFLOW_HOME:                    {env['AIRFLOW_HOME']}"
              f"{' (temporary)' if places.temporary_home else ''}", flush=True)
        try:
            if places.temporary_home and (code := _migrate(env, stack.log_dir / "airflow-db-migrate.log")):
                return code
            return subprocess.call(command, env=env)
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":
    sys.exit(main())
