from __future__ import annotations

from dataclasses import dataclass

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



@dataclass(frozen=True)
class Content:
    """What the fingerprint reads of an object (StoredObject has these too)."""

    uri: str
    size: int
    crc32c: str | None
    md5: str | None = None
    generation: int = 1


def test_fingerprint_covers_what_the_input_objects_hold() -> None:
    """A changed input file is a new request: never the old job's stale answers."""
    before = [Content("gs://b/in.jsonl", 100, "AAAAAA==", "md5-one")]
    same = request_fingerprint("m", ["gs://b/in.jsonl"], "gs://o", before)
    assert request_fingerprint("m", ["gs://b/in.jsonl"], "gs://o", list(before)) == same
    for changed in (
        Content("gs://b/in.jsonl", 100, "BBBBBB==", "md5-one"),  # other bytes, same size
        Content("gs://b/in.jsonl", 101, "AAAAAA==", "md5-one"),
        Content("gs://b/in.jsonl", 100, "AAAAAA==", "md5-two"),
        Content("gs://b/in.jsonl", 100, "AAAAAA==", None),  # a composite object: no MD5
    ):
        assert request_fingerprint("m", ["gs://b/in.jsonl"], "gs://o", [changed]) != same, changed


def test_fingerprint_covers_what_a_wildcard_matches_now() -> None:
    one = [Content("gs://b/in/a.jsonl", 10, "A")]
    two = [*one, Content("gs://b/in/b.jsonl", 10, "B")]
    assert request_fingerprint("m", ["gs://b/in/*.jsonl"], "o", one) != request_fingerprint(
        "m", ["gs://b/in/*.jsonl"], "o", two)
    assert request_fingerprint("m", ["gs://b/in/*.jsonl"], "o", two) == request_fingerprint(
        "m", ["gs://b/in/*.jsonl"], "o", two[::-1]), "in any order"


def test_the_same_bytes_written_again_are_the_same_request() -> None:
    """A new generation of the same bytes (a re-upload, a round's input written again by a retry) re-attaches."""
    first = Content("gs://b/in.jsonl", 100, "AAAAAA==", "md5", generation=1)
    again = Content("gs://b/in.jsonl", 100, "AAAAAA==", "md5", generation=2)
    assert request_fingerprint("m", [first.uri], "o", [first]) == request_fingerprint("m", [again.uri], "o", [again])
