"""What the end-to-end tests do to and read from a running deployment: runs, task states, jobs, files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from tests.e2e.cluster import AirflowApi, wait_until

REPO = Path(__file__).resolve().parents[2]
#: Logs, task logs and the browser's screenshot (``test-output/`` is git-ignored).
OUTPUT = REPO / "test-output" / "e2e"
BUCKET = "gemini-batch-e2e"
#: An input in the deployment's bucket for the backfill runs (the DAG's default is the sample shipped with
#: the package, which the scheduled run reads).
SAMPLE_INPUT = f"gs://{BUCKET}/incoming/samples/requests.jsonl"  # where the example DAG reads gs:// input
PROMPTS = ["Explain batch prediction in a sentence", "Name a use of deferrable operators", "Say hello"]
DAG_ID = "gemini_batch_example"
SUBMIT_TASK = "submit_and_wait"
TERMINAL_RUN_STATES = ("success", "failed")


def trigger_like_ui(api: AirflowApi, conf: dict[str, Any], logical_date: str | None) -> str:
    """Create a run with the body the UI's trigger form posts; return its run id."""
    body = {
        "conf": conf,
        "logical_date": logical_date,
        "data_interval_start": None,
        "data_interval_end": None,
        "partition_key": None,
    }
    return str(api.call("POST", f"dags/{DAG_ID}/dagRuns", body)["dag_run_id"])


def run_path(run_id: str) -> str:
    """The REST path of one run of the example DAG."""
    return f"dags/{DAG_ID}/dagRuns/{run_id}"


def wait_run_state(api: AirflowApi, run_id: str, timeout: float = 240) -> str:
    """Wait until the run ends; return ``success`` or ``failed``."""

    def ended() -> str | None:
        state = str(api.get(run_path(run_id))["state"])
        return state if state in TERMINAL_RUN_STATES else None

    return wait_until(ended, timeout, f"run {run_id} to end", interval=1)


def task_instance(api: AirflowApi, run_id: str, task_id: str = SUBMIT_TASK) -> dict[str, Any]:
    """The task instance's REST representation (``state``, ``try_number``, ...)."""
    return dict(api.get(f"{run_path(run_id)}/taskInstances/{task_id}"))


def wait_task_state(api: AirflowApi, run_id: str, state: str, task_id: str = SUBMIT_TASK,
                    timeout: float = 90) -> dict[str, Any]:
    """Wait until the task instance is in ``state``; fail early if its run ends first."""

    def reached() -> dict[str, Any] | None:
        ti = task_instance(api, run_id, task_id)
        if ti["state"] == state:
            return ti
        if ti["state"] in ("success", "failed", "upstream_failed"):
            raise AssertionError(f"{task_id} ended {ti['state']} before reaching {state}")
        return None

    return wait_until(reached, timeout, f"{task_id} of {run_id} to be {state}", interval=0.5)


def xcom(api: AirflowApi, run_id: str, key: str, task_id: str = SUBMIT_TASK) -> Any:
    """An XCom value of a task instance, or ``None`` while there is none."""
    try:
        entry = api.get(f"{run_path(run_id)}/taskInstances/{task_id}/xcomEntries/{key}", deserialize=True)
    except AssertionError as err:
        if " 404 " in str(err):
            return None
        raise
    return entry["value"]


def wait_job_name(api: AirflowApi, run_id: str) -> str:
    """The Vertex AI job name the submit task pushed as XCom ``job_name`` as soon as it created the job."""
    return str(wait_until(lambda: xcom(api, run_id, "job_name"), 90, f"the job name of {run_id}", interval=0.2))


class Emulator:
    """The Vertex AI emulator's REST API and admin endpoints, as the tests use them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def _post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = requests.post(f"{self.base_url}/{path}", json=body or {}, timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def creates(self) -> int:
        """How many ``batchPredictionJobs.create`` calls the emulator answered."""
        stats = requests.get(f"{self.base_url}/emulator/stats", timeout=10).json()
        return int(stats["calls"].get("create", 0))

    def job(self, job_name: str) -> dict[str, Any]:
        """The job as the Vertex AI API returns it."""
        return dict(requests.get(f"{self.base_url}/v1/{job_name}", timeout=10).json())

    def pause(self, job_name: str) -> None:
        """Hold a job in ``JOB_STATE_PAUSED`` until :meth:`resume`: the job stays unfinished meanwhile."""
        self._post(f"emulator/jobs/{job_name.rsplit('/', 1)[-1]}:set-state", {"state": "JOB_STATE_PAUSED"})

    def resume(self, job_name: str) -> None:
        """Let a paused job run on."""
        self._post(f"emulator/jobs/{job_name.rsplit('/', 1)[-1]}:resume")


def gcs_client(gcs_url: str) -> storage.Client:
    """A Cloud Storage client for fake-gcs-server at ``gcs_url``."""
    return storage.Client(project="local-project", credentials=AnonymousCredentials(),
                          client_options={"api_endpoint": gcs_url})


def upload_requests(client: storage.Client, uri: str, prompts: list[str]) -> None:
    """Write one request line per prompt to ``uri``."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    lines = [{"key": f"q{i:03d}", "request": {"contents": [{"role": "user", "parts": [{"text": text}]}]}}
             for i, text in enumerate(prompts)]
    client.bucket(bucket).blob(name).upload_from_string("".join(json.dumps(line) + "\n" for line in lines))


def blob(client: storage.Client, uri: str) -> storage.Blob | None:
    """The object at ``uri`` with its metadata, or ``None``."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return client.bucket(bucket).get_blob(name)
