"""No row content in logs, errors, XComs or the rejects file: an attacker who can only read logs (or the
rejects bucket) learns where a line is wrong and how, never what it holds.

Each line below carries a patient's name and social security number where the schema refuses it: a bad
enum value, a bad type, a string too long, a bad pattern, a row key that breaks the DAG's own schema. The
prepare operator runs against the local Cloud Storage; its messages name the JSON path and the value's type,
and its rejects records the line's size and hash, unless the deployment asks for values
(``[gemini_batch] show_row_values``) or the DAG author for full copies (``rejects_content="full"``).
"""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchInputError
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from tests.conftest import TEST_BUCKET
from tests.failfast import raises_permanently
from tests.resumed_tasks import xcom_context

pytestmark = pytest.mark.usefixtures("google_connection")

PATIENT = "John Smith"
SSN = "123-45-6789"
SECRET = f"{PATIENT} {SSN}"
TEXT = [{"role": "user", "parts": [{"text": "Summarise the visit"}]}]
#: A line per way the schema refuses a value, each holding the secret there.
LINES: list[dict[str, Any]] = [
    {"request": {"contents": [{"role": SECRET, "parts": [{"text": "x"}]}]}},
    {"request": {"contents": TEXT, "generationConfig": {"stopSequences": SECRET}}},
    {"request": {"contents": TEXT, "labels": {"patient": SECRET * 4}}},
    {"request": {"contents": TEXT, "tools": [{"functionDeclarations": [{"name": SECRET}]}]}},
    {"request": {"contents": TEXT, "safetySettings": [{"category": SECRET, "threshold": "OFF"}]}},
    {"key": SECRET, "request": {"contents": TEXT}},
]
#: The DAG's own rule on row keys, which the last line breaks.
KEY_SCHEMA = {"properties": {"key": {"type": "string", "pattern": "^r[0-9]+$"}}}
SHOW_VALUES = "AIRFLOW__GEMINI_BATCH__SHOW_ROW_VALUES"


@pytest.fixture
def source(tmp_path: Path) -> str:
    path = tmp_path / "patients.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in LINES))
    return str(path)


@pytest.fixture
def folder() -> str:
    return f"gs://{TEST_BUCKET}/security-redaction/{uuid.uuid4().hex}"


@pytest.fixture(autouse=True)
def values_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SHOW_VALUES, raising=False)


#: The tries of one task instance: a try replaces the rejects file an earlier one wrote (hooks.owned_objects).
TRIES = xcom_context("manual__redaction")


def prepare(source: str, folder: str, **arguments: Any) -> GeminiBatchPrepareInputOperator:
    return GeminiBatchPrepareInputOperator(
        task_id="prepare", source=source, destination_uri=f"{folder}/requests.jsonl", extra_schema=KEY_SCHEMA,
        **arguments,
    )


def rejects_of(folder: str) -> str:
    return b"".join(GeminiBatchStorageHook().read_lines(f"{folder}/rejects/requests.rejects.jsonl")).decode()


def assert_secret_absent(*texts: str) -> None:
    for text in texts:
        assert PATIENT not in text and SSN not in text and "John" not in text


def test_refused_input_names_paths_and_types_but_no_value(
    source: str, folder: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    with raises_permanently(GeminiBatchInputError) as info:
        prepare(source, folder).execute(TRIES)
    captured = capfd.readouterr()
    assert info.value.problems == [
        "line 1: /request/contents/0/role: a string (22 characters) that is not one of ['user', 'model']",
        "line 2: /request/generationConfig/stopSequences: a string where an array or null is expected",
        "line 3: /request/labels/patient: a string of 88 characters, more than the maximum of 63",
        "line 3: /request/labels/patient: a string (88 characters) that is not a label value: lowercase letters, "
        "digits, _ and -",
        "line 4: /request/tools/0/functionDeclarations/0/name: a string (22 characters) that is not a function "
        "name: a letter or _ first, then letters, digits, _ . : -, at most 128 characters",
        "line 5: /request/safetySettings/0/category: a string (22 characters) that is not one of "
        "['HARM_CATEGORY_UNSPECIFIED', 'HARM_CATEGORY_HATE_SPEECH', 'HARM_CATEGORY_DANGEROUS_CONTENT', "
        "'HARM_CATEGORY_HARASSMENT', 'HARM_CATEGORY_SEXUALLY_EXPLICIT', 'HARM_CATEGORY_CIVIC_INTEGRITY', "
        "'HARM_CATEGORY_IMAGE_HATE', 'HARM_CATEGORY_IMAGE_DANGEROUS_CO ...)",
        "line 6: /key: a string (22 characters) that does not match '^r[0-9]+$'",
    ]
    rejects = rejects_of(folder)
    assert_secret_absent(str(info.value), caplog.text, captured.out, captured.err, rejects)
    records = [json.loads(record) for record in rejects.splitlines()]
    assert [record["line"] for record in records] == [1, 2, 3, 4, 5, 6]
    assert [record["size"] for record in records] == [len(json.dumps(row)) for row in LINES]
    assert all(set(record) == {"line", "problems", "error", "size", "sha256"} for record in records)


def test_skipped_lines_are_logged_and_returned_without_their_values(
    source: str, folder: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    valid = tmp_path / "mixed.jsonl"
    valid.write_text(Path(source).read_text() + json.dumps({"key": "r1", "request": {"contents": TEXT}}) + "\n")
    result = prepare(str(valid), folder, on_invalid="skip").execute({})  # type: ignore[arg-type]
    captured = capfd.readouterr()
    logged = caplog.text + captured.out + captured.err  # the task's own log goes to stdout outside a task runner
    assert result["skipped_count"] == 6 and result["row_count"] == 1
    assert "Skipping 6 invalid line(s)" in logged and "/request/contents/0/role: a string (22 characters)" in logged
    assert_secret_absent(logged, json.dumps(result), rejects_of(folder))


def test_show_row_values_shows_them_for_debugging(
    source: str, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = "line 1: /request/contents/0/role: "
    with raises_permanently(GeminiBatchInputError) as hidden:
        prepare(source, folder).execute(TRIES)
    assert f"{role}a string (22 characters) that is not one of ['user', 'model']" in hidden.value.problems
    monkeypatch.setenv(SHOW_VALUES, "True")
    with raises_permanently(GeminiBatchInputError) as shown:
        prepare(source, folder).execute(TRIES)
    assert f"{role}'{SECRET}' is not one of ['user', 'model']" in shown.value.problems


def test_full_rejects_keep_the_line_and_an_excerpt_is_bounded(source: str, folder: str) -> None:
    with raises_permanently(GeminiBatchInputError):
        prepare(source, folder, rejects_content="full").execute(TRIES)
    records = [json.loads(record) for record in rejects_of(folder).splitlines()]
    assert [json.loads(record["original"]) for record in records] == LINES
    with raises_permanently(GeminiBatchInputError):
        prepare(source, folder, rejects_content="excerpt").execute(TRIES)
    excerpts = [json.loads(record) for record in rejects_of(folder).splitlines()]
    assert all(len(record["excerpt"].encode()) <= 200 for record in excerpts)
    assert excerpts[2]["excerpt_cut"] is True
