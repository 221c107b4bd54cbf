"""The split against an in-memory row source and result sink: the seam needs no storage at all."""

from __future__ import annotations

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError, GeminiBatchOutputError
from airflow_batch_gemini.output.split import split_job_output
from airflow_batch_gemini.package_files import INPUT_KIND, REJECTS_KIND, RESULT_KIND, package_file_metadata
from tests.memory_rows import MemoryRows, lines
from tests.seed import FAILURE_ROW, SUCCESS_ROW

RESULTS = {"succeeded_uri": "mem://r/succeeded", "failed_uri": "mem://r/failed", "missing_uri": "mem://r/missing"}
COUNTED = ("succeeded", "failed", "missing", "input_rows", "total", "reconciled", "unexpected_rows",
           "duplicate_rows", "files_read")


def ok(key: str) -> dict:
    return {**SUCCESS_ROW, "key": key}


def bad(key: str) -> dict:
    return {**FAILURE_ROW, "key": key}


def split(rows: MemoryRows, input_uris: list[str], **kwargs) -> dict:
    return dict(split_job_output(rows, rows, output_directory="mem://out", results=RESULTS, input_uris=input_uris,
                                 **kwargs))


def test_every_input_row_ends_in_exactly_one_result() -> None:
    rows = MemoryRows(
        {"mem://in": lines({"key": "a"}, {"key": "b"}, {"key": "c"}, {"key": "d"}),
         "mem://out/1": lines(ok("a"), bad("b")) + b"\n", "mem://out/2": lines(ok("d")).rstrip(b"\n")},
        {"mem://out": ["mem://out/1", "mem://out/2"]},
    )
    summary = split(rows, ["mem://in"], completion_stats={"succeeded": 2, "failed": 1, "incomplete": 1})
    assert {name: summary[name] for name in COUNTED} == {
        "succeeded": 2, "failed": 1, "missing": 1, "input_rows": 4, "total": 3, "reconciled": True,
        "unexpected_rows": 0, "duplicate_rows": 0, "files_read": 2}
    assert summary["disagreements"] == []
    assert {name: summary[name] for name in RESULTS} == RESULTS
    assert rows.parts["mem://r/succeeded"] == lines(ok("a"), ok("d")), "successes byte for byte, line break added"
    failed = rows.rows("mem://r/failed")
    assert [row["key"] for row in failed] == ["b"]
    assert failed[0]["parsed_error"] == {"code": 400, "status": "INVALID_ARGUMENT",
                                         "message": "Please use a valid role: user, model."}
    assert rows.parts["mem://r/missing"] == lines({"key": "c"}), "the missing input line, as it was"
    assert summary["failures_by_status"] == {"INVALID_ARGUMENT": 1} and summary["failures_by_code"] == {"400": 1}
    assert summary["token_usage"]["total_tokens"] == 2 * 29216


def test_a_second_answer_is_left_out_and_a_row_of_no_input_row_is_kept() -> None:
    rows = MemoryRows({"mem://in": lines({"key": "a"}), "mem://out/1": lines(ok("a"), bad("a"), ok("z"))},
                      {"mem://out": ["mem://out/1"]})
    summary = split(rows, ["mem://in"])
    assert (summary["succeeded"], summary["failed"], summary["missing"]) == (2, 0, 0)
    assert (summary["duplicate_rows"], summary["unexpected_rows"]) == (1, 1)
    assert rows.parts["mem://r/succeeded"] == lines(ok("a"), ok("z"))
    assert rows.parts["mem://r/failed"] == rows.parts["mem://r/missing"] == b""
    assert summary["disagreements"] == ["1 output row(s) match no input row (kept in their result file)",
                                        "1 output row(s) answer an input row a second time (left out)"]


def test_without_input_rows_are_split_not_reconciled_and_the_input_is_not_read_again() -> None:
    rows = MemoryRows({"mem://out/1": lines(ok("a"), ok("a")) + b"not json\n"}, {"mem://out": ["mem://out/1"]})
    summary = split(rows, [])
    assert (summary["succeeded"], summary["failed"], summary["missing"]) == (2, 1, 0)
    assert (summary["input_rows"], summary["reconciled"], summary["duplicate_rows"]) == (None, False, 0)
    assert rows.parts["mem://r/failed"] == b"not json\n", "a line that is not JSON is kept as it is"
    assert rows.parts["mem://r/missing"] == b""
    assert rows.reads == ["mem://out/1"]


def test_the_input_is_read_twice_only_when_rows_are_missing() -> None:
    rows = MemoryRows({"mem://in": lines({"key": "a"}), "mem://out/1": lines(ok("a"))}, {"mem://out": ["mem://out/1"]})
    split(rows, ["mem://in"])
    assert rows.reads == ["mem://in", "mem://out/1"]


def test_own_results_are_never_read_back_and_an_empty_output_is_an_error() -> None:
    rows = MemoryRows({"mem://r/succeeded": lines(ok("a"))}, {"mem://out": ["mem://r/succeeded"]})
    with pytest.raises(GeminiBatchOutputError, match=r"No \*.jsonl file under mem://out"):
        split(rows, [])
    assert "mem://r/failed" not in rows.parts, "nothing is written"


def test_the_three_results_are_marked_as_result_files() -> None:
    rows = MemoryRows({"mem://in": lines({"key": "a"}), "mem://out/1": lines(bad("a"))}, {"mem://out": ["mem://out/1"]})
    split(rows, ["mem://in"])
    assert rows.kinds == dict.fromkeys(RESULTS.values(), RESULT_KIND)


@pytest.mark.parametrize("kind", [RESULT_KIND, REJECTS_KIND])
def test_a_package_file_other_than_an_input_is_refused_as_input_and_never_counted(kind: str) -> None:
    parts = {"mem://in": lines({"key": "a"}), "mem://old/failed": lines({"key": "b"}), "mem://out/1": lines(ok("a"))}
    rows = MemoryRows(parts, {"mem://out": ["mem://out/1"]}, metadata={"mem://old/failed": package_file_metadata(kind)})
    with pytest.raises(GeminiBatchConfigurationError, match=rf"Input mem://old/failed is a {kind} file") as raised:
        split(rows, ["mem://in", "mem://old/failed"])
    assert "airflow-batch-gemini-file" in str(raised.value) and "input_uris" in str(raised.value)
    assert rows.reads == [], "nothing read, nothing counted"
    assert not rows.kinds, "nothing written"


def test_a_round_input_and_a_users_own_object_are_inputs() -> None:
    parts = {"mem://in": lines({"key": "a"}), "mem://round/input": lines({"key": "b"}),
             "mem://out/1": lines(ok("a"), ok("b"))}
    metadata = {"mem://round/input": package_file_metadata(INPUT_KIND), "mem://in": {"owner": "me"}}
    summary = split(MemoryRows(parts, {"mem://out": ["mem://out/1"]}, metadata=metadata),
                    ["mem://in", "mem://round/input"])
    assert (summary["input_rows"], summary["succeeded"], summary["missing"]) == (2, 2, 0)


def test_the_destination_is_checked_before_anything_is_read() -> None:
    rows = MemoryRows({"mem://in": lines({"key": "a"}), "mem://out/1": lines(ok("a"))}, {"mem://out": ["mem://out/1"]},
                      unwritable=["mem://r/"])
    with pytest.raises(GeminiBatchConfigurationError, match="cannot write"):
        split(rows, ["mem://in"])
    assert rows.reads == [] and not rows.kinds
