"""The bounds of hostile input on the input side: over-long lines never held (:class:`OverlongLine`), deep
nesting refused before a recursive decoder sees it, a line larger than a file refused, compressed objects."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

import orjson
import pytest
from msgspec import inspect

from airflow_batch_gemini.bounds import (
    MAX_JSON_DEPTH,
    compressed_object_refusal,
    deep_lines,
    nesting_depth,
    nesting_depth_over,
    unescaped,
)
from airflow_batch_gemini.input.fast_tier import FAMILIES, line_decoders
from airflow_batch_gemini.input.repairs import EmptyToolRepairs, repair_line
from airflow_batch_gemini.input.request_lines import request_line_blocks
from airflow_batch_gemini.input.scanner import scan_blocks, scan_lines
from airflow_batch_gemini.input.sharding import ShardPlanner
from airflow_batch_gemini.lines import iter_line_blocks, stream_lines
from tests.input_lines import line, text_request
from tests.unit.test_lines import overlong


def valid(text: str = "hi") -> bytes:
    return (line(text_request(), key=text) + "\n").encode()


def test_the_scan_refuses_an_over_long_line_and_numbers_the_next_ones_right() -> None:
    long = valid("x" * 500)
    rejects: list[bytes] = []
    scan = scan_blocks(iter_line_blocks([valid("a"), long, valid("b") + b"{\n" + valid("c")], 100),
                       on_reject=rejects.append)
    assert scan.line_count == 5 and scan.row_count == 3
    assert [str(problem).split(":")[0] for problem in scan.problems] == ["line 2", "line 4"]
    line = long.removesuffix(b"\n")  # size and hash leave the line break out
    assert str(scan.problems[0]) == (f"line 2: is {len(line)} bytes long, over the limit of 100 bytes a line "
                                     "(max_line_bytes); split the request or raise max_line_bytes")
    first = orjson.loads(rejects[0])
    assert first == {"line": 2, "problems": [{"pointer": "", "message": scan.problems[0].message}],
                     "error": str(scan.problems[0]), "size": len(line),
                     "sha256": hashlib.sha256(line).hexdigest()}
    assert orjson.loads(rejects[1])["line"] == 4


DEEP = b'{"request": ' + b"[" * 3_000 + b"]" * 3_000 + b"}\n"
#: Free-form JSON 300 levels deep where the schema takes any value (a function call's arguments).
DEEP_ARGUMENTS = (line({"contents": [{"role": "user", "parts": [{"text": "call"}]},
                                     {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"a": 0}}}]}]})
                  .replace('"a": 0', '"a": ' + "[" * 300 + "]" * 300) + "\n").encode()


@pytest.mark.parametrize("deep, depth", [(DEEP, 3_001), (DEEP_ARGUMENTS, 308)])
@pytest.mark.parametrize("row_keys", [None, "key"])
def test_a_deep_line_is_a_problem_of_its_line_and_the_others_are_checked(deep: bytes, depth: int,
                                                                         row_keys: str | None) -> None:
    rejects: list[bytes] = []
    lines = [valid("a"), deep, valid("b"), valid("c")]
    scan = scan_lines(lines, on_reject=rejects.append, row_key_field=row_keys)
    assert [str(problem) for problem in scan.problems] == [
        f"line 2: nests {depth:,} levels deep, deeper than the {MAX_JSON_DEPTH} levels any line may take (users report "
        "that the batch importer refuses more than 15); flatten the request"
    ]
    assert scan.row_count == 3 and list(scan.invalid_lines) == [2]
    assert [orjson.loads(record)["line"] for record in rejects] == [2]


def test_a_group_of_the_first_tier_with_a_deep_line_later_on() -> None:
    lines = [valid(str(number)) for number in range(300)]
    lines[200] = DEEP_ARGUMENTS
    lines[100] = (line({"contents": [{"role": "user", "parts": [{"text": "t"}]}],
                        "tools": [{"functionDeclarations": [{"name": "f"}]}]}) + "\n").encode()
    scan = scan_lines(lines)
    assert list(scan.invalid_lines) == [201] and scan.row_count == 299


def _struct_depth(info: Any, seen: tuple[type, ...] = ()) -> int:
    """How deep a value the plain decoders take may nest; refuses free-form JSON, recursion and open Structs."""
    if isinstance(info, inspect.StructType):
        assert info.cls not in seen and info.forbid_unknown_fields, info.cls
        return 1 + max((_struct_depth(field.type, (*seen, info.cls)) for field in info.fields), default=0)
    if isinstance(info, (inspect.ListType, inspect.VarTupleType)):
        return 1 + _struct_depth(info.item_type, seen)
    if isinstance(info, inspect.DictType):
        return 1 + _struct_depth(info.value_type, seen)
    if isinstance(info, inspect.UnionType):
        return max(_struct_depth(member, seen) for member in info.types)
    assert not isinstance(info, (inspect.RawType, inspect.AnyType)), info
    return 0


def test_the_plain_decoders_that_see_lines_before_their_depth_is_checked_cannot_recurse() -> None:
    """The scan lets the plain decoders see a line before its depth is checked: they must describe a request
    of bounded depth, closed, with no free-form JSON (which msgspec would walk recursively)."""
    for family, decoder in zip(FAMILIES, line_decoders(("key",)), strict=True):
        if family.variant == "plain":
            assert _struct_depth(inspect.type_info(decoder.type)) <= MAX_JSON_DEPTH


def test_a_line_larger_than_a_whole_file_is_refused_and_no_file_is_over_the_limit() -> None:
    lines = [valid("a"), valid("b" * 300), valid("c")]
    limit = len(lines[0]) + len(lines[2])
    scan = scan_lines(lines, max_bytes_per_file=limit)
    assert [str(problem) for problem in scan.problems] == [
        f"line 2: is {len(lines[1])} bytes long as uploaded, more than a whole file may hold ({limit} bytes, "
        "max_bytes_per_file); split the request or raise max_bytes_per_file"
    ]
    assert [(shard.first_line, shard.last_line, shard.digest.size) for shard in scan.shards] == [(1, 3, limit)]


def test_the_record_of_a_line_too_large_once_keyed_is_of_the_line_as_the_source_has_it() -> None:
    lines = [(line(text_request(contents=[{"role": "user", "parts": [{"text": text}]}])) + "\n").encode()
             for text in ("a", "b" * 300, "c")]
    records: list[dict[str, Any]] = []
    scan = scan_lines(lines, max_bytes_per_file=len(lines[1]) + 5, row_key_field="key",
                      on_reject=lambda record: records.append(json.loads(record)))
    assert list(scan.invalid_lines) == [2], "too large once its key is added"
    source_line = lines[1].rstrip(b"\n")
    assert [(record["line"], record["size"], record["sha256"]) for record in records] == [
        (2, len(source_line), hashlib.sha256(source_line).hexdigest())
    ], "the hash finds the line in the source (sed -n 2p | tr -d '\\n' | sha256sum), not its keyed form"


def test_the_planner_never_plans_a_file_over_its_limit() -> None:
    with pytest.raises(ValueError, match="line 7 \\(11 bytes\\) is larger than a whole file \\(10 bytes\\)"):
        ShardPlanner(5, 10).add(7, b"x" * 11)


def test_repairs_pass_an_over_long_line_and_leave_a_deep_one() -> None:
    marker = overlong(b"x" * 20, 10)
    empty_tool = line({"contents": [{"role": "user", "parts": [{"text": "q"}]}],
                       "tools": [{"googleSearch": {}}]}) + "\n"
    repairs = EmptyToolRepairs()
    out = list(repairs.blocks([b"{}\n", marker, empty_tool.encode()]))
    assert out[:2] == [b"{}\n", marker] and b"excludeDomains" in out[2]
    assert [repair.line for repair in repairs.repairs] == [3]
    deep = ('{"request": {"tools": [{"googleSearch": {}}], "x": ' + "[" * 80 + "]" * 80 + "}}\n").encode()
    assert repair_line(deep) == (deep, [])


def test_requests_given_as_dicts_are_bounded_like_lines() -> None:
    items = [{"request": {"n": 1}}, {"request": {"text": "x" * 100}}, {"request": {"n": 3}}]
    blocks = list(request_line_blocks(items, 50))
    long = json.dumps(items[1], separators=(",", ":")).encode() + b"\n"
    assert list(stream_lines(blocks)) == [b'{"request":{"n":1}}\n', overlong(long, 50), b'{"request":{"n":3}}\n']


def test_deep_lines_counts_brackets_outside_strings_only() -> None:
    lines = [b"[]\n", b"[" * 70 + b"]" * 70 + b"\n", b'"' + b"[" * 70 + b'"\n', b"{" * 65]
    assert deep_lines(lines) == {1: 70, 3: 65}
    assert deep_lines([b"[" * 64 + b"]" * 64]) == {}


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


def _nested(rnd: random.Random, level: int = 0) -> Any:
    """A JSON value of up to 12 levels whose strings hold brackets, quotes and backslashes."""
    roll = rnd.random()
    if level >= 12 or roll < 0.3:
        return rnd.choice(['a\\"{[', "\\\\", 'x]}"', 1, None, '\\\\"[', ""])
    if roll < 0.65:
        return [_nested(rnd, level + 1) for _ in range(rnd.randint(0, 3))]
    return {f'k{index}"{{': _nested(rnd, level + 1) for index in range(rnd.randint(0, 3))}


def test_nesting_depth_is_the_depth_of_the_decoded_value_whatever_its_strings_hold() -> None:
    rnd = random.Random(17)
    for _ in range(500):
        value = _nested(rnd)
        assert nesting_depth(json.dumps(value).encode()) == _depth(value), value


@pytest.mark.parametrize(("raw", "depth"), [
    (b'["\\\\"]', 1),  # an escaped backslash, then the closing quote
    (b'["\\\\\\"]"]', 1),  # an escaped backslash and an escaped quote, then the closing one
    (b'[["\\"]]', 2),  # a string that never closes: its brackets are inside it
    (b"{" * 70 + b'"' + b'\\"' * 5000, 70),  # escaped quotes only: the string never closes
])
def test_nesting_depth_on_escapes_and_strings_that_never_close(raw: bytes, depth: int) -> None:
    assert nesting_depth(raw) == depth


def test_the_depth_check_looks_at_each_byte_once_however_many_escapes() -> None:
    raw = b"{" * 70 + b'"' + b'\\"' * 200_000  # an escape pattern took minutes (quadratic) and memory per byte
    assert unescaped(raw) == b"{" * 70 + b'"' + b"__" * 200_000, "same length, every quote left opens or closes"
    assert nesting_depth_over(raw) and nesting_depth(raw) == 70


@pytest.mark.parametrize("encoding", [None, "", "identity", " Identity "])
def test_objects_stored_as_they_read_are_taken(encoding: str | None) -> None:
    assert compressed_object_refusal("gs://b/o", encoding) is None


@pytest.mark.parametrize("encoding", ["gzip", "br", "GZIP"])
def test_compressed_objects_are_refused(encoding: str) -> None:
    refusal = compressed_object_refusal("gs://b/o.jsonl", encoding)
    assert refusal is not None
    assert refusal.startswith(f"gs://b/o.jsonl is stored compressed (Content-Encoding: {encoding.lower()})")
    assert "upload it again uncompressed" in refusal
