"""The operator extra link: the job's page in the Google Cloud console."""

from __future__ import annotations

import sys

from airflow.sdk import BaseOperatorLink

from airflow_batch_gemini.get_provider_info import get_provider_info
from airflow_batch_gemini.links import batch_job as links
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator

JOB = "projects/123/locations/europe-west4/batchPredictionJobs/456"


def test_extra_link_is_registered_and_points_at_the_console(monkeypatch) -> None:
    (registered,) = get_provider_info()["extra-links"]
    module, _, name = registered.rpartition(".")
    link = getattr(sys.modules[module], name)()
    assert isinstance(link, BaseOperatorLink)
    assert type(link) in {type(each) for each in GeminiBatchSubmitJobOperator.operator_extra_links}

    seen = {}

    def get_value(*, ti_key, key):
        seen["key"] = key
        return {"ti": JOB, "no-job": None, "bad": "not/a/job"}[ti_key]

    monkeypatch.setattr(links.XCom, "get_value", get_value)
    assert link.get_link(None, ti_key="ti") == (
        "https://console.cloud.google.com/vertex-ai/locations/europe-west4/batch-predictions/456?project=123")
    assert seen["key"] == "job_name"
    assert link.get_link(None, ti_key="no-job") == link.get_link(None, ti_key="bad") == ""



def test_the_link_names_the_operators_own_job_without_asking_xcom(monkeypatch) -> None:
    """A task that never submitted (a resubmission with nothing to resend, a create stopped by its checks)
    must not ask XCom for a job_name that is not there: Airflow's client logs that as an [error]."""

    def no_xcom(**_):
        raise AssertionError("XCom read for a link the operator can name itself")

    monkeypatch.setattr(links.XCom, "get_value", no_xcom)
    operator = GeminiBatchSubmitJobOperator(task_id="submit", input_uris="gs://b/in.jsonl", output_uri_prefix="gs://o")
    link = links.GeminiBatchJobLink()
    assert link.get_link(operator, ti_key="ti") == ""
    operator.job_name = JOB
    assert link.get_link(operator, ti_key="ti").endswith("/batch-predictions/456?project=123")
