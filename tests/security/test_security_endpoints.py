"""Credentials only to Google: an attacker with only the trigger form, and a server of their own on 127.0.0.1.

The connection is a real service account: its token really is fetched from the fake OAuth server when a
request is made, so "no token fetched" and "the attacker's server saw no request" mean what they say.

- a templated job name (the sensor's) or location (the submit operator's, the hooks') that would change the
  host of ``https://{location}-aiplatform.googleapis.com`` is refused before any request, on the poke path
  and the deferred one;
- an endpoint override (``api_endpoint``, the connection extra ``vertex_ai_endpoint``) that is not
  a Vertex AI host of Google's gets no credentials, unless the connection allow-lists it; anonymous
  credentials go anywhere (the local stack).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Iterator

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchAccessRefusedError
from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchAsyncHook, GeminiBatchHook
from airflow_batch_gemini.job.names import InvalidNameError
from airflow_batch_gemini.job.retry import RetryPolicy
from airflow_batch_gemini.operators.failures import GeminiBatchPermanentFailure
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from airflow_batch_gemini.sensors.batch_job import GeminiBatchJobSensor
from airflow_batch_gemini.triggers.batch_job import GeminiBatchJobTrigger
from gemini_batch_local.local_stack import LOCAL_PROJECT
from tests.conftest import TEST_BUCKET
from tests.security.conftest import ACCESS_TOKEN, Attacker, ServiceAccount, env_connection
from tests.taskrun import first_event, new_context, run_task

JOB = f"projects/{LOCAL_PROJECT}/locations/us-central1/batchPredictionJobs/1"
#: Locations that turn ``https://{location}-aiplatform.googleapis.com`` into a URL on the attacker's host.
HOSTILE_LOCATIONS = ("{netloc}#", "{netloc}?", "{netloc}/", "x@{netloc}#")


@pytest.fixture
def real_endpoints(service_account: ServiceAccount, service_account_key: dict[str, str]) -> Iterator[str]:
    """The service account with no endpoint override: requests go to ``https://{location}-aiplatform...``."""
    extra = {"project": LOCAL_PROJECT, "keyfile_dict": json.dumps(service_account_key)}
    with env_connection("gcp_real_endpoints", extra) as conn_id:
        yield conn_id


def hostile_job_names(attacker: Attacker) -> list[str]:
    return [f"projects/{LOCAL_PROJECT}/locations/{location.format(netloc=attacker.netloc)}/batchPredictionJobs/1"
            for location in HOSTILE_LOCATIONS if "/" not in location]


@contextlib.contextmanager
def failed_at_once(error: type[Exception], match: str) -> Iterator[None]:
    """The task fails at once (fail-fast, no retry), with ``error`` whose message matches ``match``."""
    with pytest.raises(GeminiBatchPermanentFailure) as raised:
        yield
    assert isinstance(raised.value.error, error), raised.value.error
    assert re.search(match, str(raised.value.error)), raised.value.error


def assert_nothing_sent(attacker: Attacker, service_account: ServiceAccount, tokens_before: int) -> None:
    assert attacker.seen == [], "the attacker's server got a request"
    assert len(service_account.token_requests) == tokens_before, "a token was fetched for the refused request"


# -- names: the sensor's job_name, the submit operator's and the hooks' location ------------------------------
@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferred"])
def test_the_sensor_refuses_a_job_name_that_points_elsewhere(
        deferrable: bool, tls_attacker: Attacker, service_account: ServiceAccount, real_endpoints: str) -> None:
    for job_name in hostile_job_names(tls_attacker):
        before = len(service_account.token_requests)
        sensor = GeminiBatchJobSensor(task_id="sense", job_name=job_name, gcp_conn_id=real_endpoints,
                                      deferrable=deferrable, poke_interval=0.1, timeout=30, max_outage=0)
        with failed_at_once(InvalidNameError, "job_name .* is not a batch job name"):
            run_task(sensor, new_context())  # execute (pokes), or execute, the trigger's run() and execute_complete
        assert_nothing_sent(tls_attacker, service_account, before)


