"""Allow-lists of storage locations: a task given ``allowed_source_prefixes`` / ``allowed_destination_prefixes``
reads and writes only there, and refuses anything else before it reads, writes or creates anything.

The attacker has only the trigger form: a ``params`` value, rendered into a task's templated field, names
another team's data (``gs://other-team/...``, here a folder of the test bucket that the allow-list leaves
out). The prepare and submit operators run against fake-gcs-server and the Vertex emulator; a refused task
leaves no object behind and asks the emulator nothing (its call counts do not move). The example DAGs
confine their tasks to the DAG author's bucket, and no param of theirs chooses one.
"""

from __future__ import annotations

import importlib
import itertools
import runpy
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_batch_gemini.example_dags import gemini_batch_settings as settings
from airflow_batch_gemini.exceptions import GeminiBatchAccessRefusedError
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from tests.conftest import TEST_BUCKET, EmulatorAdmin, request_line
from tests.failfast import raises_permanently
from tests.paths import EXAMPLE_DAGS
from tests.taskrun import new_context, run_task

pytestmark = pytest.mark.usefixtures("google_connection")
_runs = itertools.count()

OURS = f"gs://{TEST_BUCKET}/team-a/"
OTHER = f"gs://{TEST_BUCKET}/other-team"
#: The example DAGs' bucket in these tests (refused tasks write nothing, so it need not exist).
AUTHORS_BUCKET = "author-bucket"
#: URI-forming fields of the example DAGs' tasks.
URI_FIELDS = ("source", "destination_uri", "rejects_uri", "input_uris", "output_uri_prefix", "destination_prefix")


@pytest.fixture
def other_teams_object(upload_lines) -> str:
    return upload_lines(f"other-team/private-{next(_runs)}.jsonl", [request_line("another team's question")])


def folder(under: str) -> str:
    return f"{under.rstrip('/')}/run-{next(_runs)}"


def prepare(source: str, destination_uri: str, **arguments: Any) -> GeminiBatchPrepareInputOperator:
    return GeminiBatchPrepareInputOperator(
        task_id="prepare", source=source, destination_uri=destination_uri, allowed_source_prefixes=[OURS],
        allowed_destination_prefixes=[OURS], **arguments,
    )


def test_prepare_refuses_a_source_outside_its_allow_list(other_teams_object: str) -> None:
    destination = f"{folder(OURS)}/requests.jsonl"
    with raises_permanently(GeminiBatchAccessRefusedError, match="source .* is outside the locations") as info:
        prepare(other_teams_object, destination).execute({})
    assert OURS in str(info.value)
    storage = GeminiBatchStorageHook()
    assert storage.stat(destination) is None and storage.stat(destination.replace("requests.jsonl", "rejects/"
                                                                                   "requests.rejects.jsonl")) is None


@pytest.mark.parametrize("field", ["destination_uri", "rejects_uri"])
def test_prepare_refuses_a_destination_outside_its_allow_list(upload_lines, field: str) -> None:
    source = upload_lines(f"team-a/input-{next(_runs)}.jsonl", [request_line("our question")])
    ours, theirs = f"{folder(OURS)}/requests.jsonl", f"{folder(OTHER)}/requests.jsonl"
    arguments = {"destination_uri": theirs} if field == "destination_uri" else {
        "destination_uri": ours, "rejects_uri": theirs}
    operator = GeminiBatchPrepareInputOperator(task_id="prepare", source=source, allowed_source_prefixes=[OURS],
                                               allowed_destination_prefixes=[OURS], **arguments)
    with raises_permanently(GeminiBatchAccessRefusedError, match=f"{field} .* is outside the locations"):
        operator.execute({})
    storage = GeminiBatchStorageHook()
    assert storage.stat(theirs) is None and storage.stat(ours) is None


def test_prepare_reads_and_writes_what_is_listed(upload_lines) -> None:
    source = upload_lines(f"team-a/input-{next(_runs)}.jsonl", [request_line("our question")])
    destination = f"{folder(OURS)}/requests.jsonl"
    result = prepare(source, destination).execute({})  # type: ignore[arg-type]
    assert result["input_uris"] == [destination] and GeminiBatchStorageHook().stat(destination) is not None


def submit(input_uris: str, output_uri_prefix: str) -> GeminiBatchSubmitJobOperator:
    return GeminiBatchSubmitJobOperator(
        task_id="submit", input_uris=input_uris, output_uri_prefix=output_uri_prefix, display_name="confined",
        poll_interval=0.2, allowed_source_prefixes=[OURS], allowed_destination_prefixes=[OURS],
    )


