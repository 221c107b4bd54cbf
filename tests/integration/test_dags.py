"""DAG-level tests: real ``airflow dags test`` processes against the local stack.

``airflow dags test`` runs each task through Airflow's task runner and a deferred task's trigger
inline, so these show the operator really defers, the trigger really runs, and a retry of a task
whose worker died after creating the job re-attaches instead of creating another. ``airflow dags test``
always gives a run a logical date; a run without one (Airflow 3's ``logical_date: null``) goes through
the same ``DAG.test`` with ``logical_date=None``, in a process of its own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_batch_gemini.example_dags.gemini_batch_settings import run_folder
from gemini_batch_local.local_stack import LocalStack
from tests.conftest import TEST_BUCKET, request_line
from tests.dag_runs import TEST_DAGS, dags_test, latest_run_id, migrated_home, run_without_logical_date, task_states
from tests.paths import EXAMPLE_DAGS


@pytest.fixture(scope="module")
def airflow_home(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_home(stack, tmp_path_factory.mktemp("airflow-home"))


def test_worker_dying_between_create_and_defer_reattaches(stack, airflow_home, upload_lines, emulator) -> None:
    uri = upload_lines("dags/dies.jsonl", [request_line("one"), request_line("two")])
    creates = emulator.calls("create")
    output = dags_test(stack, airflow_home, TEST_DAGS, "gemini_batch_dies_after_create", {"input_uri": uri})
    assert "simulated worker death between create and defer" in output
    assert "Re-attached to batch job" in output
    assert "Pausing task as DEFERRED" in output, "the retry must defer, not wait in the worker"
    assert "running trigger in line" in output and "JOB_STATE_SUCCEEDED" in output
    assert emulator.calls("create") == creates + 1, "exactly one job for two tries"


def count_rows(gcs_client, uri: str) -> int:
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return sum(1 for line in gcs_client.bucket(bucket).blob(name).download_as_bytes().splitlines() if line)


@pytest.mark.parametrize(
    ("logical_date", "lines", "expected"),
    [
        pytest.param("2026-02-01", "sample", {"succeeded": 8, "failed": 2}, id="successes-and-service-rejects"),
        pytest.param("2026-02-02", "good", {"succeeded": 3, "failed": 0}, id="all-good-skips-failure-branch"),
    ],
)
def test_example_dag_end_to_end(
    stack, airflow_home, emulator, gcs_client, tmp_path, logical_date, lines, expected
) -> None:
    from gemini_batch_local.demo import sample_lines

    rows = sample_lines() if lines == "sample" else [request_line(f"q{i}") for i in range(3)]
    source = tmp_path / "requests.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    creates = emulator.calls("create")
    conf = {"input_source": str(source)}
    output = dags_test(stack, airflow_home, EXAMPLE_DAGS, "gemini_batch_example", conf, logical_date, tmp_path)
    assert "Pausing task as DEFERRED" in output and "running trigger in line" in output
    assert emulator.calls("create") == creates + 1
    results = f"gs://{TEST_BUCKET}/gemini-batch/{run_folder(latest_run_id(airflow_home, 'gemini_batch_example'))}"
    results += "/results"
    counted = {
        "succeeded": count_rows(gcs_client, f"{results}/succeeded.jsonl"),
        "failed": count_rows(gcs_client, f"{results}/failed.jsonl"),
    }
    assert counted == expected and sum(counted.values()) == len(rows)
    states = task_states(airflow_home, "gemini_batch_example")
    assert states["use_successes"] == "success"
    assert states["review_failures"] == ("success" if expected["failed"] else "skipped")


def test_two_runs_of_one_date_have_their_own_files(stack, airflow_home, gcs_client, tmp_path) -> None:
    """Two runs with one logical date (a scheduled run and a manual run of its day, say) and other inputs:
    each run's files are its own, neither refused as "other content" nor replaced by the other's."""
    counts = {}
    for rows in (2, 3):
        (tmp_path / f"{rows}.jsonl").write_text("".join(json.dumps(request_line(f"q{i}")) + "\n" for i in range(rows)))
        dags_test(stack, airflow_home, EXAMPLE_DAGS, "gemini_batch_example", {"input_source": f"{rows}.jsonl"},
                  "2026-02-03", tmp_path)
        counts[latest_run_id(airflow_home, "gemini_batch_example")] = rows
    assert len(counts) == 2
    for run_id, rows in counts.items():
        results = f"gs://{TEST_BUCKET}/gemini-batch/{run_folder(run_id)}/results"
        assert count_rows(gcs_client, f"{results}/succeeded.jsonl") == rows


def test_sharded_example_maps_one_job_over_each_input_file(
    stack, airflow_home, emulator, gcs_client, tmp_path, monkeypatch
) -> None:
    rows = [request_line(f"q{i}") for i in range(5)]
    source = tmp_path / "requests.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    monkeypatch.setenv("GEMINI_BATCH_ROWS_PER_FILE", "2")
    creates = emulator.calls("create")
    conf = {"input_source": str(source)}
    output = dags_test(stack, airflow_home, EXAMPLE_DAGS, "gemini_batch_sharded_example", conf, "2026-03-01",
                       tmp_path)
    assert emulator.calls("create") == creates + 3, "one job per file: 2 + 2 + 1 rows"
    run_id = latest_run_id(airflow_home, "gemini_batch_sharded_example")
    partition = f"gs://{TEST_BUCKET}/gemini-batch-sharded/{run_folder(run_id)}"
    assert count_rows(gcs_client, f"{partition}/input/requests-00002-of-00003.jsonl") == 1
    succeeded = [count_rows(gcs_client, f"{partition}/results/shard-{index}/succeeded.jsonl") for index in range(3)]
    assert sorted(succeeded) == [1, 2, 2]
    assert "3 job(s): {'succeeded': 5, 'failed': 0, 'missing': 0, 'total': 5}" in output
    assert task_states(airflow_home, "gemini_batch_sharded_example")["report"] == "success"


def test_example_dag_without_a_logical_date_reads_the_packaged_sample_into_its_run_folder(
    stack, airflow_home, emulator, gcs_client
) -> None:
    """A run triggered with ``logical_date: null`` has no ``ds``: its files go under its run id; with no conf
    it reads the sample input shipped with the package."""
    from gemini_batch_local.demo import rejected_count, sample_lines

    creates = emulator.calls("create")
    run, output = run_without_logical_date(stack, airflow_home, EXAMPLE_DAGS / "gemini_batch_example.py", {})
    assert (run["logical_date"], run["state"]) == (None, "success"), output[-6000:]
    assert "Pausing task as DEFERRED" in output and "running trigger in line" in output
    assert emulator.calls("create") == creates + 1
    folder = f"gs://{TEST_BUCKET}/gemini-batch/{run_folder(run['run_id'])}"
    lines = sample_lines()
    assert count_rows(gcs_client, f"{folder}/input/requests.jsonl") == len(lines)
    failed = rejected_count(lines)
    assert failed and {
        "succeeded": count_rows(gcs_client, f"{folder}/results/succeeded.jsonl"),
        "failed": count_rows(gcs_client, f"{folder}/results/failed.jsonl"),
    } == {"succeeded": len(lines) - failed, "failed": failed}


def test_sharded_example_without_a_logical_date_maps_its_files_in_its_run_folder(
    stack, airflow_home, emulator, gcs_client, tmp_path, monkeypatch
) -> None:
    (tmp_path / "three.jsonl").write_text("".join(json.dumps(request_line(f"q{i}")) + "\n" for i in range(3)))
    monkeypatch.setenv("GEMINI_BATCH_ROWS_PER_FILE", "2")
    creates = emulator.calls("create")
    run, output = run_without_logical_date(stack, airflow_home, EXAMPLE_DAGS / "gemini_batch_sharded_example.py",
                                            {"input_source": "three.jsonl"}, tmp_path)
    assert (run["logical_date"], run["state"]) == (None, "success"), output[-6000:]
    assert emulator.calls("create") == creates + 2
    folder = f"gs://{TEST_BUCKET}/gemini-batch-sharded/{run_folder(run['run_id'])}"
    assert sorted(count_rows(gcs_client, f"{folder}/results/shard-{index}/succeeded.jsonl") for index in (0, 1)) == [
        1, 2]
    assert "2 job(s): {'succeeded': 3, 'failed': 0, 'missing': 0, 'total': 3}" in output
