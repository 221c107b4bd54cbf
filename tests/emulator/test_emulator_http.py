"""The emulator over plain HTTP: wire format, errors, garbage, lifecycle, faults, admin endpoints."""

from __future__ import annotations

import json
import random
import time
import uuid
from typing import Any

import pytest

from tests.emulator.helpers import LOCATION, PARENT, PROJECT, RawApi, job_body, text_line

RESERVED = "Bad Request: "


def test_pending_job_wire_format(api: RawApi, upload: Any, prefix: str) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line("a")])
    job = api.create(job_body(source, f"{prefix}/out", {"emulator-queue-seconds": "60"}))
    assert job["state"] == "JOB_STATE_QUEUED"
    assert "completionStats" not in job and "startTime" not in job and "endTime" not in job
    assert job["createTime"].endswith("Z") and job["updateTime"].endswith("Z")
    assert job["inputConfig"]["gcsSource"]["uris"] == [source]  # a string became a list
    status, with_ints = api.request("GET", f"v1/{job['name']}?$alt=json;enum-encoding=int")
    assert status == 200 and with_ints["state"] == 1
    api.request("POST", f"v1/{job['name']}:cancel")


def test_completion_stats_are_int64_strings_and_grow(api: RawApi, upload: Any, prefix: str) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line(f"q{i}", id=f"r{i}") for i in range(6)])
    body = job_body(source, f"{prefix}/out", {"emulator-run-seconds": "2", "emulator-row-failure": "503-20"})
    job = api.create(body)
    running = api.wait(job["name"], {"JOB_STATE_RUNNING"})
    assert running["completionStats"]["incompleteCount"] in {"1", "2", "3", "4", "5", "6"}
    seen = {running["completionStats"]["incompleteCount"]}
    finished = api.wait(job["name"])
    stats = finished["completionStats"]
    assert finished["state"] == "JOB_STATE_SUCCEEDED"
    assert int(stats.get("successfulCount", "0")) + int(stats.get("failedCount", "0")) == 6
    assert all(isinstance(value, str) for value in stats.values())
    assert "incompleteCount" not in stats and seen


def test_v1beta1_and_snake_case_body(api: RawApi, upload: Any, prefix: str) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line("a")])
    body = {
        "display_name": "snake",
        "model": "gemini-2.5-flash",
        "input_config": {"instances_format": "jsonl", "gcs_source": {"uris": source}},
        "output_config": {"predictions_format": "jsonl", "gcs_destination": {"output_uri_prefix": f"{prefix}/o"}},
        "labels": {"snake_key": "v"},
    }
    status, job = api.request("POST", f"v1beta1/{PARENT}/batchPredictionJobs", body)
    assert status == 200, job
    assert job["displayName"] == "snake" and job["labels"] == {"snake_key": "v"}
    assert job["model"] == "publishers/google/models/gemini-2.5-flash"
    assert api.wait(job["name"])["state"] == "JOB_STATE_SUCCEEDED"


@pytest.mark.parametrize(
    ("mutate", "status", "fragment"),
    [
        (lambda b: b.pop("displayName"), "INVALID_ARGUMENT", "display_name"),
        (lambda b: b.pop("model"), "INVALID_ARGUMENT", "model"),
        (lambda b: b.pop("inputConfig"), "INVALID_ARGUMENT", "input_config"),
        (lambda b: b.pop("outputConfig"), "INVALID_ARGUMENT", "output_config"),
        (lambda b: b["inputConfig"].update(instancesFormat="csv"), "INVALID_ARGUMENT", "csv"),
        (lambda b: b["outputConfig"].update(predictionsFormat="tf-record"), "INVALID_ARGUMENT", "tf-record"),
        (lambda b: b.update(displayName=5), "INVALID_ARGUMENT", "display_name"),
        (lambda b: b.update(labels={"Bad": "x"}), "INVALID_ARGUMENT", "label"),
        (lambda b: b.update(labels={"emulator-outcome": "exploded"}), "INVALID_ARGUMENT", "emulator-outcome"),
        (lambda b: b.update(unknownField=1), "INVALID_ARGUMENT", "unknownField"),
        (lambda b: b["inputConfig"]["gcsSource"].update(uris=[]), "INVALID_ARGUMENT", "uris"),
        (lambda b: b["inputConfig"]["gcsSource"].update(uris="s3://x/y"), "INVALID_ARGUMENT", "s3://"),
        (lambda b: b.update(model="publishers/google/models/gemini-9-ultra"), "NOT_FOUND", "gemini-9-ultra"),
        (lambda b: b.update(model="publishers/anthropic/models/claude"), "NOT_FOUND", "claude"),
    ],
)
def test_bad_create_bodies(api: RawApi, mutate: Any, status: str, fragment: str) -> None:
    body = job_body("gs://bucket-x/in.jsonl", "gs://bucket-x/out")
    mutate(body)
    code, answer = api.request("POST", f"v1/{PARENT}/batchPredictionJobs", body)
    assert answer["error"]["status"] == status
    assert code == answer["error"]["code"] == (404 if status == "NOT_FOUND" else 400)
    assert fragment in answer["error"]["message"]