@pytest.mark.parametrize("field", ["input_uris", "output_uri_prefix"])
def test_submit_refuses_a_location_outside_its_allow_list_before_any_call(
    upload_lines, other_teams_object: str, emulator: EmulatorAdmin, field: str
) -> None:
    ours = upload_lines(f"team-a/input-{next(_runs)}.jsonl", [request_line("our question")])
    operator = submit(other_teams_object, folder(OURS)) if field == "input_uris" else submit(ours, folder(OTHER))
    before = emulator.stats()["calls"]
    with raises_permanently(GeminiBatchAccessRefusedError, match=f"{field} .* is outside the locations"):
        run_task(operator, new_context())
    assert emulator.stats()["calls"] == before, "no job listed, swept or created"
    assert emulator.calls("create") == before.get("create", 0)


def test_submit_creates_a_job_for_what_is_listed(upload_lines, emulator: EmulatorAdmin) -> None:
    ours = upload_lines(f"team-a/input-{next(_runs)}.jsonl", [request_line("our question")])
    creates = emulator.calls("create")
    manifest = run_task(submit(ours, folder(OURS)), new_context())
    assert manifest["state"] == "JOB_STATE_SUCCEEDED" and emulator.calls("create") == creates + 1


@pytest.fixture
def examples(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[Any]]:
    """The example DAGs, parsed with :data:`AUTHORS_BUCKET` as the DAG author's bucket (settings restored
    afterwards): the test bucket holds another team's data then."""
    monkeypatch.setenv("GEMINI_BATCH_BUCKET", AUTHORS_BUCKET)
    monkeypatch.setenv("GEMINI_BATCH_INPUT_DIR", str(tmp_path))
    importlib.reload(settings)
    try:
        yield [runpy.run_path(str(path))["dag"] for path in sorted(EXAMPLE_DAGS.glob("*_example.py"))]
    finally:
        monkeypatch.undo()
        importlib.reload(settings)


def attacker_params(dag: Any) -> dict[str, Any]:
    """Every param of ``dag`` set to another team's location, with a ``/`` to climb out of a folder name."""
    return {name: f"{OTHER}/../{name}.jsonl" for name in dag.params}


def test_no_param_of_an_example_dag_chooses_a_bucket(examples: list[Any]) -> None:
    for dag in examples:
        for task in dag.tasks:
            fields = getattr(task, "partial_kwargs", None) or {name: getattr(task, name, None) for name in URI_FIELDS}
            for name in URI_FIELDS:
                template = fields.get(name)
                if not isinstance(template, str) or name == "source":
                    continue  # an XComArg, or the input (the next test): the author's bucket or the allow-list
                context = {"params": attacker_params(dag), "run_id": "manual__attack", "dag": dag, "task": task,
                           "ti": SimpleNamespace(map_index=0), **dag.user_defined_macros}
                rendered = task.render_template(template, context)
                assert rendered.startswith(f"gs://{AUTHORS_BUCKET}/gemini-batch"), (dag.dag_id, task.task_id, name)
                assert "other-team" not in rendered and TEST_BUCKET not in rendered


def test_an_example_dags_input_source_cannot_name_another_teams_object(
    examples: list[Any], other_teams_object: str
) -> None:
    for dag in examples:
        task = dag.get_task("prepare_input")
        task.render_template_fields({"params": {**dag.params, "input_source": other_teams_object},
                                     "run_id": "manual__attack", "dag": dag, "task": task, **dag.user_defined_macros})
        assert task.source == other_teams_object, "the attacker's params reached the task"
        with raises_permanently(GeminiBatchAccessRefusedError, match="source .* is outside the locations"):
            task.execute({})


def test_an_example_dags_input_source_cannot_name_another_runs_files(examples: list[Any]) -> None:
    """The DAG's own bucket, but another run's prompts or answers (run ids are guessable): refused, before the
    storage is asked anything; only the bucket's ``incoming/`` folder, which no task writes, is read."""
    for dag in examples:
        task = dag.get_task("prepare_input")
        for others in (f"gs://{AUTHORS_BUCKET}/gemini-batch/scheduled__2026-01-01/input/requests.jsonl",
                       f"gs://{AUTHORS_BUCKET}/gemini-batch/scheduled__2026-01-01/results/succeeded.jsonl"):
            task.render_template_fields({"params": {**dag.params, "input_source": others}, "run_id": "manual__attack",
                                         "dag": dag, "task": task, **dag.user_defined_macros})
            with raises_permanently(GeminiBatchAccessRefusedError, match="source .* is outside the locations"):
                task.execute({})
        assert task.allowed_source_prefixes == (f"gs://{AUTHORS_BUCKET}/incoming/",), dag.dag_id
