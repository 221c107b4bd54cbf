"""Unit tests of the emulator's pure parts: wire encoding, filters, rows, importer, faults, lifecycle."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_batch_local.emulator import jobs as lifecycle
from gemini_batch_local.emulator.faults import (
    Behaviour,
    FaultSpec,
    FaultSpecError,
    behaviour_for,
    parse_label_fault,
    parse_method_rates,
    parse_row_failure_flag,
    parse_row_failure_label,
    row_failure_code,
)
from gemini_batch_local.emulator.filters import FilterError, evaluate, parse_filter
from gemini_batch_local.emulator.inputs import ImportFailure, InputLine, parse_input
from gemini_batch_local.emulator.rows import (
    RowFailure,
    answer_row,
    build_response,
    default_responder,
    echo_request,
    part_keys,
)
from gemini_batch_local.emulator.validation import KNOWN_MODELS, normalise_model, parse_create_body, project_number
from gemini_batch_local.emulator.wire import (
    ApiError,
    camelize_keys,
    directory_timestamp,
    encode_state,
    parse_rfc3339,
    processed_time,
    prune_defaults,
    rfc3339,
)
from tests.seed import FAILURE_ROW, SEED, SEED_INPUT, SUCCESS_ROW

T0 = 1_730_484_796.826147  # 2024-11-01T18:13:16.826147Z


# -- wire ----------------------------------------------------------------------------------------
def test_timestamps() -> None:
    assert rfc3339(T0) == "2024-11-01T18:13:16.826147Z"
    assert rfc3339(1_730_484_796.0) == "2024-11-01T18:13:16Z"
    assert rfc3339(1_730_484_796.5) == "2024-11-01T18:13:16.500Z"
    assert directory_timestamp(T0) == "2024-11-01T18:13:16.826147Z"
    assert processed_time(T0) == "2024-11-01T18:13:16.826+00:00"
    assert parse_rfc3339("2024-11-01T18:13:16.826147Z") == pytest.approx(T0)
    with pytest.raises(ValueError):
        parse_rfc3339("2024-11-01T18:13:16")


def test_errors_and_enums() -> None:
    assert ApiError(5, "gone").body() == {"error": {"code": 404, "message": "gone", "status": "NOT_FOUND"}}
    assert ApiError(9, "no").http_status == 400
    assert encode_state("JOB_STATE_PARTIALLY_SUCCEEDED", True) == 11
    assert encode_state("JOB_STATE_RUNNING", False) == "JOB_STATE_RUNNING"


def test_prune_defaults_and_camelize() -> None:
    assert prune_defaults({"a": 0, "b": "", "c": None, "d": [], "e": {"f": False}, "g": "x", "h": 1}) == {
        "g": "x", "h": 1}
    assert camelize_keys({"display_name": 1, "labels": {"snake_key": "v"}, "gcs_source": {"output_uri_prefix": 2}}) \
        == {"displayName": 1, "labels": {"snake_key": "v"}, "gcsSource": {"outputUriPrefix": 2}}


def _job(**changes: Any) -> lifecycle.Job:
    job = lifecycle.Job(
        job_id="1234567890123456789", seq=1, project_number="123456789012", location="us-central1",
        display_name="d", model="publishers/google/models/gemini-2.5-flash",
        input_config={"instancesFormat": "jsonl", "gcsSource": {"uris": ["gs://b/i.jsonl"]}},
        output_config={"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": "gs://b/o"}},
        labels={}, seed=1, create_time=T0,
    )
    for key, value in changes.items():
        setattr(job, key, value)
    return job


def test_encode_job_omits_defaults_and_writes_int64_as_strings() -> None:
    pending = lifecycle.encode_job(_job())
    assert pending["state"] == "JOB_STATE_QUEUED"
    assert "completionStats" not in pending and "error" not in pending and "labels" not in pending
    assert pending["name"] == "projects/123456789012/locations/us-central1/batchPredictionJobs/1234567890123456789"
    running = lifecycle.encode_job(_job(state="JOB_STATE_RUNNING", total=5, successful=2, labels={"a": ""}), True)
    assert running["completionStats"] == {"successfulCount": "2", "incompleteCount": "3"}
    assert running["state"] == 3 and running["labels"] == {"a": ""}
    job = _job()
    assert lifecycle.Job.from_record(json.loads(json.dumps(job.to_record()))) == job


# -- filters -------------------------------------------------------------------------------------------
VIEW = {"display_name": "nightly-42", "model": "m", "state": "JOB_STATE_RUNNING",
        "labels": {"team": "ml", "env": "prod"}, "create_time": T0, "update_time": T0, "start_time": None,
        "end_time": None}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ('display_name="nightly-42"', True),
        ("display_name=nightly-42", True),
        ('display_name!="nightly-42"', False),
        ('display_name:"nightly-*"', True),
        ('displayName:"*-43"', False),
        ("state=JOB_STATE_RUNNING", True),
        ("state=RUNNING AND labels.team=ml", True),
        ("state!=JOB_STATE_RUNNING", False),
        ("labels.team:*", True),
        ("labels.owner:*", False),
        ("-labels.owner:*", True),
        ("labels.env=dev OR labels.env=prod", True),
        ("NOT (labels.env=dev OR labels.env=prod)", False),
        ("labels.team=ml labels.env=prod", True),
        ('create_time>"2024-11-01T00:00:00Z"', True),
        ('create_time<"2024-11-01T00:00:00Z"', False),
        ('end_time<"2030-01-01T00:00:00Z"', False),
    ],
)
def test_filter_evaluation(text: str, expected: bool) -> None:
    assert evaluate(parse_filter(text), VIEW) is expected


@pytest.mark.parametrize(
    "text", ["display_name", "foo=1", "state=BAD", "display_name<x", "((labels.a=b)", 'display_name="x',
             "create_time>2024-01-01T00:00:00Z", "labels.a=b)", "AND", "labels.=x", "state:RUNNING"])
def test_bad_filters(text: str) -> None:
    with pytest.raises(FilterError):
        parse_filter(text)


@given(st.text(max_size=60))
def test_filter_parser_only_raises_filter_errors(text: str) -> None:
    try:
        expr = parse_filter(text)
    except FilterError:
        return
    assert isinstance(evaluate(expr, VIEW), bool)


# -- rows -----------------------------------------------------------------------------------------
def _seed_request() -> dict[str, Any]:
    return json.loads(SEED_INPUT.read_text())["request"]


def test_success_row_has_the_seed_shape() -> None:
    request = _seed_request()
    row = answer_row(request, {"key": "a1"}, default_responder, "gemini-2.5-flash@default", part_keys([request]))
    seed = dict(SUCCESS_ROW)
    out = row.to_json(T0)
    assert list(out) == [*seed, "key"] and out["key"] == "a1"
    assert out["request"]["contents"] == seed["request"]["contents"]
    assert out["processed_time"] == "2024-11-01T18:13:16.826+00:00"
    assert row.ok and row.code == 0


def test_failure_row_is_exactly_the_seed() -> None:
    seed = dict(FAILURE_ROW)
    row = answer_row(seed["request"], {}, default_responder, "v", ("fileData", "text"))
    assert row.to_json(T0) == {**seed, "processed_time": processed_time(T0)}
    assert row.code == 400


def test_default_responder_is_deterministic_and_counts_tokens() -> None:
    request = {"contents": [{"role": "user", "parts": [{"text": "x" * 400}]}]}
    assert default_responder(request) == default_responder(json.loads(json.dumps(request)))
    assert default_responder(request) != default_responder({"contents": [{"parts": [{"text": "y"}]}]})
    response = build_response("a" * 40, request, "gemini-2.5-flash@default")
    usage = response["usageMetadata"]
    assert usage == {"candidatesTokenCount": 10, "promptTokenCount": 100, "totalTokenCount": 110}
    assert response["candidates"][0]["finishReason"] == "STOP" and -1.1 < response["candidates"][0]["avgLogprobs"] < 0
    capped = build_response("a" * 400, {**request, "generationConfig": {"maxOutputTokens": 5}}, "v")
    assert capped["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert capped["usageMetadata"]["candidatesTokenCount"] == 5


def test_echo_request_fills_part_columns_with_nulls() -> None:
    request = {"contents": [{"role": "user", "parts": [{"text": "a"}, {"inlineData": {"data": "x"}}]}]}
    echoed = echo_request(request, part_keys([request]))
    assert echoed["contents"][0]["parts"] == [{"inlineData": None, "text": "a"},
                                              {"inlineData": {"data": "x"}, "text": None}]
    assert request["contents"][0]["parts"][0] == {"text": "a"}  # the input is not modified


def test_injected_and_responder_failures() -> None:
    request = {"contents": [{"parts": [{"text": "a"}]}]}
    injected = answer_row(request, {}, default_responder, "v", ("text",), RowFailure(429, "slow down"))
    assert injected.status == ('Too Many Requests: {"error": {"code": 429, "message": "slow down", '
                               '"status": "RESOURCE_EXHAUSTED"}}')

    def broken(_request: dict[str, Any]) -> Any:
        raise RuntimeError("bug")

    assert answer_row(request, {}, broken, "v", ("text",)).code == 500
    assert answer_row(request, {}, lambda _r: 42, "v", ("text",)).code == 500
    assert answer_row(request, {}, lambda _r: {"candidates": []}, "v", ("text",)).response == {"candidates": []}


# -- importer -------------------------------------------------------------------------------------------
def test_importer_accepts_lines_and_keeps_extra_keys() -> None:
    lines = parse_input([("gs://b/1", b'{"request": {"a": 1}, "key": "k1"}\n\n'),
                         ("gs://b/2", b'{"request": {"a": 2}, "key": null}\n')])
    assert lines == [InputLine({"a": 1}, {"key": "k1"}), InputLine({"a": 2}, {"key": None})]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"nope\n", "line 1: not valid JSON"),
        (b'{"request": {}}\n', "empty JSON objects"),
        (b'"text"\n', "must be a JSON object"),
        (b"\xff\n", "not UTF-8"),
        (b"", "no requests"),
        (b'{"request": {"a": 1}, "bad-key": 1}\n', "column name"),
        (b'{"request": {"a": 1}, "n": 1}\n{"request": {"a": 1}, "n": "1"}\n', "is a string here but a number"),
        (("{" + '"a": {' * 15 + '"b": 1' + "}" * 16).encode(), "nested more than 15"),
        (b'{"request": {"a": ' + b"[" * 600 + b"]" * 600 + b"}}\n", "line 1: values are nested more than 64"),
        (b'{"request": {"a": 1}}\n{"request": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}\n",
         "line 2: values are nested more than 64"),
    ],
)
def test_importer_failures(content: bytes, fragment: str) -> None:
    with pytest.raises(ImportFailure) as caught:
        parse_input([("gs://b/in.jsonl", content)])
    assert fragment in str(caught.value)


def test_fifteen_levels_are_fine() -> None:
    assert len(parse_input([("u", ("{" + '"a": {' * 14 + '"b": 1' + "}" * 15).encode())])) == 1


# -- faults --------------------------------------------------------------------------------------------
def test_fault_specs() -> None:
    assert parse_label_fault("30") == FaultSpec(rate=0.3)
    assert parse_label_fault("503-30") == FaultSpec(rate=0.3, code=503)
    assert parse_label_fault("429-first-2") == FaultSpec(first=2, code=429)
    assert parse_method_rates("get=0.5, create=503:0.1") == {
        "get": FaultSpec(rate=0.5), "create": FaultSpec(rate=0.1, code=503)}
    assert parse_row_failure_flag("429=0.5,503=0.1") == ((429, 0.5), (503, 0.1))
    assert parse_row_failure_label("429-50_500-10") == ((429, 0.5), (500, 0.1))
    for bad in ("x", "150", "200-10", "first-"):
        with pytest.raises(FaultSpecError):
            parse_label_fault(bad)
    for bad in ("poll=0.1", "get=2", "get"):
        with pytest.raises(FaultSpecError):
            parse_method_rates(bad)
    with pytest.raises(FaultSpecError):
        parse_row_failure_label("429-60_503-60")


def test_fault_decisions_are_deterministic() -> None:
    spec = FaultSpec(rate=0.3)
    first = [spec.decide(7, "get:1", attempt) for attempt in range(1000)]
    assert first == [spec.decide(7, "get:1", attempt) for attempt in range(1000)]
    assert first != [spec.decide(8, "get:1", attempt) for attempt in range(1000)]
    hits = [code for code in first if code is not None]
    assert 230 < len(hits) < 370 and set(hits) == {429, 500, 503}
    assert [FaultSpec(first=2, code=503).decide(1, "s", n) for n in range(4)] == [503, 503, None, None]
    codes = [row_failure_code(1, "job", index, ((429, 0.5),)) for index in range(400)]
    assert 150 < codes.count(429) < 250 and codes.count(None) == 400 - codes.count(429)


def test_behaviour_from_labels() -> None:
    behaviour = behaviour_for(Behaviour(), {"emulator-outcome": "paused", "emulator-run-seconds": "30",
                                            "emulator-api-fault-get": "first-1", "team": "x"})
    assert behaviour.outcome == "paused" and behaviour.run_seconds == 30
    assert behaviour.api_faults == {"get": FaultSpec(first=1)}
    for labels in ({"emulator-outcome": "boom"}, {"emulator-run-seconds": "1_5"},
                   {"emulator-api-fault-poll": "10"}, {"emulator-api-fault-list": "10"},
                   {"emulator-rows-per-second": "0"}):
        with pytest.raises(FaultSpecError):
            behaviour_for(Behaviour(), labels)


# -- lifecycle -----------------------------------------------------------------------------------------
def test_timing() -> None:
    behaviour = Behaviour(queue_seconds=1.0, run_seconds=2.0, rows_per_second=10.0)
    assert [lifecycle.queue_state(t, behaviour) for t in (0, 0.6, 1.0)] == [
        "JOB_STATE_QUEUED", "JOB_STATE_PENDING", None]
    assert lifecycle.run_duration(4, behaviour) == 2.0 and lifecycle.run_duration(100, behaviour) == 10.0
    assert [lifecycle.rows_done(t, 4, behaviour) for t in (0, 0.5, 1.0, 1.99, 2.0, 9)] == [0, 1, 2, 3, 4, 4]
    assert lifecycle.processed_at(T0, 3, 4, behaviour) == T0 + 2.0
    assert lifecycle.outcome_trigger(5) == 2


def _rows(*codes: int) -> list[Any]:
    request = {"contents": [{"parts": [{"text": "a"}]}]}
    return [answer_row(request, {}, default_responder, "v", ("text",), RowFailure(code, "x") if code else None)
            for code in codes]


def test_final_state() -> None:
    assert lifecycle.final_state("auto", _rows(0, 429)) == ("JOB_STATE_SUCCEEDED", None)
    state, error = lifecycle.final_state("auto", _rows(429, 503))
    assert state == "JOB_STATE_FAILED" and error is not None and error["code"] == 8
    assert lifecycle.final_state("succeeded", _rows(429))[0] == "JOB_STATE_SUCCEEDED"
    assert lifecycle.final_state("partially-succeeded", _rows(0))[0] == "JOB_STATE_PARTIALLY_SUCCEEDED"
    assert len(lifecycle.failure_summaries(_rows(*[500] * 30))) == 20


def test_plan_rows_shuffles_deterministically() -> None:
    lines = [InputLine({"contents": [{"parts": [{"text": str(i)}]}]}, {"key": f"k{i}"}) for i in range(20)]
    job = _job()
    first = lifecycle.plan_rows(lines, job, Behaviour(), default_responder)
    again = lifecycle.plan_rows(lines, job, Behaviour(), default_responder)
    assert first == again
    keys = [row.extras["key"] for row in first]
    assert sorted(keys) == sorted(f"k{i}" for i in range(20)) and keys != [f"k{i}" for i in range(20)]


def test_output_directory_and_delete_operation() -> None:
    assert lifecycle.output_directory("gs://b/out/", T0) == "gs://b/out/prediction-model-2024-11-01T18:13:16.826147Z"
    operation = lifecycle.delete_operation(_job(), "42", "v1", T0)
    assert operation["done"] is True and operation["name"].endswith("/operations/42")
    assert operation["response"] == {"@type": "type.googleapis.com/google.protobuf.Empty"}


# -- validation ------------------------------------------------------------------------------------------
def test_models_and_project_numbers() -> None:
    assert normalise_model("gemini-2.5-flash", KNOWN_MODELS, "p", "l") == "publishers/google/models/gemini-2.5-flash"
    assert normalise_model("projects/p/locations/l/publishers/google/models/gemini-2.5-pro", KNOWN_MODELS, "p", "l") \
        == "publishers/google/models/gemini-2.5-pro"
    assert normalise_model("projects/p/locations/l/models/77", KNOWN_MODELS, "p", "l") == \
        "projects/p/locations/l/models/77"
    with pytest.raises(ApiError) as caught:
        normalise_model("gemini-1.0-nano", KNOWN_MODELS, "p", "l")
    assert caught.value.status == "NOT_FOUND"
    with pytest.raises(ApiError) as caught:
        normalise_model("Not A Model!", KNOWN_MODELS, "p", "l")
    assert caught.value.status == "INVALID_ARGUMENT"
    number = project_number("my-project")
    assert len(number) == 12 and number == project_number("my-project") != project_number("other")
    assert project_number("123456789012") == "123456789012"


def test_the_guides_create_body_is_accepted() -> None:
    body = json.loads((SEED / "create_request_body.json").read_text())
    spec = parse_create_body(body, KNOWN_MODELS, "p", "us-central1")
    assert spec.input_config["gcsSource"]["uris"] == ["gs://bucketname/path/to/file.jsonl"]
    assert spec.model == "publishers/google/models/gemini-2.5-flash"