def test_tuned_models_and_bigquery_destination(api: RawApi, upload: Any, prefix: str) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line("a")])
    body = job_body(source, f"{prefix}/out", model=f"projects/{PROJECT}/locations/{LOCATION}/models/123")
    body["outputConfig"] = {"predictionsFormat": "bigquery",
                            "bigqueryDestination": {"outputUri": "bq://my-project.dataset1.table1"}}
    job = api.wait(api.create(body)["name"])
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    assert job["model"] == f"projects/{PROJECT}/locations/{LOCATION}/models/123"
    assert job["outputInfo"] == {"bigqueryOutputDataset": "bq://my-project.dataset1", "bigqueryOutputTable": "table1"}


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(7 if depth < 4 else 4)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, -1, 2**70, 1.5, float("1e308")])
    if kind == 2:
        return "".join(chr(rng.randrange(32, 0x2FF)) for _ in range(rng.randrange(8)))
    if kind == 3:
        return rng.choice(["jsonl", "gs://b/x", "gemini-2.5-flash", "bq://p.d.t", ""])
    if kind == 4:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(3))]
    keys = ["displayName", "model", "inputConfig", "outputConfig", "gcsSource", "uris", "instancesFormat",
            "predictionsFormat", "gcsDestination", "outputUriPrefix", "labels", "x"]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randrange(5))}


def test_garbage_never_crashes_the_server(api: RawApi) -> None:
    rng = random.Random(1234)
    bodies: list[bytes] = [bytes(rng.randrange(256) for _ in range(rng.randrange(200))) for _ in range(60)]
    bodies += [json.dumps(random_json(rng)).encode() for _ in range(200)]
    bodies += [b"[" * 100_000, b'{"a":' * 5000, b"\xff\xfe", b"null", b"[]", b'"x"', b"1e999999"]
    paths = [f"v1/{PARENT}/batchPredictionJobs", f"v1/{PARENT}/batchPredictionJobs/123:cancel",
             f"v1beta1/{PARENT}/batchPredictionJobs/abc:cancel"]
    for index, body in enumerate(bodies):
        status, answer = api.request("POST", paths[index % len(paths)], body)
        assert status in (200, 400, 404), (status, body[:80])
        if status != 200:
            error = answer["error"]
            assert set(error) == {"code", "message", "status"} and error["code"] == status
    status, health = api.admin("GET", "healthz")
    assert status == 200 and health == {"status": "ok"}


@pytest.mark.parametrize(
    "path",
    [
        f"v1/{PARENT}/batchPredictionJobs/1234567890123456789",
        f"v1/{PARENT}/batchPredictionJobs/1234567890123456789:cancel",
        "v1/projects/p/locations/l/somethingElse",
        "v2/whatever",
    ],
)
def test_unknown_things_are_google_style_404s(api: RawApi, path: str) -> None:
    method = "POST" if path.endswith(":cancel") else "GET"
    status, answer = api.request(method, path, {} if method == "POST" else None)
    assert status == 404 and answer["error"]["status"] == "NOT_FOUND"


