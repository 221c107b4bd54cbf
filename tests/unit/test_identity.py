from __future__ import annotations

import pytest

from airflow_batch_gemini.job.identity import (
    IDENTITY_LABEL,
    identity_key,
    identity_labels,
    label_value,
    request_fingerprint,
    validate_labels,
)
from airflow_batch_gemini.job.names import (
    InvalidNameError,
)


def test_identity_is_deterministic_per_task_instance_and_valid_as_labels() -> None:
    one = identity_key("dag.Name", "task", "manual__2026-01-01T00:00:00+00:00", -1)
    assert one == identity_key("dag.Name", "task", "manual__2026-01-01T00:00:00+00:00", -1)
    assert one != identity_key("dag.Name", "task", "manual__2026-01-01T00:00:00+00:00", 0)
    assert one != identity_key("dag.Name", "task", "scheduled__2026-01-01T00:00:00+00:00", -1)
    labels = identity_labels("Dag.Name", "Task With Spaces", "run", 3, request_fingerprint("m", ["gs://b/x"], "gs://o"))
    validate_labels(labels)
    assert labels[IDENTITY_LABEL].startswith("k") and labels["airflow_map_index"] == "3"
    assert label_value("A" * 100) == label_value("A" * 100) and len(label_value("A" * 100)) == 63


def test_fingerprint_changes_with_input_not_with_order() -> None:
    assert request_fingerprint("m", ["gs://a", "gs://b"], "o") == request_fingerprint("m", ["gs://b", "gs://a"], "o")
    assert request_fingerprint("m", ["gs://a"], "o") != request_fingerprint("m", ["gs://a2"], "o")


@pytest.mark.parametrize(("labels", "match"), [({"Bad": "x"}, "key"), ({"k": "UPPER"}, "values")])
def test_invalid_labels(labels: dict[str, str], match: str) -> None:
    with pytest.raises(InvalidNameError, match=match):
        validate_labels(labels)