def test_the_trigger_refuses_a_job_name_that_points_elsewhere(
        tls_attacker: Attacker, service_account: ServiceAccount, real_endpoints: str) -> None:
    for job_name in hostile_job_names(tls_attacker):
        before = len(service_account.token_requests)
        location = job_name.split("/")[3]
        trigger = GeminiBatchJobTrigger(job_name=job_name, location=location, gcp_conn_id=real_endpoints,
                                        poll_interval=0.1, max_outage=0)
        with pytest.raises(InvalidNameError, match=r"job_name .* is not a batch job name"):
            asyncio.run(first_event(trigger))
        assert_nothing_sent(tls_attacker, service_account, before)


@pytest.mark.parametrize("location", HOSTILE_LOCATIONS)
def test_the_submit_operator_refuses_a_templated_location_that_points_elsewhere(
        location: str, tls_attacker: Attacker, service_account: ServiceAccount, real_endpoints: str) -> None:
    before = len(service_account.token_requests)
    submit = GeminiBatchSubmitJobOperator(
        task_id="submit", input_uris=f"gs://{TEST_BUCKET}/security/endpoints.jsonl",
        output_uri_prefix=f"gs://{TEST_BUCKET}/security/endpoints-out", location="{{ params.location }}",
        gcp_conn_id=real_endpoints,
    )
    context = new_context()
    params = {"location": location.format(netloc=tls_attacker.netloc)}
    submit.location = submit.render_template(submit.location, {**context, "params": params})  # as Airflow renders it
    assert submit.location.startswith("127.0.0.1:") or submit.location.startswith("x@127.0.0.1:")
    with failed_at_once(InvalidNameError, "location .* is not a Vertex AI location"):
        submit.execute(context)
    assert_nothing_sent(tls_attacker, service_account, before)


@pytest.mark.parametrize("location", HOSTILE_LOCATIONS)
def test_the_hooks_refuse_a_location_that_points_elsewhere(
        location: str, tls_attacker: Attacker, service_account: ServiceAccount, real_endpoints: str) -> None:
    before = len(service_account.token_requests)
    hostile = location.format(netloc=tls_attacker.netloc)
    with pytest.raises(InvalidNameError, match="is not a Vertex AI location"):
        list(GeminiBatchHook(gcp_conn_id=real_endpoints, location=hostile, retry_policy=RetryPolicy(1)).list_jobs())

    async def poll() -> None:
        hook = GeminiBatchAsyncHook(gcp_conn_id=real_endpoints, location=hostile)
        try:
            await hook.get_job(JOB)
        finally:
            await hook.close()

    with pytest.raises(InvalidNameError, match="is not a Vertex AI location"):
        asyncio.run(poll())
    assert_nothing_sent(tls_attacker, service_account, before)


# -- endpoints: api_endpoint and the connection extra vertex_ai_endpoint --------------------------------------
FOREIGN_ENDPOINTS = ("http://{netloc}", "https://{tls_netloc}", "https://evil.example",
                     "https://aiplatform.googleapis.com.evil.example", "https://user@googleapis.com@evil",
                     "http://us-central1-aiplatform.googleapis.com")


def get_job_sync_and_async(conn_id: str, api_endpoint: str | None) -> list[object]:
    """Get :data:`JOB` through both hooks; each outcome is the answer or the exception raised."""
    outcomes: list[object] = []
    try:
        outcomes.append(GeminiBatchHook(gcp_conn_id=conn_id, api_endpoint=api_endpoint,
                                        retry_policy=RetryPolicy(1), request_timeout=5).get_job(JOB))
    except Exception as err:
        outcomes.append(err)

    async def poll() -> object:
        hook = GeminiBatchAsyncHook(gcp_conn_id=conn_id, api_endpoint=api_endpoint, request_timeout=5)
        try:
            return await hook.get_job(JOB)
        except Exception as err:
            return err
        finally:
            await hook.close()

    outcomes.append(asyncio.run(poll()))
    return outcomes


def assert_refused(outcomes: list[object]) -> None:
    for outcome in outcomes:
        assert isinstance(outcome, GeminiBatchAccessRefusedError), outcome
        assert "is_anonymous" in str(outcome) and "endpoint_allow_list" in str(outcome)
        assert ACCESS_TOKEN not in str(outcome)


@pytest.mark.parametrize("endpoint", FOREIGN_ENDPOINTS)
def test_credentials_go_to_no_api_endpoint_but_googles(
        endpoint: str, attacker: Attacker, tls_attacker: Attacker, service_account: ServiceAccount,
        real_endpoints: str) -> None:
    before = len(service_account.token_requests)
    url = endpoint.format(netloc=attacker.netloc, tls_netloc=tls_attacker.netloc)
    assert_refused(get_job_sync_and_async(real_endpoints, url))
    assert_nothing_sent(attacker, service_account, before)
    assert_nothing_sent(tls_attacker, service_account, before)


