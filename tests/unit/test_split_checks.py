"""Settings of the split and the resubmission that cannot work are import errors of the DAG that holds them:
a DagBag parses one DAG file per case."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.dag_bags import parsed_dags

HEADER = '''
from datetime import datetime

from airflow.sdk import DAG

from airflow_batch_gemini.operators.resubmit_failed import GeminiBatchResubmitFailedOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator

with DAG(dag_id="{dag_id}", schedule=None, start_date=datetime(2026, 1, 1), params={{"out": "gs://b/o"}}):
    submit = GeminiBatchSubmitJobOperator(task_id="submit", input_uris="gs://b/in.jsonl", output_uri_prefix={output!r})
'''
SPLIT = 'GeminiBatchSplitOutputOperator(task_id="split", job_manifest=submit.output, destination_prefix="gs://b/r"'
RESUBMIT = 'GeminiBatchResubmitFailedOperator(task_id="resubmit", split_manifest={}, destination_prefix="gs://b/f"'

#: case: (the submit task's output_uri_prefix, the task that cannot work, its import error)
CASES = {
    "ratio_of_5": ("gs://b/o", f"{SPLIT}, max_failure_ratio=5)", "max_failure_ratio is 5; it is the share"),
    "negative_ratio": ("gs://b/o", f"{RESUBMIT}, max_failure_ratio=-0.5)", "max_failure_ratio is -0.5"),
    "fifty_rounds": ("gs://b/o", f"{RESUBMIT}, max_rounds=50)", "max_rounds is 50; give a whole number"),
    "no_key_fields": ("gs://b/o", f"{SPLIT}, key_fields=[])", "key_fields is empty"),
    "status_as_key": ("gs://b/o", f"{RESUBMIT}, key_fields=['status'])", "key_fields holds 'status'"),
    "spaced_key": ("gs://b/o", f"{SPLIT}, key_fields='row id')", "key_fields holds 'row id', which is not"),
    "bigquery_job": ("bq://project.dataset.predictions", f"{SPLIT})",
                     "job_manifest is the output of task 'submit', whose output_uri_prefix "
                     "'bq://project.dataset.predictions' is not a gs:// directory"),
    "bigquery_directory": ("gs://b/o", 'GeminiBatchSplitOutputOperator(task_id="split", destination_prefix="gs://b/r",'
                           ' output_directory="bq://project.dataset.predictions")',
                           "output_directory 'bq://project.dataset.predictions' is not a gs:// directory"),
    "local_results": ("gs://b/o", f'{SPLIT.replace("gs://b/r", "/tmp/results")})',
                      "destination_prefix is '/tmp/results', not a Cloud Storage folder"),
    "bigquery_rounds": ("gs://b/o", f'{RESUBMIT.replace("gs://b/f", "bq://project.dataset")})',
                        "destination_prefix is 'bq://project.dataset', not a Cloud Storage folder"),
}
#: settings known at run time only, or fine: no import error
ACCEPTED = {
    "templated_output": ("{{ params.out }}", f"{SPLIT}, key_fields='custom_id', max_failure_ratio=1)"),
    "templated_results": ("gs://b/o", f'{SPLIT.replace("gs://b/r", "{{ params.out }}/r")}, max_failure_ratio=0)'),
    "ten_rounds": ("gs://b/o", f"{RESUBMIT}, max_rounds=10, max_failure_ratio=0.2)"),
}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> tuple[set[str], dict[str, str]]:
    """The DAGs a DagBag over one DAG file per case loads, and its import errors by case."""
    folder = tmp_path_factory.mktemp("dags")
    for case, (output, task) in {**{name: value[:2] for name, value in CASES.items()}, **ACCEPTED}.items():
        text = HEADER.format(dag_id=case, output=output) + f"    {task}\n"
        (folder / f"{case}.py").write_text(textwrap.dedent(text))
    bag = parsed_dags(folder, safe_mode=False)
    return set(bag.dag_ids), {Path(path).stem: error for path, error in bag.import_errors.items()}


def test_only_the_settings_that_cannot_work_are_import_errors(parsed: tuple[set[str], dict[str, str]]) -> None:
    loaded, errors = parsed
    assert loaded == set(ACCEPTED), "templated and sound settings load"
    assert set(errors) == set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_each_import_error_says_what_to_change(parsed: tuple[set[str], dict[str, str]], case: str) -> None:
    error = parsed[1].get(case, "(the DAG loaded)")
    assert "GeminiBatchConfigurationError" in error
    assert CASES[case][2] in error
