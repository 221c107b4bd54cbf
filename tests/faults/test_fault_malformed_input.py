"""Malformed input lines of many distinct kinds (see :mod:`tests.faults.malformed_lines`): validation
must report each with its line number, the prepare operator must list them all and upload nothing,
and with ``on_invalid="skip"`` it must upload exactly the valid lines. Lines that only draw a note
are uploaded, and each note names its line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchInputError
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.input.scanner import InputScan, scan_lines
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from tests.conftest import TEST_BUCKET
from tests.failfast import raises_permanently
from tests.faults.helpers import output_keys
from tests.faults.malformed_lines import MALFORMED, NOTED, VALID, Malformed
from tests.faults.scoreboard import FaultRecord

pytestmark = pytest.mark.usefixtures("google_connection")

VALID_KEYS = [f"valid-{index}" for index in range(len(MALFORMED) + 1)]


def input_lines() -> list[bytes]:
    """A valid line, then each malformed one followed by a valid one: malformed kind ``i`` is line ``2i + 2``."""
    lines = [json.dumps({**VALID, "key": VALID_KEYS[0]}).encode() + b"\n"]
    for index, case in enumerate(MALFORMED, start=1):
        lines.append(case.raw + b"\n")
        lines.append(json.dumps({**VALID, "key": VALID_KEYS[index]}).encode() + b"\n")
    return lines


def line_number(index: int) -> int:
    """The line number of ``MALFORMED[index]`` in :func:`input_lines`."""
    return 2 * index + 2


@pytest.fixture(scope="module")
def scan() -> InputScan:
    return scan_lines(input_lines(), max_problems=10 * len(MALFORMED))


@pytest.fixture
def input_file(tmp_path: Path) -> Path:
    path = tmp_path / "requests.jsonl"
    path.write_bytes(b"".join(input_lines()))
    return path


def test_the_registry_has_fifty_distinct_kinds() -> None:
    assert len({case.kind for case in MALFORMED}) == len(MALFORMED) >= 50


@pytest.mark.parametrize(
    ("index", "case"),
    [pytest.param(index, case, id=case.kind,
                  marks=[pytest.mark.xfail(reason=case.pending, strict=True)] if case.pending else [])
     for index, case in enumerate(MALFORMED)],
)
def test_malformed_line_is_reported_with_its_number(fault: FaultRecord, scan: InputScan, index: int,
                                                    case: Malformed) -> None:
    fault.injected += 1
    number = line_number(index)
    problems = [problem for problem in scan.problems if problem.line == number]
    assert number in scan.invalid_lines, f"{case.kind} was not reported"
    assert problems and str(problems[0]).startswith(f"line {number:,}: ")
    assert number - 1 not in scan.invalid_lines and number + 1 not in scan.invalid_lines, "neighbours are valid"


def test_prepare_lists_every_malformed_line_and_uploads_nothing(fault: FaultRecord, input_file: Path) -> None:
    destination = f"gs://{TEST_BUCKET}/faults/{fault.label}/input.jsonl"
    operator = GeminiBatchPrepareInputOperator(task_id="prepare", source=str(input_file), destination_uri=destination,
                                               max_problems=10 * len(MALFORMED))
    fault.injected += len(MALFORMED)
    with raises_permanently(GeminiBatchInputError) as info:
        operator.execute({})
    reported = {int(match[1].replace(",", "")) for match in
                (re.match(r"line ([\d,]+): ", problem) for problem in info.value.problems) if match}
    assert reported == {line_number(index) for index in range(len(MALFORMED))}
    assert GeminiBatchStorageHook().stat(destination) is None, "nothing uploaded"


def test_prepare_skip_uploads_exactly_the_valid_lines(fault: FaultRecord, input_file: Path) -> None:
    destination = f"gs://{TEST_BUCKET}/faults/{fault.label}/input.jsonl"
    operator = GeminiBatchPrepareInputOperator(task_id="prepare", source=str(input_file), destination_uri=destination,
                                               on_invalid="skip")
    fault.injected += len(MALFORMED)
    result = operator.execute({})
    uploaded = output_keys(destination)
    fault.rows(VALID_KEYS, uploaded)
    assert (result["row_count"], result["skipped_count"]) == (len(VALID_KEYS), len(MALFORMED))
    assert uploaded == VALID_KEYS, "the valid lines, in order, each once"


@pytest.mark.parametrize("case", NOTED, ids=[case.kind for case in NOTED])
def test_a_noted_line_is_uploaded_and_its_note_names_the_line(fault: FaultRecord, case: Malformed) -> None:
    fault.injected += 1
    lines = [json.dumps({**VALID, "key": "before"}).encode() + b"\n", case.raw + b"\n",
             json.dumps({**VALID, "key": "after"}).encode() + b"\n"]
    scan = scan_lines(lines)
    assert (scan.row_count, scan.problem_count) == (3, 0), f"{case.kind} must stay valid"
    assert scan.note_count >= 1 and {note.line for note in scan.notes} == {2}, f"{case.kind} drew no note on line 2"
