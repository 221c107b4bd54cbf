"""The opt-in repair of empty tools: what it rewrites, what it leaves alone, and that the result is valid."""

from __future__ import annotations

import json

import pytest

from airflow_batch_gemini.input.repairs import EmptyToolRepairs, ToolRepair, repair_line
from tests.input_lines import line, messages, text_request


def raw_line(request: dict[str, object], **extra: object) -> bytes:
    return (line(request, **extra) + "\n").encode()


def test_an_empty_google_search_becomes_a_null_field_in_either_spelling() -> None:
    raw = b'{"key": "k1", "request": {"contents": [], "tools": [{"googleSearch": {}}, {"google_search" : { } }]}}\n'
    repaired, repairs = repair_line(raw, 7)
    assert repaired == (b'{"key": "k1", "request": {"contents": [], "tools": [{"googleSearch": '
                        b'{"excludeDomains": null}}, {"google_search" : {"exclude_domains": null} }]}}\n')
    assert repairs == [
        ToolRepair(7, "/request/tools/0/googleSearch", '{"excludeDomains": null}'),
        ToolRepair(7, "/request/tools/1/google_search", '{"exclude_domains": null}'),
    ]
    assert [str(repair) for repair in repairs] == [
        'line 7: /request/tools/0/googleSearch: {} -> {"excludeDomains": null}',
        'line 7: /request/tools/1/google_search: {} -> {"exclude_domains": null}',
    ]


def test_a_repaired_line_is_valid_and_unrepaired_one_is_not() -> None:
    raw = raw_line(text_request(tools=[{"googleSearch": {}}]))
    assert len(messages(raw)) == 1
    repaired, _ = repair_line(raw)
    assert messages(repaired) == []
    assert json.loads(repaired)["request"]["tools"] == [{"googleSearch": {"excludeDomains": None}}]


@pytest.mark.parametrize(
    "raw",
    [
        raw_line(text_request(tools=[{"urlContext": {}}, {"codeExecution": {}}])),  # no known workaround
        raw_line(text_request(tools=[{"googleSearch": {"excludeDomains": ["a.com"]}}])),  # not empty
        raw_line({"contents": [{"role": "user", "parts": [{"text": '"googleSearch": {}'}]}]}),  # inside a string
        # the key holds {} outside the tools too: which bytes are the tool's is not sure, so nothing changes
        raw_line({"contents": [{"role": "model", "parts": [{"functionCall": {"name": "f",
                                                                              "args": {"googleSearch": {}}}}]}],
                  "tools": [{"googleSearch": {}}]}),
        b'{"request": {"tools": [{"googleSearch": {}}]',  # not JSON
        b'[{"googleSearch": {}}]\n',  # not an object
    ],
)
def test_what_is_left_as_it_is(raw: bytes) -> None:
    assert repair_line(raw, 3) == (raw, [])


def test_blocks_are_repaired_line_by_line_and_counted() -> None:
    plain = raw_line(text_request())
    empty = raw_line(text_request(tools=[{"googleSearch": {}}, {"google_search": {}}]))
    repairs = EmptyToolRepairs(max_kept=2)
    blocks = [plain * 3, plain + empty, empty + plain[:-1]]  # the last line lacks its line break
    out = list(repairs.blocks(blocks))
    assert out[0] is blocks[0], "a block without a repairable tool is passed on as it is"
    assert [len(block.splitlines()) for block in out] == [3, 2, 2]
    assert out[2].endswith(plain[:-1])
    assert (repairs.line_count, repairs.repair_count) == (2, 4)
    assert [(repair.line, repair.pointer) for repair in repairs.repairs] == [
        (5, "/request/tools/0/googleSearch"), (5, "/request/tools/1/google_search")]
    assert all(messages(raw) == [] for block in out for raw in block.splitlines())
