"""``make demo``: run ``gemini_batch_example`` end to end on the local stack and print the results.

Starts fake-gcs-server and the Vertex AI batch emulator on loopback, seeds a sample input (good
requests plus requests the service rejects), runs ``airflow dags test gemini_batch_example``, and
prints where the success and failure files are and how many rows each holds. Exits non-zero if
the run failed or if the rows do not add up to the input.
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
from airflow_batch_gemini.uris import parse_gs_uri
from gemini_batch_local.local_stack import running_stack

DEMO_BUCKET = "gemini-batch-demo"
#: The provider's example DAGs, which ship in its wheel.
EXAMPLE_DAGS = Path(airflow_batch_gemini.__file__).resolve().parent / "example_dags"
LOGICAL_DATE = "2026-01-01"
_PROMPTS = [
    "Explain how AI works in a few words",
    "Name three uses of batch prediction",
    "Summarise the plot of Hamlet in one sentence",
    "What is the capital of Australia?",
    "Translate 'good morning' into French",
    "Give a haiku about Cloud Storage",
    "List two benefits of idempotent retries",
    "Why do deferrable operators free worker slots?",
]
#: maxOutputTokens beyond what the model supports: valid JSON, rejected per row by the service.
_REJECTED_MAX_TOKENS = [100_000, 70_000]


def sample_lines() -> list[dict[str, object]]:
    """The demo input: answerable requests plus requests the service rejects row by row."""
    good: list[dict[str, object]] = [
        {"key": f"q{index:03d}", "request": {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}}
        for index, prompt in enumerate(_PROMPTS)
    ]
    rejected: list[dict[str, object]] = [
        {
            "key": f"q{len(_PROMPTS) + index:03d}",
            "request": {
                "contents": [{"role": "user", "parts": [{"text": "Write a very long essay"}]}],
                "generationConfig": {"maxOutputTokens": tokens},
            },
        }
        for index, tokens in enumerate(_REJECTED_MAX_TOKENS)
    ]
    return good + rejected


def _count_lines(uri: str) -> int:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(project="local-project", credentials=AnonymousCredentials())
    bucket, name = parse_gs_uri(uri)
    blob = client.bucket(bucket).blob(name)
    if not blob.exists():
        return 0
    return sum(1 for line in blob.download_as_bytes().splitlines() if line.strip())


def _seed(path: Path) -> int:
    lines = sample_lines()
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return len(lines)


def run(work_dir: Path, dags_folder: Path) -> int:
    """Run the demo; returns the process exit code."""
    work_dir.mkdir(parents=True, exist_ok=True)
    airflow_home = work_dir / "airflow-home"
    shutil.rmtree(airflow_home, ignore_errors=True)
    with running_stack(buckets=[DEMO_BUCKET], log_dir=work_dir) as stack:
        env = {**os.environ, **stack.airflow_env(airflow_home, dags_folder), "GEMINI_BATCH_POLL_INTERVAL": "1",
               "GEMINI_BATCH_BUCKET": DEMO_BUCKET}
        source = work_dir / "requests.jsonl"
        rows = _seed(source)
        print(f"Seeded {rows} requests ({len(_REJECTED_MAX_TOKENS)} of them the service will reject) in {source}")
        airflow = [sys.executable, "-m", "airflow"]
        log_path = work_dir / "dags-test.log"
        with log_path.open("w") as log:
            subprocess.run([*airflow, "db", "migrate"], env=env, stdout=log, stderr=log, check=True)
            print(f"Running: airflow dags test gemini_batch_example {LOGICAL_DATE}  (log: {log_path})", flush=True)
            result = subprocess.run(
                [*airflow, "dags", "test", "gemini_batch_example", LOGICAL_DATE,
                 "-c", json.dumps({"input_source": str(source)})],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        if result.returncode != 0:
            print(log_path.read_text()[-6000:])
            print(f"The DAG run failed (exit {result.returncode}); full log in {log_path}")
            return 1
        results = f"gs://{DEMO_BUCKET}/gemini-batch/{LOGICAL_DATE}/results"
        succeeded = _count_lines(f"{results}/succeeded.jsonl")
        failed = _count_lines(f"{results}/failed.jsonl")
        print(f"Succeeded rows: {succeeded:4d}  in {results}/succeeded.jsonl")
        print(f"Failed rows:    {failed:4d}  in {results}/failed.jsonl")
        print(f"Input rows:     {rows:4d}  -> {'all accounted for' if succeeded + failed == rows else 'MISMATCH'}")
        return 0 if (succeeded, failed) == (rows - len(_REJECTED_MAX_TOKENS), len(_REJECTED_MAX_TOKENS)) else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gemini_batch_local.demo", description=__doc__)
    parser.add_argument("--work-dir", type=Path, default=Path("test-output/demo"), help="logs and Airflow home")
    parser.add_argument("--dags-folder", type=Path, default=EXAMPLE_DAGS,
                        help="folder holding the example DAG")
    args = parser.parse_args(argv)
    return run(args.work_dir.resolve(), args.dags_folder.resolve())


if __name__ == "__main__":
    sys.exit(main())
