"""The checks before a job's create: pure decisions (job.preflight), and the submit task's look at its DAG
(operators.submit_preflight) with a stand-in for Cloud Storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from airflow.sdk import DAG

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError, GeminiBatchPreflightError
from airflow_batch_gemini.job.names import InvalidNameError, check_location
from airflow_batch_gemini.job.preflight import (
    BucketUse,
    InputLookup,
    bucket_problems,
    check_model_location,
    input_problems,
    output_kind_problem,
)
from airflow_batch_gemini.operators.resubmit_failed import GeminiBatchResubmitFailedOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from airflow_batch_gemini.operators.submit_preflight import check_destinations, downstream_results, stale_jobs
from airflow_batch_gemini.package_files import INPUT_KIND, REJECTS_KIND, RESULT_KIND, package_file_metadata


@dataclass(frozen=True)
class Stored:
    uri: str
    size: int = 10
    crc32c: str | None = "AAAAAA=="
    md5: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@pytest.mark.parametrize("location", ["us-central1", "europe-west4", "global", "me-central2"])
def test_well_formed_locations(location: str) -> None:
    check_location(location)


@pytest.mark.parametrize("location", ["Moon Base/1", "US-CENTRAL1", "", "us-central1/", "europe west4", None])
def test_malformed_locations_are_refused_before_they_reach_the_service(location: Any) -> None:
    with pytest.raises(InvalidNameError, match="is not a Vertex AI location: give a region such as us-central1"):
        check_location(location)


def test_a_model_of_another_region_is_refused() -> None:
    check_model_location("publishers/google/models/gemini-2.5-flash", "asia-northeast1")
    check_model_location("projects/p/locations/europe-west4/models/77", "europe-west4")
    with pytest.raises(InvalidNameError, match=r"in location 'europe-west4'.*set location='europe-west4'"):
        check_model_location("projects/p/locations/europe-west4/models/77@2", "us-central1")
    with pytest.raises(InvalidNameError, match="in location 'us-east4'"):
        check_model_location("projects/p/locations/us-east4/publishers/google/models/gemini-2.5-flash", "global")


def test_input_that_a_job_can_read_has_no_problem() -> None:
    lookups = [
        InputLookup("gs://b/own.jsonl", (Stored("gs://b/own.jsonl"),)),
        InputLookup("gs://b/in/*.jsonl", (
            Stored("gs://b/in/requests.jsonl", metadata=package_file_metadata(INPUT_KIND)),
            Stored("gs://b/in/mine.jsonl", metadata={"owner": "me"}),
        )),
    ]
    assert input_problems(lookups, "conn") == []


def test_each_input_problem_names_the_object_and_what_to_do() -> None:
    rejects = Stored("gs://b/in/rejects.jsonl", metadata=package_file_metadata(REJECTS_KIND))
    results = Stored("gs://b/in/succeeded.jsonl", metadata=package_file_metadata(RESULT_KIND))
    problems = input_problems([
        InputLookup("gs://b/missing.jsonl"),
        InputLookup("gs://nobucket/in.jsonl", bucket_missing=True),
        InputLookup("gs://b/secret.jsonl", denied="storage.objects.get"),
        InputLookup("gs://b/none/*.jsonl"),
        InputLookup("gs://b/in/*.jsonl", (Stored("gs://b/in/requests.jsonl"), rejects, results)),
        InputLookup("gs://b/in/rejects.jsonl", (rejects,)),
    ], "my_conn")
    assert problems[0].startswith("gs://b/missing.jsonl does not exist; a job would fail after it was queued")
    assert problems[1] == "gs://nobucket/in.jsonl: the bucket gs://nobucket does not exist; check input_uris"
    assert "cannot be read with connection 'my_conn' (403: it lacks storage.objects.get)" in problems[2]
    assert problems[3].startswith("gs://b/none/*.jsonl matches no object now")
    assert problems[4].startswith(
        "gs://b/in/*.jsonl matches 2 file(s) this package wrote that are no job input: "
        "gs://b/in/rejects.jsonl (rejects), gs://b/in/succeeded.jsonl (result). Narrow the wildcard")
    assert problems[5].startswith("gs://b/in/rejects.jsonl (rejects) is a file this package wrote that is no job input")
    assert len(problems) == 6


def test_a_bigquery_output_is_refused_when_a_split_reads_it() -> None:
    readers = ["split_results (GeminiBatchSplitOutputOperator)"]
    assert output_kind_problem("gs://b/out", readers) is None
    assert output_kind_problem("bq://p.d.t", []) is None, "no task reads it: the table is the user's to read"
    problem = output_kind_problem("bq://p.d.t", readers)
    assert problem is not None and "split_results (GeminiBatchSplitOutputOperator)" in problem
    assert "give a gs:// output_uri_prefix" in problem


def test_a_missing_bucket_is_a_problem_a_forbidden_lookup_a_warning() -> None:
    uses = [
        BucketUse("out", "gs://out/x", "output_uri_prefix", "output_uri_prefix"),
        BucketUse("res", "gs://res/y", "split's destination_prefix", "the destination_prefix of split"),
        BucketUse("locked", "gs://locked/z", "output_uri_prefix", "output_uri_prefix"),
    ]
    problems, warnings = bucket_problems(uses, {"out": "exists", "res": "missing", "locked": "forbidden"}, "c")
    assert problems == [
        "split's destination_prefix gs://res/y: the bucket gs://res does not exist; create it, or change the "
        "destination_prefix of split. (Checked before the job is created, so that no job is paid for whose "
        "results cannot be written.)"]
    assert len(warnings) == 1 and "gs://locked" in warnings[0] and "403, storage.buckets.get" in warnings[0]


def test_preflight_errors_are_permanent_configuration_errors() -> None:
    error = GeminiBatchPreflightError(["one", "two"])
    assert isinstance(error, GeminiBatchConfigurationError) and not error.is_retryable()
    assert str(error) == "No batch job created: 2 problem(s) found before the create:\n  one\n  two"


def test_stale_jobs_are_the_unfinished_ones_asked_for_something_else() -> None:
    jobs = [
        {"name": "same", "state": "JOB_STATE_RUNNING", "labels": {"airflow_batch_request": "r1"}},
        {"name": "stale", "state": "JOB_STATE_QUEUED", "labels": {"airflow_batch_request": "r0"}},
        {"name": "stale-ended", "state": "JOB_STATE_SUCCEEDED", "labels": {"airflow_batch_request": "r0"}},
        {"name": "stale-paused", "state": "JOB_STATE_PAUSED", "labels": {"airflow_batch_request": "r0"}},
    ]
    assert stale_jobs(jobs, "r1") == ["stale", "stale-paused"]


# -- the submit task's DAG: the result folders of the tasks downstream -------------------------------------


class FakeStorage:
    """Bucket lookups answered from a dict (``exists`` for any other)."""

    gcp_conn_id = "google_cloud_default"

    def __init__(self, states: dict[str, str]) -> None:
        self.states = states
        self.looked_up: list[str] = []

    def bucket_state(self, bucket: str) -> str:
        self.looked_up.append(bucket)
        return self.states.get(bucket, "exists")


class Log:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def info(self, message: str, *args: object) -> None:
        self.lines.append(("info", message % args))

    def warning(self, message: str, *args: object) -> None:
        self.lines.append(("warning", message % args))


def pipeline(output: str = "gs://out/{{ ds }}/output") -> tuple[GeminiBatchSubmitJobOperator, DAG]:
    with DAG("preflight_dag", schedule=None, start_date=datetime(2026, 1, 1), params={"bucket": "res"}) as dag:
        submit = GeminiBatchSubmitJobOperator(task_id="submit", input_uris="gs://b/in.jsonl", output_uri_prefix=output)
        split = GeminiBatchSplitOutputOperator(
            task_id="split", job_manifest=submit.output, destination_prefix="gs://{{ params.bucket }}/{{ ds }}/split")
        resubmit = GeminiBatchResubmitFailedOperator(
            task_id="resubmit", split_manifest=split.output, destination_prefix="gs://final/{{ ds }}")
        mapped = GeminiBatchSplitOutputOperator.partial(
            task_id="mapped_split", destination_prefix="gs://shards/{{ ds }}/shard-{{ ti.map_index }}",
        ).expand(job_manifest=[{"output_directory": "gs://x/y"}])
        later = GeminiBatchSplitOutputOperator(
            task_id="later", output_directory="gs://x/y", destination_prefix="gs://{{ params.undefined_name }}/r")
        submit >> split >> resubmit
        submit >> [mapped, later]
    return submit, dag


class FakeTi:
    map_index = 3


CONTEXT = {"ds": "2026-01-02", "params": {"bucket": "res"}, "ti": FakeTi(), "run_id": "manual__1"}


def test_the_result_folders_downstream_are_rendered_with_the_submit_tasks_context() -> None:
    submit, _ = pipeline()
    found = downstream_results(submit, CONTEXT)
    assert sorted(found.readers) == [
        "later (GeminiBatchSplitOutputOperator)", "mapped_split (GeminiBatchSplitOutputOperator)",
        "resubmit (GeminiBatchResubmitFailedOperator)", "split (GeminiBatchSplitOutputOperator)"]
    assert sorted((use.bucket, use.uri) for use in found.uses) == [
        ("final", "gs://final/2026-01-02"), ("res", "gs://res/2026-01-02/split"),
        ("shards", "gs://shards/2026-01-02/shard-3")]
    (note,) = found.notes
    assert note.startswith("The results folder of later (GeminiBatchSplitOutputOperator) is only known when it runs")


def test_a_missing_result_bucket_downstream_stops_the_create_naming_the_task_and_bucket() -> None:
    submit, _ = pipeline()
    storage, log = FakeStorage({"res": "missing"}), Log()
    with pytest.raises(GeminiBatchPreflightError) as caught:
        check_destinations(submit, CONTEXT, storage, "gs://out/2026-01-02/output", log)  # type: ignore[arg-type]
    (problem,) = caught.value.problems
    assert problem.startswith("split's destination_prefix gs://res/2026-01-02/split: the bucket gs://res does not "
                              "exist; create it, or change the destination_prefix of split")
    assert sorted(storage.looked_up) == ["final", "out", "res", "shards"], "each bucket looked up once"


def test_a_bucket_that_cannot_be_looked_up_is_only_a_warning() -> None:
    submit, _ = pipeline()
    log = Log()
    check_destinations(submit, CONTEXT, FakeStorage({"out": "forbidden"}), "gs://out/o", log)  # type: ignore[arg-type]
    assert [level for level, _ in log.lines] == ["warning", "info"]
    assert "gs://out" in log.lines[0][1] and "storage.buckets.get" in log.lines[0][1]


def test_a_bigquery_output_with_a_split_downstream_is_refused_before_the_create() -> None:
    # templated, so that the split's parse-time check cannot see it: the run-time pre-flight must
    submit, _ = pipeline(output="{{ 'bq://project.dataset.table' }}")
    with pytest.raises(GeminiBatchPreflightError, match=r"bq://project.dataset.table is a BigQuery table, but "):
        check_destinations(submit, CONTEXT, FakeStorage({}), "bq://project.dataset.table", Log())  # type: ignore[arg-type]


def test_a_submit_task_without_a_dag_checks_only_its_own_output() -> None:
    submit = GeminiBatchSubmitJobOperator(task_id="alone", input_uris="gs://b/in.jsonl", output_uri_prefix="gs://o/x")
    storage = FakeStorage({})
    check_destinations(submit, {}, storage, "gs://o/x", Log())  # type: ignore[arg-type]
    assert storage.looked_up == ["o"]
