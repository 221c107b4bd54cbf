"""``airflow backfill create`` over three dates: three jobs, a run and its folders per date; re-running a date is
idempotent."""

from __future__ import annotations

import json

from airflow_batch_gemini.example_dags.gemini_batch_settings import run_folder
from tests.e2e.cluster import wait_until
from tests.e2e.runs import BUCKET, DAG_ID, SAMPLE_INPUT, blob, wait_run_state, xcom

DATES = ["2026-01-01", "2026-01-02", "2026-01-03"]


def _backfill(deployment, api, first: str, last: str, *extra: str) -> dict[str, str]:
    """Backfill ``first``..``last`` with the CLI and wait for its runs; return their states by date."""
    deployment.run_airflow(["backfill", "create", "--dag-id", DAG_ID, "--from-date", first, "--to-date", last,
                            "--dag-run-conf", json.dumps({"input_source": SAMPLE_INPUT}), *extra])
    wanted = [day for day in DATES if first <= day <= last]

    def runs() -> dict[str, str] | None:
        found = {run["logical_date"][:10]: run["dag_run_id"]
                 for run in api.get(f"dags/{DAG_ID}/dagRuns", run_type="backfill")["dag_runs"]}
        return found if all(day in found for day in wanted) else None

    run_ids = wait_until(runs, 60, f"the backfill runs of {wanted}")
    states = {day: wait_run_state(api, run_ids[day]) for day in wanted}
    # the scheduler marks the backfill complete a moment later; only then may another one start
    wait_until(lambda: all(backfill["completed_at"] for backfill in api.get("backfills", dag_id=DAG_ID)["backfills"]),
               60, "the backfill to be marked complete")
    return states


def _folder(day: str) -> str:
    """A date's folder: its backfill run's id (the run a re-run of the date clears and runs again)."""
    return f"gs://{BUCKET}/gemini-batch/{run_folder(f'backfill__{day}T00:00:00+00:00')}"


def _results(gcs, day: str, role: str):
    return blob(gcs, f"{_folder(day)}/results/{role}.jsonl")


def test_backfill_runs_one_job_per_date_and_a_rerun_reattaches(deployment, api, vertex, gcs) -> None:
    creates = vertex.creates()
    assert _backfill(deployment, api, DATES[0], DATES[-1]) == dict.fromkeys(DATES, "success")
    assert vertex.creates() == creates + len(DATES), "one job per date"

    directories = set()
    for day in DATES:
        run_id = f"backfill__{day}T00:00:00+00:00"
        manifest = xcom(api, run_id, "return_value")
        assert manifest["output_directory"].startswith(f"{_folder(day)}/output/")
        directories.add(manifest["output_directory"])
        assert blob(gcs, f"{_folder(day)}/input/requests.jsonl") is not None
        assert _results(gcs, day, "succeeded") is not None
    assert len(directories) == len(DATES)

    before = _results(gcs, DATES[1], "succeeded")
    assert _backfill(deployment, api, DATES[1], DATES[1], "--reprocess-behavior", "completed") == {
        DATES[1]: "success"
    }
    assert vertex.creates() == creates + len(DATES), "the re-run re-attached to its job"
    after = _results(gcs, DATES[1], "succeeded")
    assert after.generation != before.generation, "the result file was written again"
    assert after.download_as_bytes() == before.download_as_bytes(), "with the same rows"
    assert "Re-attached to batch job" in _task_log(deployment, f"backfill__{DATES[1]}T00:00:00+00:00", 2)


def _task_log(deployment, run_id: str, try_number: int) -> str:
    path = (deployment.log_dir / "tasks" / f"dag_id={DAG_ID}" / f"run_id={run_id}" / "task_id=submit_and_wait"
            / f"attempt={try_number}.log")
    return path.read_text()
