"""The submit operator's default display name renders for every run, with or without a logical date."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import jinja2.sandbox
import pytest

from airflow_batch_gemini.operators.submit_job import DEFAULT_DISPLAY_NAME

RUN_AFTER = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


def render(dag_id: str, logical_date: datetime | None) -> str:
    template = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined).from_string(DEFAULT_DISPLAY_NAME)
    return template.render(dag=SimpleNamespace(dag_id=dag_id), task=SimpleNamespace(task_id="submit"),
                           dag_run=SimpleNamespace(logical_date=logical_date, run_after=RUN_AFTER))


@pytest.mark.parametrize(("logical_date", "stamp"), [
    (datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "20260102T030405"),
    (None, "20260304T050607"),  # Airflow 3's logical_date: null (no ts_nodash in such a run)
])
def test_the_default_display_name_names_the_run_by_its_date(logical_date: datetime | None, stamp: str) -> None:
    assert render("daily", logical_date) == f"daily-submit-{stamp}"


def test_the_default_display_name_is_cut_at_the_services_limit() -> None:
    name = render("d" * 250, RUN_AFTER)
    assert len(name) == 128 and name == "d" * 128