def test_list_filters_and_pagination(api: RawApi, upload: Any, prefix: str) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line("a")])
    marker = uuid.uuid4().hex[:8]
    jobs = [api.create(job_body(source, f"{prefix}/o", {"m": marker, "n": str(i)}, displayName=f"f-{marker}-{i}"))
            for i in range(5)]
    base = f"v1/{PARENT}/batchPredictionJobs"

    def names(filter_text: str, page_size: int = 100) -> list[str]:
        collected: list[str] = []
        token = ""
        while True:
            query = f"?pageSize={page_size}&filter={filter_text}" + (f"&pageToken={token}" if token else "")
            status, page = api.request("GET", base + query.replace(" ", "%20").replace('"', "%22"))
            assert status == 200, page
            collected += [job["name"] for job in page.get("batchPredictionJobs", [])]
            token = page.get("nextPageToken", "")
            if not token:
                return collected

    everything = names(f"labels.m={marker}", page_size=2)
    assert everything == [job["name"] for job in reversed(jobs)]  # newest first, across three pages
    assert names(f'display_name="f-{marker}-3"') == [jobs[3]["name"]]
    assert names(f"labels.m={marker} AND labels.n!=3 AND NOT labels.n=4") == [jobs[i]["name"] for i in (2, 1, 0)]
    assert names(f"labels.m={marker} AND (labels.n=1 OR labels.n=2)") == [jobs[2]["name"], jobs[1]["name"]]
    for job in jobs:
        api.wait(job["name"])
    assert len(names(f"labels.m={marker} AND state=JOB_STATE_SUCCEEDED")) == 5
    for broken in ["labels.m=", "state=NOPE", "colour=red", "display_name<x", '"unterminated']:
        status, answer = api.request("GET", base + "?filter=" + broken.replace('"', "%22"))
        assert status == 400 and answer["error"]["status"] == "INVALID_ARGUMENT", broken
    status, answer = api.request("GET", base + "?pageToken=garbage!")
    assert status == 400


def test_cancel_exports_rows_finished_so_far(api: RawApi, upload: Any, prefix: str, read_rows: Any) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line(f"q{i}", key=f"k{i}") for i in range(40)])
    job = api.create(job_body(source, f"{prefix}/out", {"emulator-rows-per-second": "10"}))
    name = job["name"]
    deadline = time.monotonic() + 30
    while int(api.get(name).get("completionStats", {}).get("successfulCount", "0")) < 3:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    status, answer = api.request("POST", f"v1/{name}:cancel", b"")
    assert (status, answer) == (200, {})
    final = api.wait(name)
    assert final["state"] == "JOB_STATE_CANCELLED"
    assert final["error"] == {"code": 1, "message": "CANCELED"}
    done = int(final["completionStats"]["successfulCount"])
    assert 3 <= done < 40 and int(final["completionStats"]["incompleteCount"]) == 40 - done
    rows = read_rows(final["outputInfo"]["gcsOutputDirectory"])
    assert len(rows) == done and all(row["status"] == "" for row in rows)
    assert len({row["key"] for row in rows}) == done
    status, answer = api.request("POST", f"v1/{name}:cancel", {})
    assert status == 400 and answer["error"]["status"] == "FAILED_PRECONDITION"


@pytest.mark.parametrize(
    ("content", "code", "fragment"),
    [
        (b"this is not json\n", 3, "not valid JSON"),
        (b'{"request": {"contents": [{"role": "user", "parts": [{"text": "a"}]}], "tools": [{}]}}\n', 3, "empty"),
        (b"{}\n", 3, "empty"),
        (b"[1, 2]\n", 3, "object"),
        (b"\n\n", 3, "no requests"),
        (("{" + '"a": {' * 16 + '"b": 1' + "}" * 17 + "\n").encode(), 3, "nested"),
        (b'{"request": {"contents": []}, "key": "a"}\n{"request": {"contents": []}, "key": 1}\n', 3, "key"),
    ],
)
def test_input_the_importer_rejects_fails_the_job(
    api: RawApi, upload: Any, prefix: str, content: bytes, code: int, fragment: str
) -> None:
    source = upload(f"{prefix}/in.jsonl", content)
    job = api.wait(api.create(job_body(source, f"{prefix}/out"))["name"])
    assert job["state"] == "JOB_STATE_FAILED"
    assert job["error"]["code"] == code and fragment in job["error"]["message"]
    assert "gcsOutputDirectory" in job["outputInfo"]


def test_missing_input_or_output_bucket_fails_with_code_9(api: RawApi, upload: Any, prefix: str) -> None:
    missing = api.wait(api.create(job_body(f"{prefix}/nothing-here.jsonl", f"{prefix}/out"))["name"])
    assert missing["state"] == "JOB_STATE_FAILED" and missing["error"]["code"] == 9
    no_match = api.wait(api.create(job_body(f"{prefix}/nothing-*.jsonl", f"{prefix}/out"))["name"])
    assert no_match["error"]["code"] == 9
    source = upload(f"{prefix}/in.jsonl", [text_line("a")])
    no_bucket = api.wait(api.create(job_body(source, "gs://no-such-bucket-here/out"))["name"])
    assert no_bucket["state"] == "JOB_STATE_FAILED" and no_bucket["error"]["code"] == 9


