"""Who writes a task's results (the mark that lets a retry replace them and no other run), and the allow-lists of
the split and the resubmission, checked when the DAG is parsed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchAccessRefusedError
from airflow_batch_gemini.operators.resubmit_failed import GeminiBatchResubmitFailedOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from airflow_batch_gemini.operators.writer_identity import result_writer


def ti(**fields: object) -> SimpleNamespace:
    return SimpleNamespace(**{"dag_id": "d", "run_id": "scheduled__2026-01-01", "task_id": "split", "map_index": -1,
                              "try_number": 1, **fields})


def test_the_writer_is_the_task_instance_the_same_on_every_try() -> None:
    assert result_writer({"ti": ti()}) == "d/scheduled__2026-01-01/split"
    assert result_writer({"ti": ti(try_number=3)}) == result_writer({"ti": ti()})
    assert result_writer({"ti": ti(map_index=4)}) == "d/scheduled__2026-01-01/split/4", "each mapped index its own"
    assert result_writer({"ti": ti(run_id="manual__x")}) != result_writer({"ti": ti()})


@pytest.mark.parametrize("context", [{}, {"ti": None}, {"ti": SimpleNamespace(xcom_push=print)}, {"ti": ti(run_id="")}])
def test_no_task_instance_no_writer(context: dict[str, object]) -> None:
    assert result_writer(context) is None


@pytest.mark.parametrize("kwargs", [{"allowed_source_prefixes": ["/etc"]}, {"allowed_destination_prefixes": ["gs://*"]}])
def test_an_allow_list_entry_that_is_no_bucket_or_folder_fails_the_dag_at_parse(kwargs: dict[str, object]) -> None:
    with pytest.raises(GeminiBatchAccessRefusedError, match="is not a bucket or folder"):
        GeminiBatchSplitOutputOperator(task_id="split", output_directory="gs://b/o", destination_prefix="gs://b/r",
                                       **kwargs)
    with pytest.raises(GeminiBatchAccessRefusedError, match="is not a bucket or folder"):
        GeminiBatchResubmitFailedOperator(task_id="resubmit", split_manifest={}, destination_prefix="gs://b/f",
                                          **kwargs)
