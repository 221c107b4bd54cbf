"""``python -m airflow_batch_gemini validate`` and the ``gemini-batch`` console script, run as subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_batch_gemini.cli import main, progress_text
from tests.seed import SEED_INPUT

BAD = {"request": {"contents": [{"role": "tester", "parts": [{"text": "x"}]}]}}


def cli(*args: str, program: tuple[str, ...] = (sys.executable, "-m", "airflow_batch_gemini")
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*program, *args], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_a_valid_file_exits_0_with_a_summary() -> None:
    result = cli("validate", str(SEED_INPUT))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"{SEED_INPUT}: 1 line(s), 1 valid, 0 invalid; uploads as 1 file(s), 438 bytes\n"
    assert result.stderr == "", "no progress bar when stderr is not a terminal"


def test_an_invalid_file_exits_1_listing_each_problem(tmp_path: Path) -> None:
    source = jsonl(tmp_path / "in.jsonl", [json.loads(SEED_INPUT.read_text()), BAD, BAD, BAD])
    result = cli("validate", "--max-problems", "2", str(SEED_INPUT), str(source))
    assert result.returncode == 1
    assert result.stdout.splitlines()[1:] == [
        f"{source}: line 2: /request/contents/0/role: 'tester' is not one of ['user', 'model']",
        f"{source}: line 3: /request/contents/0/role: 'tester' is not one of ['user', 'model']",
        f"{source}: ... and 1 more problem(s)",
        f"{source}: 4 line(s), 1 valid, 3 invalid (3 problem(s)); uploads as 1 file(s), "
        f"{len(source.read_text().splitlines()[0]) + 1} bytes",
    ]


def test_the_console_script_runs_the_same_checks(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("gemini-batch")
    result = cli("validate", str(jsonl(tmp_path / "in.jsonl", [BAD])), program=(str(script),))
    assert result.returncode == 1 and "'tester' is not one of" in result.stdout


def test_progress_is_drawn_on_stderr_when_asked(tmp_path: Path) -> None:
    rows = [json.loads(SEED_INPUT.read_text())] * 5000
    result = cli("validate", "--progress", str(jsonl(tmp_path / "big.jsonl", rows)))
    assert result.returncode == 0
    frames = result.stderr.splitlines()  # each frame starts with a carriage return, read as a line break here
    assert frames[-1] == f"big.jsonl [{'#' * 30}] 100% 5,000 lines" and len(frames) >= 2
    assert "uploads as 1 file(s)" in result.stdout and "\r" not in result.stdout


def test_an_extra_schema_file_is_applied(tmp_path: Path) -> None:
    schema = tmp_path / "key.schema.json"
    schema.write_text(json.dumps({"required": ["key"]}))
    result = cli("validate", "--extra-schema", str(schema), str(SEED_INPUT))
    assert result.returncode == 1 and "line 1: 'key' is a required property" in result.stdout


@pytest.mark.parametrize(
    ("args", "status", "expected"),
    [
        (["validate", "absent.jsonl"], 1, "absent.jsonl: no such file"),
        (["validate", "--extra-schema", "absent.json", str(SEED_INPUT)], 2, "--extra-schema"),
        ([], 2, "usage: gemini-batch"),
    ],
)
def test_usage_errors_and_missing_files(args: list[str], status: int, expected: str) -> None:
    result = cli(*args)
    assert result.returncode == status and expected in result.stdout + result.stderr


def test_an_empty_file_is_invalid(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    result = cli("validate", str(empty))
    assert result.returncode == 1 and "holds no request" in result.stdout


def test_progress_text() -> None:
    assert progress_text("f", 50, 200, 1234) == f"f [{'#' * 8}{'.' * 22}]  25% 1,234 lines"
    assert progress_text("f", 0, 0, 0).startswith(f"f [{'#' * 30}] 100%")


# The options and the notes, run in this process (main() writes to sys.stdout).

TEXT = [{"role": "user", "parts": [{"text": "hi"}]}]
MISSPELLED = {"request": {"contents": TEXT, "generationConfg": {"temperature": 1}}}
SIX_STOPS = {"request": {"contents": TEXT, "generationConfig": {"stopSequences": list("abcdef")}}}
SEARCH = {"request": {"contents": TEXT, "tools": [{"googleSearch": {}}]}}
URL_CONTEXT = {"request": {"contents": TEXT, "tools": [{"url_context": {}}]}}
IMPORTER = "(the batch importer fails the whole job for this: googleapis/python-genai#2123)"


def test_a_misspelled_field_is_refused_unless_unknown_fields_are_allowed(tmp_path: Path, capsys) -> None:
    source = jsonl(tmp_path / "in.jsonl", [MISSPELLED])
    assert main(["validate", str(source)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{source}: line 1: /request/generationConfg: is not a field of GenerateContentRequest; did you mean "
        "generationConfig?",
        f"{source}: 1 line(s), 0 valid, 1 invalid (1 problem(s))",
    ]
    assert main(["validate", "--allow-unknown-fields", str(source)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{source}: 1 line(s), 1 valid, 0 invalid; uploads as 1 file(s), {source.stat().st_size} bytes"]


def test_notes_are_printed_as_warnings_counted_and_leave_the_status_alone(tmp_path: Path, capsys) -> None:
    source = jsonl(tmp_path / "in.jsonl", [SIX_STOPS, SIX_STOPS, SIX_STOPS])
    assert main(["validate", "--max-problems", "2", str(source)]) == 0
    note = ("/request/generationConfig/stopSequences: has more than 5 stop sequences; Google's discovery document "
            "states no limit, but the model endpoints have refused more than 5 (warning)")
    assert capsys.readouterr().out.splitlines() == [
        f"{source}: line 1: {note}",
        f"{source}: line 2: {note}",
        f"{source}: ... and 1 more warning(s)",
        f"{source}: 3 line(s), 3 valid, 0 invalid, 3 warning(s); uploads as 1 file(s), {source.stat().st_size} bytes",
    ]


def test_repair_empty_tools_checks_the_repaired_lines_and_lists_the_repairs(tmp_path: Path, capsys) -> None:
    source = jsonl(tmp_path / "in.jsonl", [SEARCH, URL_CONTEXT])
    before = source.read_bytes()
    assert main(["validate", str(source)]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        f"{source}: line 1: /request/tools/0/googleSearch: is an empty googleSearch tool {IMPORTER}; write "
        '{"excludeDomains": null} instead, which asks the same (repair_empty_tools / --repair-empty-tools does it)')
    assert main(["validate", "--repair-empty-tools", str(source)]) == 1
    repaired_size = len(before.splitlines()[0]) + 1 + len('{"excludeDomains": null}') - len("{}")
    assert capsys.readouterr().out.splitlines() == [
        f'{source}: line 1: /request/tools/0/googleSearch: {{}} -> {{"excludeDomains": null}} (repair)',
        f"{source}: line 2: /request/tools/0/url_context: is an empty url_context tool {IMPORTER}; UrlContext has "
        "no field to give and no workaround is known: batch cannot use it; leave it out or send these requests online",
        f"{source}: 2 line(s), 1 valid, 1 invalid (1 problem(s)), 1 repaired; uploads as 1 file(s), "
        f"{repaired_size} bytes",
    ]
    assert source.read_bytes() == before, "the file is not changed"
