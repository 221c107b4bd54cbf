"""Local paths rendered from templates must not reach outside the folder they are meant for.

An attacker who has only the trigger form sets ``params`` (``params.path``, the example DAGs'
``params.input_source``). ``GeminiBatchPrepareInputOperator`` reads a local ``source`` only inside its base
folder (the task's ``local_base_dir``, else ``[gemini_batch] local_base_dir``), after ``..`` and symbolic
links are resolved; with no base folder, a path from a template or an XCom is refused, and only a path the
DAG author wrote is read. Either way a refused path is refused before anything is read or uploaded, and
the content of a file read by mistake is not echoed into errors or logs.
"""

from __future__ import annotations

import logging
import runpy
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from airflow_batch_gemini.exceptions import GeminiBatchAccessRefusedError, GeminiBatchInputError
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from tests.conftest import TEST_BUCKET
from tests.failfast import raises_permanently
from tests.paths import EXAMPLE_DAGS
from tests.seed import SEED_INPUT

pytestmark = pytest.mark.usefixtures("google_connection")

TRAVERSALS = ("../outside.jsonl", "../../etc/passwd", "/etc/passwd", "inputs/../../outside.jsonl")
SECRET_LINE = "root:x:0:0:secret-passwd-line:/root:/bin/bash"
BASE_DIR_SETTING = "AIRFLOW__GEMINI_BATCH__LOCAL_BASE_DIR"


@pytest.fixture(autouse=True)
def no_configured_base_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """No deployment-wide base folder unless a test sets one."""
    monkeypatch.delenv(BASE_DIR_SETTING, raising=False)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """A base folder for inputs, and a secret file beside it (outside it)."""
    base = tmp_path / "inputs"
    base.mkdir()
    (tmp_path / "outside.jsonl").write_text(SECRET_LINE + "\n")
    return base, tmp_path / "outside.jsonl"


def prepare(**arguments: Any) -> GeminiBatchPrepareInputOperator:
    """A prepare task whose source is ``{{ params.path }}`` unless told otherwise."""
    arguments.setdefault("source", "{{ params.path }}")
    return GeminiBatchPrepareInputOperator(
        task_id="prepare", destination_uri=f"gs://{TEST_BUCKET}/security/p.jsonl", **arguments
    )


def render(operator: GeminiBatchPrepareInputOperator, path: str) -> None:
    """Render the operator's templates with ``params.path`` as Airflow does before ``execute``."""
    operator.render_template_fields({"params": {"path": path}})  # type: ignore[arg-type]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_templated_source_cannot_escape_its_base_folder(folders: tuple[Path, Path], path: str) -> None:
    base, _ = folders
    operator = prepare(local_base_dir=str(base))
    render(operator, path)
    with raises_permanently(GeminiBatchAccessRefusedError, match="leads outside local_base_dir"):
        operator.execute({})


def test_a_templated_local_path_without_a_base_folder_is_refused(folders: tuple[Path, Path]) -> None:
    _, outside = folders
    operator = prepare()
    render(operator, str(outside))
    with raises_permanently(GeminiBatchAccessRefusedError, match="set the task's local_base_dir") as info:
        operator.execute({})
    assert "[gemini_batch] local_base_dir" in str(info.value) and SECRET_LINE not in str(info.value)


def test_a_local_path_from_an_xcom_without_a_base_folder_is_refused(folders: tuple[Path, Path]) -> None:
    _, outside = folders
    with DAG("xcom_path", schedule=None):
        upstream = EmptyOperator(task_id="upstream")
        operator = prepare(source=upstream.output)
    operator.source = str(outside)  # what the XCom rendered to
    with raises_permanently(GeminiBatchAccessRefusedError, match="came from a template or an XCom"):
        operator.execute({})


def test_a_local_path_a_mapped_task_was_given_without_a_base_folder_is_refused(folders: tuple[Path, Path]) -> None:
    _, outside = folders
    with DAG("mapped_path", schedule=None):
        upstream = EmptyOperator(task_id="upstream")
        mapped = GeminiBatchPrepareInputOperator.partial(
            task_id="prepare", destination_uri=f"gs://{TEST_BUCKET}/security/p.jsonl"
        ).expand(source=upstream.output)
    operator = mapped.unmap({"source": str(outside)})  # as a worker makes the task of one mapped value
    with raises_permanently(GeminiBatchAccessRefusedError, match="came from a template or an XCom"):
        operator.execute({})