@pytest.mark.parametrize("endpoint", FOREIGN_ENDPOINTS)
def test_credentials_go_to_no_connection_endpoint_but_googles(
        endpoint: str, attacker: Attacker, tls_attacker: Attacker, service_account: ServiceAccount,
        service_account_key: dict[str, str]) -> None:
    before = len(service_account.token_requests)
    url = endpoint.format(netloc=attacker.netloc, tls_netloc=tls_attacker.netloc)
    extra = {"project": LOCAL_PROJECT, "keyfile_dict": json.dumps(service_account_key), "vertex_ai_endpoint": url}
    with env_connection("gcp_foreign_endpoint", extra) as conn_id:
        assert_refused(get_job_sync_and_async(conn_id, None))
    assert_nothing_sent(attacker, service_account, before)
    assert_nothing_sent(tls_attacker, service_account, before)


@pytest.mark.parametrize("entry", ["{netloc}", "127.0.0.1"])
def test_an_endpoint_on_the_connections_allow_list_gets_the_credentials(
        entry: str, attacker: Attacker, service_account: ServiceAccount, service_account_key: dict[str, str]) -> None:
    extra = {"project": LOCAL_PROJECT, "keyfile_dict": json.dumps(service_account_key),
             "vertex_ai_endpoint": f"http://{attacker.netloc}",
             "endpoint_allow_list": [entry.format(netloc=attacker.netloc)]}
    with env_connection("gcp_allow_listed", extra) as conn_id:
        outcomes = get_job_sync_and_async(conn_id, None)
    assert all(isinstance(outcome, dict) and outcome["name"] == JOB for outcome in outcomes), outcomes
    assert attacker.tokens == [f"Bearer {ACCESS_TOKEN}"] * 2, "the allow-listed host got the token, both hooks"


def test_an_allow_list_of_another_port_does_not_let_the_credentials_through(
        attacker: Attacker, service_account: ServiceAccount, service_account_key: dict[str, str]) -> None:
    before = len(service_account.token_requests)
    port = int(attacker.netloc.rsplit(":", 1)[1])
    extra = {"project": LOCAL_PROJECT, "keyfile_dict": json.dumps(service_account_key),
             "vertex_ai_endpoint": f"http://{attacker.netloc}", "endpoint_allow_list": f"127.0.0.1:{port + 1}"}
    with env_connection("gcp_other_port", extra) as conn_id:
        assert_refused(get_job_sync_and_async(conn_id, None))
    assert_nothing_sent(attacker, service_account, before)


def test_anonymous_credentials_go_anywhere(attacker: Attacker) -> None:
    extra = {"project": LOCAL_PROJECT, "is_anonymous": True, "vertex_ai_endpoint": f"http://{attacker.netloc}"}
    with env_connection("gcp_anonymous_elsewhere", extra) as conn_id:
        outcomes = get_job_sync_and_async(conn_id, None)
    assert all(isinstance(outcome, dict) and outcome["name"] == JOB for outcome in outcomes), outcomes
    assert len(attacker.seen) == 2 and attacker.tokens == [], "both requests arrived, with no credentials"


@pytest.mark.parametrize("answered", ["projects/local-project/locations/us-central1/batchPredictionJobs/1/../../../x",
                                      "projects/local-project/locations/{netloc}#/batchPredictionJobs/1",
                                      "projects/local-project/locations/us-central1/batchPredictionJobs/1?alt=x"])
def test_a_job_name_the_service_answers_is_parsed_strictly_too(answered: str, attacker: Attacker) -> None:
    attacker.job["name"] = answered.format(netloc=attacker.netloc)
    extra = {"project": LOCAL_PROJECT, "is_anonymous": True, "vertex_ai_endpoint": f"http://{attacker.netloc}"}
    with env_connection("gcp_hostile_service", extra) as conn_id:
        hook = GeminiBatchHook(gcp_conn_id=conn_id)
        with pytest.raises(InvalidNameError, match="the job name the service answered to create"):
            hook.create_job({"displayName": "x"})
        with pytest.raises(InvalidNameError, match="the job name the service answered to list"):
            list(hook.list_jobs())