def test_wildcards_and_several_uris(api: RawApi, upload: Any, prefix: str, read_rows: Any) -> None:
    upload(f"{prefix}/part-1.jsonl", [text_line("one", id="a1")])
    upload(f"{prefix}/part-2.jsonl", [text_line("two", id="a2"), text_line("three", id="a3")])
    single = upload(f"{prefix}/single.jsonl", [text_line("four", id="a4")])
    job = api.wait(api.create(job_body([f"{prefix}/part-*.jsonl", single], f"{prefix}/out"))["name"])
    assert job["completionStats"]["successfulCount"] == "4"
    assert sorted(row["id"] for row in read_rows(job["outputInfo"]["gcsOutputDirectory"])) == ["a1", "a2", "a3", "a4"]


@pytest.mark.parametrize(
    ("outcome", "state", "error_code"),
    [
        ("failed", "JOB_STATE_FAILED", 13),
        ("expired", "JOB_STATE_EXPIRED", None),
        ("cancelled", "JOB_STATE_CANCELLED", 1),
        ("partially-succeeded", "JOB_STATE_PARTIALLY_SUCCEEDED", None),
    ],
)
def test_outcome_labels(api: RawApi, upload: Any, prefix: str, outcome: str, state: str, error_code: Any) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line(f"q{i}") for i in range(4)])
    job = api.wait(api.create(job_body(source, f"{prefix}/out", {"emulator-outcome": outcome}))["name"])
    assert job["state"] == state
    assert job.get("error", {}).get("code") == error_code
    assert "gcsOutputDirectory" in job["outputInfo"]


def test_paused_job_waits_for_resume(api: RawApi, upload: Any, prefix: str, read_rows: Any) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line(f"q{i}") for i in range(4)])
    job = api.create(job_body(source, f"{prefix}/out", {"emulator-outcome": "paused"}))
    paused = api.wait(job["name"], {"JOB_STATE_PAUSED"})
    assert paused["completionStats"] == {"successfulCount": "2", "incompleteCount": "2"}
    assert api.get(job["name"])["state"] == "JOB_STATE_PAUSED"
    status, resumed = api.admin("POST", f"jobs/{job['name'].rsplit('/', 1)[-1]}:resume")
    assert status == 200 and resumed["state"] == "JOB_STATE_RUNNING"
    final = api.wait(job["name"])
    assert final["state"] == "JOB_STATE_SUCCEEDED"
    assert len(read_rows(final["outputInfo"]["gcsOutputDirectory"])) == 4


def test_row_failures_by_label(api: RawApi, upload: Any, prefix: str, read_rows: Any) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line(f"q{i}", key=f"k{i}") for i in range(200)])
    job = api.wait(api.create(job_body(source, f"{prefix}/out", {"emulator-row-failure": "429-50"}))["name"])
    rows = read_rows(job["outputInfo"]["gcsOutputDirectory"])
    failed = [row for row in rows if row["status"]]
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    assert int(job["completionStats"]["failedCount"]) == len(failed)
    assert 60 < len(failed) < 140
    assert all(row["status"].startswith('Too Many Requests: {"error": {"code": 429, "message": ') for row in failed)
    assert all(row["status"].endswith('"status": "RESOURCE_EXHAUSTED"}}') and row["response"] == {} for row in failed)
    assert [row["key"] for row in rows] != [f"k{i}" for i in range(200)]  # shuffled


def test_every_row_failing_fails_the_job(api: RawApi, upload: Any, prefix: str) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line("a", role="tester"), text_line("b", role="robot")])
    job = api.wait(api.create(job_body(source, f"{prefix}/out"))["name"])
    assert job["state"] == "JOB_STATE_FAILED" and job["error"]["code"] == 3
    forced = api.wait(api.create(job_body(source, f"{prefix}/out", {"emulator-outcome": "succeeded"}))["name"])
    assert forced["state"] == "JOB_STATE_SUCCEEDED"


def test_api_faults_by_label_and_stats(api: RawApi, upload: Any, prefix: str) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line("a")])
    job = api.create(job_body(source, f"{prefix}/out", {"emulator-api-fault-get": "503-first-2"}))
    before = api.admin("GET", "stats")[1]
    answers = [api.request("GET", f"v1/{job['name']}") for _ in range(3)]
    assert [status for status, _ in answers] == [503, 503, 200]
    assert answers[0][1]["error"]["status"] == "UNAVAILABLE"
    after = api.admin("GET", "stats")[1]
    assert after["calls"]["get"] - before["calls"]["get"] == 3
    assert after["faults"]["get"] - before["faults"].get("get", 0) == 2
    assert sum(after["jobsByState"].values()) == after["jobs"]


