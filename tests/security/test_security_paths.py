"""Local paths rendered from templates must not reach outside the folder they are meant for.

``GeminiBatchPrepareInputOperator`` reads a local ``source`` path as given unless ``local_base_dir``
names the folder templated paths must stay inside; then ``{{ params.path }}`` rendered to
``../../etc/passwd`` is refused. Without it, the content of a file read by mistake is at least not
echoed into errors or logs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchInputError
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from tests.conftest import TEST_BUCKET
from tests.failfast import raises_permanently

pytestmark = pytest.mark.usefixtures("google_connection")

TRAVERSALS = ("../outside.jsonl", "../../etc/passwd", "/etc/passwd", "inputs/../../outside.jsonl")
SECRET_LINE = "root:x:0:0:secret-passwd-line:/root:/bin/bash"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """A base folder for inputs, and a secret file beside it (outside it)."""
    base = tmp_path / "inputs"
    base.mkdir()
    (tmp_path / "outside.jsonl").write_text(SECRET_LINE + "\n")
    return base, tmp_path / "outside.jsonl"


def render(operator: GeminiBatchPrepareInputOperator, path: str) -> None:
    """Render the operator's templates with ``params.path`` as Airflow does before ``execute``."""
    operator.render_template_fields({"params": {"path": path}})  # type: ignore[arg-type]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_templated_source_cannot_escape_its_base_folder(folders: tuple[Path, Path], path: str) -> None:
    base, _ = folders
    operator = GeminiBatchPrepareInputOperator(
        task_id="prepare", source="{{ params.path }}", destination_uri=f"gs://{TEST_BUCKET}/security/p.jsonl",
        local_base_dir=str(base),
    )
    render(operator, path)
    with pytest.raises((ValueError, PermissionError), match="outside"):
        operator.execute({})


def test_a_file_read_by_mistake_is_not_echoed(folders: tuple[Path, Path], caplog: pytest.LogCaptureFixture,
                                             capfd: pytest.CaptureFixture[str]) -> None:
    base, outside = folders
    caplog.set_level(logging.DEBUG)
    operator = GeminiBatchPrepareInputOperator(
        task_id="prepare", source="{{ params.path }}", destination_uri=f"gs://{TEST_BUCKET}/security/p.jsonl",
    )
    render(operator, str(base / ".." / outside.name))
    with raises_permanently(GeminiBatchInputError) as info:
        operator.execute({})
    captured = capfd.readouterr()
    assert info.value.problems == ["line 1: is not valid JSON: Expecting value at column 1"]
    for text in (str(info.value), caplog.text, captured.out, captured.err):
        assert "secret-passwd-line" not in text
