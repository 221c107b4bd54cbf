"""The example DAG in a production-shaped deployment, driven through the REST API like the UI does.

Each test triggers ``gemini_batch_example`` with params, holds its Vertex AI job unfinished in the
emulator (``PAUSED``) while it looks at the deferred task, and then acts as an operator would:
restarts the triggerer, or marks the task failed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from airflow_batch_gemini.example_dags.gemini_batch_settings import run_folder
from tests.e2e.cluster import wait_until
from tests.e2e.runs import (
    BUCKET,
    DAG_ID,
    PROMPTS,
    SUBMIT_TASK,
    blob,
    run_path,
    task_instance,
    trigger_like_ui,
    upload_requests,
    wait_job_name,
    wait_run_state,
    wait_task_state,
    xcom,
)


def trigger_logs(deployment, run_id: str, text: str) -> list[Path]:
    """The submit task's trigger log files (one per triggerer process that ran its trigger) holding ``text``."""
    task_logs = deployment.log_dir / "tasks" / f"dag_id={DAG_ID}" / f"run_id={run_id}" / f"task_id={SUBMIT_TASK}"
    return [path for path in sorted(task_logs.glob("attempt=1.log.trigger.*.log")) if text in path.read_text()]


def _trigger(api, gcs, day: str) -> str:
    source = f"gs://{BUCKET}/incoming/{day}.jsonl"
    upload_requests(gcs, source, PROMPTS)
    return trigger_like_ui(api, {"input_source": source, "model": "gemini-2.5-flash"}, f"{day}T00:00:00Z")


def test_deferred_wait_survives_a_triggerer_restart_with_one_job(deployment, api, vertex, gcs) -> None:
    creates = vertex.creates()
    run_id = _trigger(api, gcs, "2026-02-01")
    job_name = wait_job_name(api, run_id)
    vertex.pause(job_name)

    ti = wait_task_state(api, run_id, "deferred")
    pool = api.get("pools/default_pool")
    assert (pool["deferred_slots"], pool["running_slots"]) == (1, 0), "a deferred task holds no worker slot"
    assert vertex.job(job_name)["state"] == "JOB_STATE_PAUSED"

    first = wait_until(lambda: trigger_logs(deployment, run_id, "JOB_STATE_PAUSED"), 60,
                       "the triggerer to poll the paused job")
    deployment.stop_component("triggerer")
    time.sleep(3)
    assert task_instance(api, run_id)["state"] == "deferred", "the task waits for a triggerer, not a worker"
    deployment.start_component("triggerer")
    vertex.resume(job_name)

    assert wait_run_state(api, run_id) == "success", deployment.log_tail("scheduler")
    done = task_instance(api, run_id)
    assert done["state"] == "success"
    assert done["try_number"] == ti["try_number"] == 1, "resumed from the deferral, not retried"
    assert vertex.creates() == creates + 1, "exactly one job for the run"
    fired = trigger_logs(deployment, run_id, "Trigger fired event")
    assert len(fired) == 1 and fired != first, "the restarted triggerer, not the first, delivered the job's end"

    manifest = xcom(api, run_id, "return_value")
    assert (manifest["job_name"], manifest["state"]) == (job_name, "JOB_STATE_SUCCEEDED")
    succeeded = blob(gcs, f"gs://{BUCKET}/gemini-batch/{run_folder(run_id)}/results/succeeded.jsonl")
    assert succeeded is not None and len(succeeded.download_as_bytes().splitlines()) == len(PROMPTS)


def test_marking_a_deferred_task_failed_cancels_its_job(deployment, api, vertex, gcs) -> None:
    run_id = _trigger(api, gcs, "2026-02-02")
    job_name = wait_job_name(api, run_id)
    vertex.pause(job_name)
    wait_task_state(api, run_id, "deferred")
    # on_kill reaches a trigger that runs: one a triggerer has not picked up yet is dropped unseen
    wait_until(lambda: trigger_logs(deployment, run_id, "JOB_STATE_PAUSED"), 60, "the triggerer to poll the job")

    api.call("PATCH", f"{run_path(run_id)}/taskInstances/{SUBMIT_TASK}", {"new_state": "failed"})

    cancelled = wait_until(lambda: vertex.job(job_name)["state"] == "JOB_STATE_CANCELLED" or None, 60,
                           f"{job_name} to be cancelled by the trigger's on_kill")
    assert cancelled
    assert vertex.job(job_name)["error"]["code"] == 1
    assert task_instance(api, run_id)["state"] == "failed"
    assert wait_run_state(api, run_id) == "failed"
    assert trigger_logs(deployment, run_id, "Task killed: "), "the trigger's on_kill logged the cancel"


def test_a_run_triggered_without_a_logical_date_has_folders_of_its_own(deployment, api, vertex, gcs) -> None:
    """The body the UI's form posts with the logical date left empty: ``logical_date: null``, no ``ds``."""
    source = f"gs://{BUCKET}/incoming/no-logical-date.jsonl"
    upload_requests(gcs, source, PROMPTS)
    creates = vertex.creates()
    run_id = trigger_like_ui(api, {"input_source": source}, None)
    assert api.get(run_path(run_id))["logical_date"] is None
    assert wait_run_state(api, run_id) == "success", deployment.log_tail("scheduler")
    assert vertex.creates() == creates + 1
    folder = f"gs://{BUCKET}/gemini-batch/{run_folder(run_id)}"
    assert xcom(api, run_id, "return_value")["output_directory"].startswith(f"{folder}/output/")
    succeeded = blob(gcs, f"{folder}/results/succeeded.jsonl")
    assert succeeded is not None and len(succeeded.download_as_bytes().splitlines()) == len(PROMPTS)


def test_connection_form_offers_the_vertex_ai_endpoint(deployment, api) -> None:
    """What the UI's connection form is built from: our type, Google Cloud's fields plus the endpoint."""
    response = api.session.get(f"{deployment.api_url}/ui/connections/hook_meta", timeout=30)
    response.raise_for_status()
    form = {hook["connection_type"]: hook for hook in response.json()}["gemini_batch"]
    assert form["hook_name"] == "Vertex AI Gemini Batch"
    fields = {name.rsplit("__", 1)[-1]: field for name, field in form["extra_fields"].items()}
    assert {"project", "key_path", "impersonation_chain", "is_anonymous", "vertex_ai_endpoint"} <= set(fields), fields
    assert "Vertex AI endpoint" in json.dumps(fields["vertex_ai_endpoint"])
