"""``python -m airflow_batch_gemini validate`` and the ``gemini-batch`` console script, run as subprocesses, and
``main()`` in this process; on real files, folders and standard input (``gs://`` is read in
tests/integration/test_validate_cli_gcs.py, from fake-gcs-server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_batch_gemini.cli import cut_reason, main, progress_text
from airflow_batch_gemini.input.sharding import MAX_INPUT_BYTES, MAX_REQUESTS_PER_JOB, Shard
from tests.seed import SEED_INPUT

BAD = {"request": {"contents": [{"role": "tester", "parts": [{"text": "x"}]}]}}
#: The problem of BAD's role: its type and size, not its value.
ROLE_PROBLEM = "a string (6 characters) that is not one of ['user', 'model']"


def cli(*args: str, program: tuple[str, ...] = (sys.executable, "-m", "airflow_batch_gemini"),
        stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*program, *args], capture_output=True, text=True, timeout=120, input=stdin,
                          stdin=subprocess.DEVNULL if stdin is None else None, env=env)


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
        f"{source}: line 2: /request/contents/0/role: {ROLE_PROBLEM}",
        f"{source}: line 3: /request/contents/0/role: {ROLE_PROBLEM}",
        f"{source}: ... and 1 more problem(s)",
        f"{source}: 4 line(s), 1 valid, 3 invalid (3 problem(s)); uploads as 1 file(s), "
        f"{len(source.read_text().splitlines()[0]) + 1} bytes",
    ]


def test_a_problem_says_no_value_unless_show_values_is_given(tmp_path: Path) -> None:
    secret = {"request": {"contents": [{"role": "John Smith 123-45-6789", "parts": [{"text": "x"}]}]}}
    source = jsonl(tmp_path / "in.jsonl", [secret])
    hidden = cli("validate", str(source))
    assert hidden.returncode == 1 and "123-45-6789" not in hidden.stdout + hidden.stderr
    assert "/request/contents/0/role: a string (22 characters) that is not one of ['user', 'model']" in hidden.stdout
    shown = cli("validate", "--show-values", str(source))
    assert shown.returncode == 1
    assert "/request/contents/0/role: 'John Smith 123-45-6789' is not one of ['user', 'model']" in shown.stdout


def test_the_console_script_runs_the_same_checks(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("gemini-batch")
    result = cli("validate", str(jsonl(tmp_path / "in.jsonl", [BAD])), program=(str(script),))
    assert result.returncode == 1 and ROLE_PROBLEM in result.stdout


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
    ("args", "expected"),
    [
        (["validate", "absent.jsonl"], "gemini-batch validate: error: absent.jsonl: no such file or folder"),
        (["validate", str(SEED_INPUT), "absent.jsonl"], "absent.jsonl: no such file or folder"),
        (["validate", "--extra-schema", "absent.json", str(SEED_INPUT)], "--extra-schema"),
        (["validate", "--max-problems", "-1", str(SEED_INPUT)], "--max-problems: -1 is out of range: give 0 or more"),
        (["validate", "--max-rows-per-file", "200001", str(SEED_INPUT)], "give from 1 to 200,000"),
        (["validate", "--max-bytes-per-file", "many", str(SEED_INPUT)], "'many' is not a whole number"),
        (["validate", "--no-such-option", str(SEED_INPUT)], "unrecognized arguments: --no-such-option"),
        (["validate", "-", "-"], "-: standard input can be read once"),
        (["validate", "gs://"], "'gs://' is not a Cloud Storage URI"),
        (["validate"], "the following arguments are required: INPUT"),
        ([], "usage: gemini-batch"),
    ],
)
def test_usage_errors_exit_2_before_any_input_is_checked(args: list[str], expected: str) -> None:
    result = cli(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in result.stderr and result.stdout == "", "nothing is checked when an argument is wrong"


def test_exit_status_0_valid_1_invalid(tmp_path: Path) -> None:
    assert cli("validate", str(SEED_INPUT)).returncode == 0
    assert cli("validate", str(jsonl(tmp_path / "bad.jsonl", [BAD]))).returncode == 1


def test_standard_input_is_read_for_a_dash(tmp_path: Path) -> None:
    text = SEED_INPUT.read_text() + json.dumps(BAD) + "\n"
    result = cli("validate", "-", str(SEED_INPUT), stdin=text)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        f"<stdin>: line 2: /request/contents/0/role: {ROLE_PROBLEM}",
        f"<stdin>: 2 line(s), 1 valid, 1 invalid (1 problem(s)); uploads as 1 file(s), {len(SEED_INPUT.read_text())}"
        " bytes",
        f"{SEED_INPUT}: 1 line(s), 1 valid, 0 invalid; uploads as 1 file(s), 438 bytes",
    ]


def test_standard_input_draws_a_progress_without_a_total() -> None:
    result = cli("validate", "--progress", "-", stdin=SEED_INPUT.read_text())
    assert result.returncode == 0
    assert result.stderr.splitlines()[-1] == "<stdin> 438 bytes, 1 lines"


def test_a_folder_is_its_jsonl_files_in_name_order_which_the_output_lists(tmp_path: Path) -> None:
    folder = tmp_path / "inputs"
    folder.mkdir()
    jsonl(folder / "b.jsonl", [BAD])
    (folder / "a.jsonl").write_bytes(SEED_INPUT.read_bytes())
    jsonl(folder / "notes.txt", [BAD])  # not *.jsonl: left alone
    (folder / "sub.jsonl").mkdir()  # a folder, not a file
    result = cli("validate", str(folder))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{folder}: checking its 2 *.jsonl file(s) in name order: a.jsonl, b.jsonl",
        f"{folder / 'a.jsonl'}: 1 line(s), 1 valid, 0 invalid; uploads as 1 file(s), 438 bytes",
        f"{folder / 'b.jsonl'}: line 1: /request/contents/0/role: {ROLE_PROBLEM}",
        f"{folder / 'b.jsonl'}: 1 line(s), 0 valid, 1 invalid (1 problem(s))",
    ]


def test_a_folder_without_jsonl_files_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    result = cli("validate", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == (f"gemini-batch validate: error: {tmp_path}: a folder without *.jsonl files; name the "
                             "files to check\n")


def test_gs_without_credentials_is_a_usage_error_that_says_how_to_log_in(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("STORAGE_EMULATOR", "GOOGLE_", "CLOUDSDK_"))}
    env.update(HOME=str(tmp_path), NO_GCE_CHECK="True", CLOUDSDK_CONFIG=str(tmp_path / "gcloud"))
    result = cli("validate", "gs://some-bucket/in.jsonl", env=env)
    assert result.returncode == 2
    assert "gs://some-bucket/in.jsonl: no Google credentials; run `gcloud auth application-default login`" in (
        result.stderr)


def test_a_json_error_is_reported_at_its_column_after_multi_byte_text(tmp_path: Path) -> None:
    before = '{"request": {"contents": [{"role": "user", "parts": [{"text": "Grüße, 世界"}]}]}'
    source = tmp_path / "in.jsonl"
    source.write_text(SEED_INPUT.read_text() + before + ' "key": "k"}\n' + before + "\n", encoding="utf-8")
    result = cli("validate", str(source))
    assert result.returncode == 1
    column = len(before) + 2  # ü and ß take 2 bytes each, 世 and 界 3: 6 bytes more than characters
    assert result.stdout.splitlines()[:2] == [
        f"{source}: line 2: is not valid JSON: Expecting ',' delimiter at column {column} (byte {column + 6})",
        f"{source}: line 3: is not valid JSON: Expecting ',' delimiter at column {column - 1} (byte {column + 5}), "
        "the end of the line (is the line cut short?)",
    ]


# When and why an input is cut into files, as the prepare operator cuts it.

SMALL = {"request": {"contents": [{"parts": [{"text": "x"}]}]}}


def test_an_input_over_200000_requests_is_cut_and_the_output_says_where_and_why(tmp_path: Path, capsys) -> None:
    source = jsonl(tmp_path / "big.jsonl", [SMALL] * 200_003)
    size = len(json.dumps(SMALL)) + 1
    assert main(["validate", str(source)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{source}: file 1 of 2: lines 1-200,000, 200,000 request(s), {200_000 * size:,} bytes; cut before line "
        "200,001: it holds 200,000 requests, the most one job takes",
        f"{source}: file 2 of 2: lines 200,001-200,003, 3 request(s), {3 * size:,} bytes",
        f"{source}: 200,003 line(s), 200,003 valid, 0 invalid; uploads as 2 file(s), {200_003 * size:,} bytes",
    ]


def test_the_lower_limits_of_a_dag_cut_as_the_operator_would(tmp_path: Path, capsys) -> None:
    source = jsonl(tmp_path / "in.jsonl", [SMALL, BAD, SMALL, SMALL, SMALL])
    size = len(json.dumps(SMALL)) + 1
    assert main(["validate", "--max-bytes-per-file", str(2 * size), "--max-problems", "0", str(source)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{source}: ... and 1 more problem(s)",
        f"{source}: file 1 of 2: lines 1-3, 2 request(s), {2 * size} bytes; cut before line 4: the next line would "
        f"take it past {2 * size} bytes (--max-bytes-per-file)",
        f"{source}: file 2 of 2: lines 4-5, 2 request(s), {2 * size} bytes",
        f"{source}: 5 line(s), 4 valid, 1 invalid (1 problem(s)); uploads as 2 file(s), {4 * size} bytes",
    ]
    assert main(["validate", "--max-rows-per-file", "3", str(source)]) == 1
    assert "cut before line 5: it holds 3 requests, --max-rows-per-file" in capsys.readouterr().out


def test_a_cut_at_one_gigabyte_names_the_limit_of_one_job() -> None:
    full = Shard(first_line=1, last_line=9, row_count=9)
    assert cut_reason(full, MAX_REQUESTS_PER_JOB, MAX_INPUT_BYTES) == (
        "the next line would take it past 1,000,000,000 bytes (1 GB), the most one job takes")
    assert cut_reason(full, 9, MAX_INPUT_BYTES) == "it holds 9 requests, --max-rows-per-file"


def test_an_empty_file_is_invalid(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    result = cli("validate", str(empty))
    assert result.returncode == 1 and "holds no request" in result.stdout


def test_progress_text() -> None:
    assert progress_text("f", 50, 200, 1234) == f"f [{'#' * 8}{'.' * 22}]  25% 1,234 lines"
    assert progress_text("f", 0, 0, 0).startswith(f"f [{'#' * 30}] 100%")
    assert progress_text("f", 1234, None, 5) == "f 1,234 bytes, 5 lines"


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


def test_a_line_over_max_line_bytes_is_invalid_and_the_lines_after_it_keep_their_numbers(tmp_path: Path,
                                                                                        capsys) -> None:
    long = {"request": {"contents": [{"role": "user", "parts": [{"text": "x" * 200}]}]}}
    source = jsonl(tmp_path / "in.jsonl", [SMALL, long, SMALL, BAD])
    size = len(json.dumps(long))  # without its line break
    assert main(["validate", "--max-line-bytes", "100", str(source)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (f"{source}: line 2: is {size} bytes long, over the limit of 100 bytes a line (max_line_bytes); "
                      "split the request or raise max_line_bytes")
    assert out[1].startswith(f"{source}: line 4: ")
    assert main(["validate", str(source)]) == 1
    assert "line 2" not in capsys.readouterr().out, "the default limit is 32 MiB"


def test_a_deep_line_is_a_problem_of_its_line(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"request": ' + b"[" * 5_000 + b"]" * 5_000 + b"}\n")
    assert main(["validate", str(source)]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        f"{source}: line 1: nests 5,001 levels deep, deeper than the 64 levels any line may take (users report "
        "that the batch importer refuses more than 15); flatten the request")
