"""The example DAGs' settings and paths: every run, with a logical date or without, has a folder of its own (its run
id) in the DAG author's bucket; the Assets name the same bucket; a local input comes from the author's input folder
only.

The DAG files are parsed here under a chosen environment and their templates rendered with Airflow's own
template environment, as a task would render them, for a run with a logical date and for one without.
"""

from __future__ import annotations

import importlib
import json
import runpy
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_batch_gemini.example_dags import gemini_batch_settings as settings
from airflow_batch_gemini.input.scanner import scan_lines
from airflow_batch_gemini.operators.submit_job import DEFAULT_DISPLAY_NAME, GeminiBatchSubmitJobOperator
from gemini_batch_local.demo import rejected_count, sample_lines
from tests.paths import EXAMPLE_DAGS

DATED = SimpleNamespace(logical_date=datetime(2026, 1, 2, tzinfo=timezone.utc),
                        run_id="scheduled__2026-01-03T00:00:00+00:00",
                        run_after=datetime(2026, 1, 3, tzinfo=timezone.utc))
UNDATED = SimpleNamespace(logical_date=None, run_id="manual__2026-03-04T10:11:12.345678+00:00_AbCdEfGh",
                          run_after=datetime(2026, 3, 4, 10, 11, 12, tzinfo=timezone.utc))
DAG_FILES = sorted(path for path in EXAMPLE_DAGS.glob("*_example.py"))
#: The operator arguments that name where files go.
WHERE = ("destination_uri", "output_uri_prefix", "destination_prefix")
#: Each DAG's prefix in the bucket.
PREFIXES = {"gemini_batch_example.py": "gemini-batch", "gemini_batch_resubmit_example.py": "gemini-batch-resubmit",
            "gemini_batch_sharded_example.py": "gemini-batch-sharded"}


def test_a_runs_folder_is_its_run_id_with_a_logical_date_or_without() -> None:
    assert settings.run_folder(DATED.run_id) == "scheduled__2026-01-03T00:00:00+00:00"
    assert settings.run_folder(UNDATED.run_id) == "manual__2026-03-04T10:11:12.345678+00:00_AbCdEfGh"


@pytest.mark.parametrize(
    ("run_id", "part"),
    [
        ("manual__2026-03-04T10:11:12+00:00_x~y", "manual__2026-03-04T10:11:12+00:00_x~y"),
        ("my/run*[1]#?", "my%2Frun%2A%5B1%5D%23%3F"),
        ("100%", "100%25"),
        ("..", "%2E%2E"),
        ("été", "%C3%A9t%C3%A9"),
    ],
)
def test_a_run_id_is_made_one_part_of_an_object_name(run_id: str, part: str) -> None:
    assert settings.run_folder(run_id) == part


def test_run_ids_that_differ_never_share_a_folder() -> None:
    run_ids = ["a/b", "a%2Fb", "a_b", "a-b", "a:b", "a+b", ".", "..", "%2E", "a b", "a%20b"]
    parts = [settings.run_folder(run_id) for run_id in run_ids]
    assert len(set(parts)) == len(run_ids) and not any("/" in part for part in parts)


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Each example DAG file's DAG, parsed with ``GEMINI_BATCH_BUCKET=author-bucket`` and the input folder
    ``tmp_path``, by file name; the settings are read again afterwards with the environment restored."""
    monkeypatch.setenv("GEMINI_BATCH_BUCKET", "author-bucket")
    monkeypatch.setenv("GEMINI_BATCH_INPUT_DIR", str(tmp_path))
    importlib.reload(settings)
    try:
        yield {path.name: runpy.run_path(str(path))["dag"] for path in DAG_FILES}
    finally:
        monkeypatch.undo()
        importlib.reload(settings)


def rendered(dag: Any, template: str, dag_run: SimpleNamespace, task: Any) -> str:
    """``template`` as a task of ``dag`` renders it for ``dag_run`` (Airflow's environment: undefined names fail)."""
    env = dag.get_template_env()
    return str(env.from_string(template).render(dag_run=dag_run, run_id=dag_run.run_id, dag=dag, task=task,
                                                ti=SimpleNamespace(map_index=0), **dag.user_defined_macros))


@pytest.mark.parametrize("dag_run", [DATED, UNDATED], ids=["logical-date", "no-logical-date"])
def test_every_file_of_a_run_goes_to_its_folder_in_the_authors_bucket(parsed: dict[str, Any], dag_run) -> None:
    assert len(parsed) == 3
    for name, dag in parsed.items():
        folder = f"gs://author-bucket/{PREFIXES[name]}/{settings.run_folder(dag_run.run_id)}/"
        places = [(task, getattr(task, "partial_kwargs", {}).get(field, getattr(task, field, None)))
                  for task in dag.tasks for field in WHERE]
        places = [(task, template) for task, template in places if isinstance(template, str)]
        assert len(places) >= 3, name
        for task, template in places:
            assert rendered(dag, template, dag_run, task).startswith(folder), (name, task.task_id, template)


@pytest.mark.parametrize("dag_run", [DATED, UNDATED], ids=["logical-date", "no-logical-date"])
def test_every_job_gets_a_display_name_in_every_run(parsed: dict[str, Any], dag_run) -> None:
    stamp = (dag_run.logical_date or dag_run.run_after).strftime("%Y%m%dT%H%M%S")
    for dag in parsed.values():
        jobs = [task for task in dag.tasks
                if issubclass(getattr(task, "operator_class", type(task)), GeminiBatchSubmitJobOperator)]
        assert jobs
        for task in jobs:  # a mapped task without a display_name of its own has the operator's default
            template = (getattr(task, "partial_kwargs", {}).get("display_name") or getattr(task, "display_name", None)
                        or DEFAULT_DISPLAY_NAME)
            assert rendered(dag, template, dag_run, task) == f"{dag.dag_id}-{task.task_id}-{stamp}"


def test_the_bucket_is_the_authors_setting_and_the_assets_agree(parsed: dict[str, Any]) -> None:
    example = parsed["gemini_batch_example.py"]
    assert [asset.uri for asset in example.get_task("split_results").outlets] == [
        "gs://author-bucket/gemini-batch/succeeded.jsonl", "gs://author-bucket/gemini-batch/failed.jsonl"]
    for dag in parsed.values():
        assert "bucket" not in dag.params, f"{dag.dag_id}: a trigger form must not choose the bucket"


def test_a_local_input_comes_from_the_authors_input_folder(parsed: dict[str, Any], tmp_path: Path) -> None:
    for dag in parsed.values():
        prepare = dag.get_task("prepare_input")
        assert prepare.local_base_dir == str(tmp_path), dag.dag_id
        assert dag.params["input_source"] == settings.DEFAULT_INPUT == "requests.jsonl"


def test_without_the_setting_the_input_folder_is_the_packaged_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_BATCH_INPUT_DIR", raising=False)
    importlib.reload(settings)
    assert Path(settings.INPUT_DIR) == EXAMPLE_DAGS / "data"
    sample = Path(settings.INPUT_DIR) / settings.DEFAULT_INPUT
    lines = sample.read_bytes().splitlines(keepends=True)
    scan = scan_lines(lines)
    assert (scan.line_count, scan.row_count, scan.problem_count) == (10, 10, 0), "every line a valid request"
    assert sample_lines() == [json.loads(line) for line in lines], "the demo's input is the packaged sample"
    assert rejected_count(sample_lines()) == 2, "two rows the service fails: both result files have rows"
