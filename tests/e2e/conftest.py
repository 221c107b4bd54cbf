"""One production-shaped Airflow deployment for the end-to-end tests of this folder.

Started once for the folder (it takes about a minute on two cores) and stopped after its last
test, also when a test fails: PostgreSQL, api-server, scheduler, dag-processor, triggerer,
fake-gcs-server and the Vertex AI emulator, all on 127.0.0.1. Logs stay in ``test-output/e2e/``.
"""

from __future__ import annotations

import fcntl
import shutil
import time
from collections.abc import Iterator

import pytest
from google.cloud import storage

from tests.e2e.cluster import ADMIN_USER, AirflowApi, ProductionStack, wait_until
from tests.e2e.runs import (
    BUCKET,
    DAG_ID,
    OUTPUT,
    PROMPTS,
    SAMPLE_INPUT,
    Emulator,
    gcs_client,
    upload_requests,
    wait_run_state,
)
from tests.paths import EXAMPLE_DAGS


@pytest.fixture(scope="package")
def deployment() -> Iterator[ProductionStack]:
    """The running deployment, with the example DAG parsed, unpaused and its scheduled run done.

    Jobs spend 4 s queued and 4 s running in the emulator; tests that need a job to stay
    unfinished hold it in ``PAUSED`` through the emulator's admin API.
    """
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with (OUTPUT / ".lock").open("w") as lock:
        # one deployment at a time per work tree: two would share the logs and the two cores
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield from _deployment()


def _deployment() -> Iterator[ProductionStack]:
    started = time.monotonic()
    shutil.rmtree(OUTPUT / "logs", ignore_errors=True)
    with ProductionStack(
        dags_folder=EXAMPLE_DAGS,
        log_dir=OUTPUT / "logs",
        extra_env={"GEMINI_BATCH_BUCKET": BUCKET, "GEMINI_BATCH_POLL_INTERVAL": "1"},
        emulator_args=["--queue-seconds", "4", "--run-seconds", "4"],
        buckets=[BUCKET],
    ) as stack:
        upload_requests(gcs_client(stack.gcs_url), SAMPLE_INPUT, PROMPTS)
        api = AirflowApi(stack.api_url, ADMIN_USER, stack.password)
        wait_until(lambda: _parsed(api), 120, f"the dag-processor to parse {DAG_ID}", interval=1)
        # unpausing makes the scheduler create the latest daily run: let it finish before the tests count jobs
        api.call("PATCH", f"dags/{DAG_ID}", {"is_paused": False})
        scheduled = wait_until(lambda: api.get(f"dags/{DAG_ID}/dagRuns", run_type="scheduled")["dag_runs"],
                               60, "the scheduled run")
        assert wait_run_state(api, scheduled[0]["dag_run_id"]) == "success", stack.log_tail("scheduler")
        print(f"deployment ready in {time.monotonic() - started:.0f} s")
        yield stack
    assert not stack.orphans, f"processes outlived the deployment (killed): {stack.orphans}"


def _parsed(api: AirflowApi) -> bool:
    dags = api.get("dags", dag_id_pattern=DAG_ID)["dags"]
    if not dags:
        errors = api.get("importErrors")["import_errors"]
        assert not errors, f"the example DAG does not import: {errors}"
    return bool(dags)


@pytest.fixture(scope="package")
def api(deployment: ProductionStack) -> AirflowApi:
    """A REST client logged in as the admin user."""
    return AirflowApi(deployment.api_url, ADMIN_USER, deployment.password)


@pytest.fixture(scope="package")
def vertex(deployment: ProductionStack) -> Emulator:
    """The deployment's Vertex AI emulator."""
    return Emulator(deployment.vertex_url)


@pytest.fixture(scope="package")
def gcs(deployment: ProductionStack) -> storage.Client:
    """A Cloud Storage client for the deployment's fake-gcs-server."""
    return gcs_client(deployment.gcs_url)
