"""No credential or token in trigger kwargs, XCom, the manifest, the split summary or the logs.

The whole pipeline (prepare, submit and defer, the trigger, execute_complete, split) runs on a
service-account connection whose access token really is fetched and sent: everything those steps
return, push, serialize and log is captured and searched for the token and the key material.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from tests.conftest import TEST_BUCKET, request_line
from tests.security.conftest import ServiceAccount
from tests.taskrun import TaskDeferred, first_event, new_context


def test_no_secret_leaves_the_connection(service_account: ServiceAccount, caplog: pytest.LogCaptureFixture,
                                         capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    conn = {"gcp_conn_id": service_account.conn_id}
    requests = [request_line(text, key=f"s{index}") for index, text in enumerate(("one", "two", "three"))]
    prepared = GeminiBatchPrepareInputOperator(
        task_id="prepare", source=requests, destination_uri=f"gs://{TEST_BUCKET}/security/input.jsonl", **conn
    ).execute({})
    submit = GeminiBatchSubmitJobOperator(
        task_id="submit", input_uris=prepared, output_uri_prefix=f"gs://{TEST_BUCKET}/security/out",
        display_name="security", poll_interval=0.1, **conn,
    )
    context = new_context("security__secrets")
    with pytest.raises(TaskDeferred) as deferred:
        submit.execute(context)
    trigger = deferred.value.trigger
    event = asyncio.run(first_event(trigger))
    manifest = submit.execute_complete(context, event)
    summary = GeminiBatchSplitOutputOperator(
        task_id="split", job_manifest=manifest, destination_prefix=f"gs://{TEST_BUCKET}/security/results", **conn
    ).split()

    assert service_account.token_requests, "the token was really fetched, so it really flowed through the code"
    assert manifest["state"] == "JOB_STATE_SUCCEEDED" and summary["total"] == 3
    captured = capfd.readouterr()
    places: dict[str, Any] = {
        "trigger kwargs": trigger.serialize(),
        "deferral": repr(deferred.value),
        "trigger event": event,
        "XCom": context["ti"].xcoms,
        "prepare result": prepared,
        "manifest": manifest,
        "split summary": summary,
        "logs": caplog.text + "\n".join(record.getMessage() for record in caplog.records),
        "stdout and stderr": captured.out + captured.err,
    }
    assert places["logs"] or places["stdout and stderr"], "something was logged, so the search means something"
    for place, value in places.items():
        text = value if isinstance(value, str) else json.dumps(value, default=repr)
        for secret in service_account.secrets():
            assert secret not in text, f"{secret[:12]}... found in {place}"