def test_admin_set_state_and_unknown_jobs(api: RawApi, upload: Any, prefix: str) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line("a")])
    job = api.create(job_body(source, f"{prefix}/out", {"emulator-run-seconds": "60"}))
    job_id = job["name"].rsplit("/", 1)[-1]
    status, forced = api.admin("POST", f"jobs/{job_id}:set-state", {"state": "JOB_STATE_FAILED"})
    assert status == 200 and forced["state"] == "JOB_STATE_FAILED" and forced["error"]["code"] == 13
    assert api.get(job["name"])["endTime"]
    assert api.admin("POST", "jobs/1:resume")[0] == 404
    assert api.admin("POST", f"jobs/{job_id}:resume")[0] == 400
    assert api.admin("POST", f"jobs/{job_id}:set-state", {"state": "JOB_STATE_NONSENSE"})[0] == 400
    status, record = api.admin("GET", f"jobs/{job_id}")
    assert status == 200 and record["name"] == job["name"]


def test_create_fault_label_counts_attempts_per_display_name(api: RawApi, upload: Any, prefix: str) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line("a")])
    body = job_body(source, f"{prefix}/out", {"emulator-api-fault-create": "429-first-1"})
    status, answer = api.request("POST", f"v1/{PARENT}/batchPredictionJobs", body)
    assert status == 429 and answer["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert api.create(body)["displayName"] == body["displayName"]  # the retry goes through
    bad = job_body(source, f"{prefix}/out", {"emulator-api-fault-list": "50"})
    assert api.request("POST", f"v1/{PARENT}/batchPredictionJobs", bad)[0] == 400


def test_forcing_a_queued_job_to_running_runs_it(api: RawApi, upload: Any, prefix: str) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line("a"), text_line("b")])
    job = api.create(job_body(source, f"{prefix}/out", {"emulator-queue-seconds": "600"}))
    job_id = job["name"].rsplit("/", 1)[-1]
    status, _ = api.admin("POST", f"jobs/{job_id}:set-state", {"state": "JOB_STATE_RUNNING"})
    assert status == 200
    final = api.wait(job["name"])
    assert final["state"] == "JOB_STATE_SUCCEEDED" and final["completionStats"] == {"successfulCount": "2"}


def test_many_jobs_and_hundreds_of_concurrent_pollers(api: RawApi, upload: Any, prefix: str) -> None:
    import asyncio

    import aiohttp

    source = upload(f"{prefix}/in.jsonl", [text_line(f"q{i}") for i in range(20)])
    names = [api.create(job_body(source, f"{prefix}/out"))["name"] for _ in range(20)]

    async def poll_all() -> dict[str, str]:
        states: dict[str, str] = {}
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=300)) as session:

            async def poll(name: str) -> tuple[int, str]:
                async with session.get(f"{api.base_url}/v1/{name}") as response:
                    return response.status, (await response.json())["state"]

            while len(states) < len(names) or not set(states.values()) <= {"JOB_STATE_SUCCEEDED"}:
                answers = await asyncio.gather(*(poll(names[i % len(names)]) for i in range(300)))
                assert all(status == 200 for status, _ in answers)
                for index, (_, state) in enumerate(answers):
                    states[names[index % len(names)]] = state
        return states

    assert set(asyncio.run(asyncio.wait_for(poll_all(), 120)).values()) == {"JOB_STATE_SUCCEEDED"}


def test_create_lost_fault_creates_the_job_but_loses_the_answer(api: RawApi, upload: Any, prefix: str) -> None:
    source = upload(f"{prefix}/in.jsonl", [text_line("a")])
    body = job_body(source, f"{prefix}/out", {"emulator-api-fault-create-lost": "503-first-1"})
    before = api.admin("GET", "stats")[1]
    status, answer = api.request("POST", f"v1/{PARENT}/batchPredictionJobs", body)
    assert status == 503 and answer["error"]["status"] == "UNAVAILABLE"
    after = api.admin("GET", "stats")[1]
    assert after["calls"]["create"] - before["calls"]["create"] == 1
    status, page = api.request("GET", f"v1/{PARENT}/batchPredictionJobs?filter=display_name%3D{body['displayName']}")
    assert status == 200 and len(page["batchPredictionJobs"]) == 1  # the job exists all the same
