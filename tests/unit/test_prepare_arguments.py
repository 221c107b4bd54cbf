"""The prepare operator's arguments are checked when the DAG file is parsed: a bad value is an import error
of the DAG (what the UI shows), not a failure of every run."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from tests.dag_bags import parsed_dags

DAG_FILE = '''
from datetime import datetime

from airflow.sdk import DAG

from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator

with DAG(dag_id="bad_prepare", schedule=None, start_date=datetime(2026, 1, 1)):
    GeminiBatchPrepareInputOperator(
        task_id="prepare", source="in.jsonl", destination_uri="gs://b/in/requests.jsonl", {argument}
    )
'''


def import_errors(folder: Path, argument: str) -> list[str]:
    """Parse a DAG file whose prepare task gets ``argument``; return the DagBag's import errors."""
    path = folder / "bad_prepare.py"
    path.write_text(textwrap.dedent(DAG_FILE.format(argument=argument)))
    bag = parsed_dags(path)
    return list(bag.import_errors.values())


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("max_rows_per_file=0", "max_rows_per_file must be a whole number from 1 to 200,000"),
        ("max_rows_per_file=200_001", "max_rows_per_file must be a whole number from 1 to 200,000"),
        ("max_rows_per_file=2.5", "max_rows_per_file must be a whole number"),
        ("max_rows_per_file=True", "max_rows_per_file must be a whole number"),
        ("max_bytes_per_file=2_000_000_000", "max_bytes_per_file must be a whole number from 1 to 1,000,000,000"),
        ("max_bytes_per_file='1000'", "max_bytes_per_file must be a whole number"),
        ("max_rejected_ratio=1.5", "max_rejected_ratio must be between 0 and 1"),
        ("max_rejected_ratio=float('nan')", "max_rejected_ratio must be between 0 and 1"),
        ("max_rejected_ratio=True", "max_rejected_ratio must be between 0 and 1"),
        ("max_problems=0", "max_problems must be a whole number of 1 or more"),
        ("on_invalid='ignore'", "on_invalid must be one of"),
        ("overwrite='false'", "overwrite must be True or False, not 'false'"),
        ("add_row_keys=1", "add_row_keys must be True or False"),
        ("extra_schema=[1]", "extra_schema must be a JSON Schema"),
        ("extra_schema={'type': 'no-such-type'}", "extra_schema is not a valid JSON Schema"),
        ("row_key_field='row-id'", "row_key_field must be a valid column name"),
        ("rejects_content='all'", "rejects_content must be one of ('hash', 'excerpt', 'full'), not 'all'"),
        ("allowed_source_prefixes=['other-team']", "allow-list entry 'other-team' is not a bucket or folder"),
        ("allowed_destination_prefixes=['gs://team/*']", "allow-list entry 'gs://team/*' is not a bucket or folder"),
    ],
)
def test_a_bad_argument_is_an_import_error_of_the_dag(tmp_path: Path, argument: str, message: str) -> None:
    errors = import_errors(tmp_path, argument)
    assert len(errors) == 1 and message in errors[0], errors


def test_good_arguments_parse_and_a_templated_max_problems_waits_for_its_rendering(tmp_path: Path) -> None:
    arguments = ("max_rows_per_file=1, max_bytes_per_file=1_000_000_000, max_rejected_ratio=0, "
                 "max_problems='{{ params.max_problems }}', overwrite=True, extra_schema={'required': ['key']}")
    assert import_errors(tmp_path, arguments) == []


@pytest.mark.parametrize("ratio", [0, 0.5, 1, None])
def test_the_ratio_bounds_are_inclusive(ratio: Any) -> None:
    operator = GeminiBatchPrepareInputOperator(task_id="p", source="x", destination_uri="gs://b/o.jsonl",
                                               max_rejected_ratio=ratio)
    assert operator.max_rejected_ratio == ratio
