"""``make demo``: run ``gemini_batch_example`` end to end on the local stack and print the results.

Starts fake-gcs-server and the Vertex AI batch emulator on loopback, runs ``airflow dags test
gemini_batch_example`` on the DAG's default input (the sample shipped with the package: good requests
plus requests the service rejects), and prints where the success and failure files are and how many
rows each holds. Exits non-zero if the run failed or if the rows do not add up to the input.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import airflow_batch_gemini
from airflow_batch_gemini.example_dags.gemini_batch_settings import DEFAULT_INPUT, SAMPLE_FOLDER, run_folder
from airflow_batch_gemini.uris import parse_gs_uri
from gemini_batch_local.emulator.request_checks import refusal
from gemini_batch_local.local_stack import running_stack

DEMO_BUCKET = "gemini-batch-demo"
#: The provider's example DAGs, which ship in its wheel.
EXAMPLE_DAGS = Path(airflow_batch_gemini.__file__).resolve().parent / "example_dags"
LOGICAL_DATE = "2026-01-01"
#: The example DAG's default input, shipped with the package.
SAMPLE_INPUT = SAMPLE_FOLDER / DEFAULT_INPUT


def sample_lines() -> list[dict[str, object]]:
    """The demo input, the example DAG's default: answerable requests plus requests the service rejects row by
    row."""
    return [json.loads(line) for line in SAMPLE_INPUT.read_text("utf-8").splitlines()]


def rejected_count(lines: Sequence[dict[str, object]]) -> int:
    """How many of ``lines`` the service (the emulator's rules) fails row by row."""
    return sum(refusal(line["request"]) is not None for line in lines)


def _count_lines(uri: str) -> int:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(project="local-project", credentials=AnonymousCredentials())
    bucket, name = parse_gs_uri(uri)
    blob = client.bucket(bucket).blob(name)
    if not blob.exists():
        return 0
    return sum(1 for line in blob.download_as_bytes().splitlines() if line.strip())


def _latest_run_id(airflow: list[str], env: dict[str, str]) -> str:
    """The run id of the demo's run (the one run of its fresh Airflow home), from ``airflow dags list-runs``."""
    listed = subprocess.run([*airflow, "dags", "list-runs", "gemini_batch_example", "-o", "json"], env=env,
                            capture_output=True, text=True, check=True).stdout
    runs = json.loads(next(line for line in listed.splitlines() if line.startswith("[")))
    return str(runs[0]["run_id"])


def run(work_dir: Path, dags_folder: Path) -> int:
    """Run the demo; returns the process exit code."""
    work_dir.mkdir(parents=True, exist_ok=True)
    airflow_home = work_dir / "airflow-home"
    shutil.rmtree(airflow_home, ignore_errors=True)
    with running_stack(buckets=[DEMO_BUCKET], log_dir=work_dir) as stack:
        env = {**os.environ, **stack.airflow_env(airflow_home, dags_folder), "GEMINI_BATCH_POLL_INTERVAL": "1",
               "GEMINI_BATCH_BUCKET": DEMO_BUCKET, "GEMINI_BATCH_INPUT_DIR": str(SAMPLE_FOLDER)}
        lines = sample_lines()
        rows, rejected = len(lines), rejected_count(lines)
        print(f"Input: the example DAG's default, {SAMPLE_INPUT}: {rows} requests "
              f"({rejected} of them the service will reject)")
        airflow = [sys.executable, "-m", "airflow"]
        log_path = work_dir / "dags-test.log"
        with log_path.open("w") as log:
            subprocess.run([*airflow, "db", "migrate"], env=env, stdout=log, stderr=log, check=True)
            print(f"Running: airflow dags test gemini_batch_example {LOGICAL_DATE}  (log: {log_path})", flush=True)
            result = subprocess.run(
                [*airflow, "dags", "test", "gemini_batch_example", LOGICAL_DATE],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        if result.returncode != 0:
            print(log_path.read_text()[-6000:])
            print(f"The DAG run failed (exit {result.returncode}); full log in {log_path}")
            return 1
        run_id = _latest_run_id(airflow, env)
        results = f"gs://{DEMO_BUCKET}/gemini-batch/{run_folder(run_id)}/results"
        print(f"Run {run_id} (logical date {LOGICAL_DATE}) wrote its files under {results.rsplit('/', 1)[0]}/")
        succeeded = _count_lines(f"{results}/succeeded.jsonl")
        failed = _count_lines(f"{results}/failed.jsonl")
        print(f"Succeeded rows: {succeeded:4d}  in {results}/succeeded.jsonl")
        print(f"Failed rows:    {failed:4d}  in {results}/failed.jsonl")
        print(f"Input rows:     {rows:4d}  -> {'all accounted for' if succeeded + failed == rows else 'MISMATCH'}")
        return 0 if (succeeded, failed) == (rows - rejected, rejected) else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gemini_batch_local.demo", description=__doc__)
    parser.add_argument("--work-dir", type=Path, default=Path("test-output/demo"), help="logs and Airflow home")
    parser.add_argument("--dags-folder", type=Path, default=EXAMPLE_DAGS,
                        help="folder holding the example DAG")
    args = parser.parse_args(argv)
    return run(args.work_dir.resolve(), args.dags_folder.resolve())


if __name__ == "__main__":
    sys.exit(main())
