"""The rule of ``gemini-batch-local`` for Airflow's home and DAGs folder (``gemini_batch_local.cli``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemini_batch_local.cli import AirflowPlaces, airflow_places, build_parser

SCRATCH = Path("/tmp/scratch-home")


@pytest.mark.parametrize(
    ("environ", "option", "expected"),
    [
        pytest.param({}, None, AirflowPlaces(SCRATCH, Path("dags").resolve()), id="nothing-set"),
        pytest.param({}, Path("mine"), AirflowPlaces(SCRATCH, Path("mine").resolve()), id="option"),
        pytest.param({"AIRFLOW__CORE__DAGS_FOLDER": "/d"}, None, AirflowPlaces(SCRATCH, None), id="callers-dags"),
        pytest.param({"AIRFLOW_HOME": "/h"}, None, AirflowPlaces(None, None), id="callers-home-and-its-config"),
        pytest.param({"AIRFLOW_HOME": "/h", "AIRFLOW__CORE__DAGS_FOLDER": "/d"}, Path("/o"),
                     AirflowPlaces(None, Path("/o")), id="the-option-wins"),
    ],
)
def test_airflow_places(environ: dict[str, str], option: Path | None, expected: AirflowPlaces) -> None:
    places = airflow_places(environ, option, SCRATCH)
    assert places == expected
    assert places.temporary_home is ("AIRFLOW_HOME" not in environ)


def test_the_command_comes_after_the_double_dash() -> None:
    args = build_parser().parse_args(["--bucket", "a", "--bucket", "b", "--", "airflow", "dags", "test", "x"])
    assert (args.bucket, args.command) == (["a", "b"], ["--", "airflow", "dags", "test", "x"])