def test_a_mapped_tasks_own_literal_source_is_read_without_a_base_folder() -> None:
    """``partial(source=<the DAG author's path>).expand(destination_uri=...)``: the path is the author's, not a
    mapped value, so it is read as written; ``expand_kwargs`` may set any argument, so its source is not."""
    with DAG("mapped_literal", schedule=None):
        by_destination = GeminiBatchPrepareInputOperator.partial(
            task_id="prepare", source=str(SEED_INPUT)
        ).expand(destination_uri=[f"gs://{TEST_BUCKET}/security/mapped-{index}.jsonl" for index in range(2)])
        by_kwargs = GeminiBatchPrepareInputOperator.partial(task_id="prepare_kwargs").expand_kwargs(
            [{"source": str(SEED_INPUT), "destination_uri": f"gs://{TEST_BUCKET}/security/mapped-kwargs.jsonl"}]
        )
    operator = by_destination.unmap({"destination_uri": f"gs://{TEST_BUCKET}/security/mapped-0.jsonl"})
    assert operator.execute({})["row_count"] == 1
    operator = by_kwargs.unmap({"source": str(SEED_INPUT),
                                "destination_uri": f"gs://{TEST_BUCKET}/security/mapped-kwargs.jsonl"})
    with raises_permanently(GeminiBatchAccessRefusedError, match="came from a template or an XCom"):
        operator.execute({})


def test_the_dag_authors_own_path_is_read_without_a_base_folder() -> None:
    result = prepare(source=str(SEED_INPUT)).execute({})  # type: ignore[arg-type]
    assert result["row_count"] == 1


def test_the_deployments_base_folder_confines_a_templated_path(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, outside = folders
    (base / "requests.jsonl").write_bytes(SEED_INPUT.read_bytes())
    monkeypatch.setenv(BASE_DIR_SETTING, str(base))
    inside = prepare()
    render(inside, "requests.jsonl")
    assert inside.execute({})["row_count"] == 1  # type: ignore[arg-type]
    escaping = prepare()
    render(escaping, str(outside))
    with raises_permanently(GeminiBatchAccessRefusedError, match=r"outside \[gemini_batch\] local_base_dir"):
        escaping.execute({})


@pytest.mark.parametrize("link", ["escape.jsonl", "linked/outside.jsonl"])
def test_a_symbolic_link_cannot_lead_out_of_the_base_folder(folders: tuple[Path, Path], link: str) -> None:
    base, outside = folders
    (base / "escape.jsonl").symlink_to(outside)
    (base / "linked").symlink_to(outside.parent, target_is_directory=True)
    operator = prepare(local_base_dir=str(base))
    render(operator, link)
    with raises_permanently(GeminiBatchAccessRefusedError, match="leads outside local_base_dir") as info:
        operator.execute({})
    assert SECRET_LINE not in str(info.value)


@pytest.mark.parametrize("dag_file", sorted(EXAMPLE_DAGS.glob("*_example.py")), ids=lambda path: path.stem)
@pytest.mark.parametrize("attack", ["/proc/self/environ", "../../../../proc/self/environ", "/etc/passwd"])
def test_the_example_dags_trigger_form_cannot_read_the_workers_files(
    dag_file: Path, attack: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    dag = runpy.run_path(str(dag_file))["dag"]
    task = dag.get_task("prepare_input")
    task.render_template_fields({"params": {**dag.params, "input_source": attack}, "run_id": "manual__attack",
                                 "dag": dag, "task": task, **dag.user_defined_macros})
    assert task.source == attack, "the attacker's params reached the task"
    with raises_permanently(GeminiBatchAccessRefusedError, match="leads outside local_base_dir") as info:
        task.execute({})
    assert "AIRFLOW" not in str(info.value) + caplog.text, "nothing of the file was read"


def test_a_file_read_by_mistake_is_not_echoed(folders: tuple[Path, Path], caplog: pytest.LogCaptureFixture,
                                             capfd: pytest.CaptureFixture[str]) -> None:
    base, outside = folders
    caplog.set_level(logging.DEBUG)
    operator = prepare(local_base_dir=str(outside.parent))
    render(operator, str(base / ".." / outside.name))
    with raises_permanently(GeminiBatchInputError) as info:
        operator.execute({})
    captured = capfd.readouterr()
    assert info.value.problems == ["line 1: is not valid JSON: Expecting value at column 1"]
    for text in (str(info.value), caplog.text, captured.out, captured.err):
        assert "secret-passwd-line" not in text
