"""Wait settings that cannot work are refused where the DAG declares them: in the constructors of the submit and
resubmit operators, the sensor and the trigger, so that the DAG shows an import error."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError
from airflow_batch_gemini.job.wait_settings import InvalidWaitSettingError, check_poll_interval
from airflow_batch_gemini.operators.resubmit_failed import GeminiBatchResubmitFailedOperator
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from airflow_batch_gemini.sensors.batch_job import GeminiBatchJobSensor
from airflow_batch_gemini.triggers.batch_job import GeminiBatchJobTrigger
from tests.dag_bags import parsed_dags

JOB = "projects/1/locations/us-central1/batchPredictionJobs/42"
SPLIT = {"succeeded": 1, "failed": 0, "succeeded_uri": "gs://b/s", "failed_uri": "gs://b/f", "missing_uri": "gs://b/m"}

BAD_SUBMIT_SETTINGS = [
    pytest.param({"poll_interval": 0}, "poll_interval=0", id="poll-interval-zero"),
    pytest.param({"poll_interval": -5}, "poll_interval=-5", id="poll-interval-negative"),
    pytest.param({"poll_interval": float("nan")}, "not a finite duration", id="poll-interval-nan"),
    pytest.param({"poll_interval": "30"}, "is not a duration", id="poll-interval-text"),
    pytest.param({"timeout": -1}, "timeout=-1", id="timeout-negative"),
    pytest.param({"timeout": timedelta(0)}, "created and cancelled at once", id="timeout-zero"),
    pytest.param({"timeout_margin": -1}, "timeout_margin=-1", id="margin-negative"),
    pytest.param({"max_outage": timedelta(minutes=-1)}, "max_outage=", id="outage-negative"),
    pytest.param({"max_transient_errors": -1}, "max_transient_errors=-1", id="count-negative"),
    pytest.param({"max_transient_errors": True}, "max_transient_errors=True", id="count-bool"),
]


def submit(**settings: Any) -> GeminiBatchSubmitJobOperator:
    return GeminiBatchSubmitJobOperator(task_id="submit", input_uris="gs://b/in.jsonl",
                                        output_uri_prefix="gs://b/out", **settings)


@pytest.mark.parametrize(("settings", "message"), BAD_SUBMIT_SETTINGS)
def test_the_submit_operator_refuses_a_wait_that_cannot_work(settings: dict, message: str) -> None:
    with pytest.raises(InvalidWaitSettingError, match=f"GeminiBatchSubmitJobOperator 'submit': .*{message}"):
        submit(**settings)


@pytest.mark.parametrize(("settings", "message"), BAD_SUBMIT_SETTINGS[:3])
def test_the_resubmit_operator_gets_the_same_checks(settings: dict, message: str) -> None:
    with pytest.raises(InvalidWaitSettingError, match=message):
        GeminiBatchResubmitFailedOperator(task_id="again", split_manifest=SPLIT, destination_prefix="gs://b/r",
                                          **settings)


def test_good_settings_are_kept_in_seconds() -> None:
    operator = submit(poll_interval=timedelta(seconds=2), timeout=None, max_outage=timedelta(minutes=45),
                      max_transient_errors=20, timeout_margin=0)
    assert (operator.poll_interval, operator.max_outage, operator.max_transient_errors) == (2.0, 2700.0, 20)
    assert submit().max_outage >= 1800 and submit().max_transient_errors is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param({"poke_interval": 0}, "poke_interval=0.0", id="poke-interval-zero"),
        pytest.param({"timeout": 0}, "timeout=0", id="timeout-zero"),
        pytest.param({"max_outage": -3}, "max_outage=-3", id="outage-negative"),
    ],
)
def test_the_sensor_refuses_a_wait_that_cannot_work(settings: dict, message: str) -> None:
    with pytest.raises(InvalidWaitSettingError, match=f"GeminiBatchJobSensor 'sense': {message}"):
        GeminiBatchJobSensor(task_id="sense", job_name=JOB, **settings)


@pytest.mark.parametrize("settings", [{"poll_interval": 0}, {"max_outage": -1}, {"max_transient_errors": -2}])
def test_the_trigger_refuses_a_wait_that_cannot_work(settings: dict) -> None:
    with pytest.raises(InvalidWaitSettingError, match=f"GeminiBatchJobTrigger for {JOB}"):
        GeminiBatchJobTrigger(job_name=JOB, **settings)


def test_a_bad_setting_is_a_permanent_configuration_error_and_a_value_error() -> None:
    with pytest.raises(InvalidWaitSettingError) as info:
        check_poll_interval(0.01, "somewhere")
    assert isinstance(info.value, GeminiBatchConfigurationError) and isinstance(info.value, ValueError)
    assert not info.value.is_retryable()


def test_a_dag_with_a_bad_poll_interval_is_an_import_error(tmp_path: Path) -> None:
    good, bad = "poll_interval=30", "poll_interval=0"
    for name, setting in (("good_dag.py", good), ("bad_dag.py", bad)):
        (tmp_path / name).write_text(textwrap.dedent(f"""
            from datetime import datetime
            from airflow.sdk import DAG
            from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator

            with DAG(dag_id="{name[:-3]}", schedule=None, start_date=datetime(2026, 1, 1)):
                GeminiBatchSubmitJobOperator(task_id="submit", input_uris="gs://b/in.jsonl",
                                             output_uri_prefix="gs://b/out", {setting})
        """))
    bag = parsed_dags(tmp_path)
    assert "good_dag" in bag.dag_ids and "bad_dag" not in bag.dag_ids
    (error,) = [error for path, error in bag.import_errors.items() if path.endswith("bad_dag.py")]
    assert "InvalidWaitSettingError" in error and "poll_interval=0 must lie between 0.1 s and" in error
