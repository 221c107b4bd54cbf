"""A job's identity: the labels that let a retry find the job an earlier try created. Pure."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from airflow_batch_gemini.job.names import InvalidNameError

#: Label that carries a job's deterministic identity (dag, task, run, map index).
IDENTITY_LABEL = "airflow_batch_key"
#: Label that fingerprints what was asked (model, input and its content, output): a retry with other input is a
#: new job.
REQUEST_LABEL = "airflow_batch_request"

_LABEL_VALUE_BAD = re.compile(r"[^a-z0-9_-]+")
_MAX_LABEL_LENGTH = 63


def label_value(text: str) -> str:
    """Turn any text into a valid label value (lowercase letters, digits, ``_``, ``-``; 63 chars)."""
    cleaned = _LABEL_VALUE_BAD.sub("-", text.lower()).strip("-")
    if len(cleaned) <= _MAX_LABEL_LENGTH:
        return cleaned
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{cleaned[: _MAX_LABEL_LENGTH - 9]}-{digest}"


def _digest(parts: Sequence[object]) -> str:
    return hashlib.sha256(json.dumps(list(parts), default=str).encode()).hexdigest()[:40]


def identity_key(dag_id: str, task_id: str, run_id: str, map_index: int | None) -> str:
    """A deterministic key for one task instance's job: the same on every retry of that instance."""
    return "k" + _digest([dag_id, task_id, run_id, -1 if map_index is None else map_index])


class InputContent(Protocol):
    """What the fingerprint reads of one input object
    (:class:`~airflow_batch_gemini.hooks.storage.StoredObject` is one)."""

    @property
    def uri(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def crc32c(self) -> str | None: ...
    @property
    def md5(self) -> str | None: ...


def request_fingerprint(
    model: str, input_uris: Sequence[str], output: str, contents: Iterable[InputContent] = ()
) -> str:
    """A fingerprint of what a job was asked to do: a retry asked for the same re-attaches to the job, one
    asked for anything else gets a new job.

    It covers the model, the input URIs as given, the output, and what the input objects hold now
    (``contents``: every object the URIs name, a wildcard's matches included, by name, size, CRC32C and
    MD5 when the object has one). So a changed input file, or a wildcard that matches other objects, is a
    new job, never the old job's stale answers. The generation is left out on purpose: an object written
    again with the same bytes (a re-upload, a resubmission round's input written again by a task retry)
    holds the same requests, and must not be paid for twice.
    """
    parts: list[object] = [model, sorted(input_uris), output]
    held = sorted((item.uri, int(item.size), item.crc32c, item.md5) for item in contents)
    if held:
        parts.append(held)
    return "r" + _digest(parts)


def identity_labels(
    dag_id: str, task_id: str, run_id: str, map_index: int | None, fingerprint: str
) -> dict[str, str]:
    """Labels that let a retry find the job an earlier try created."""
    labels = {
        IDENTITY_LABEL: identity_key(dag_id, task_id, run_id, map_index),
        REQUEST_LABEL: fingerprint,
        "airflow_dag": label_value(dag_id),
        "airflow_task": label_value(task_id),
    }
    if map_index is not None and map_index >= 0:
        labels["airflow_map_index"] = str(map_index)
    return labels


def validate_labels(labels: Mapping[str, str]) -> None:
    """Raise :class:`InvalidNameError` for labels the service would refuse."""
    if len(labels) > 64:
        raise InvalidNameError(f"{len(labels)} labels given; a job takes at most 64")
    for key, value in labels.items():
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,62}", key):
            raise InvalidNameError(
                f"label key {key!r} must start with a lowercase letter and hold only lowercase "
                "letters, digits, '_' or '-', at most 63 characters"
            )
        if not re.fullmatch(r"[a-z0-9_-]{0,63}", value):
            raise InvalidNameError(
                f"label {key}={value!r}: values hold only lowercase letters, digits, '_' or '-', "
                "at most 63 characters (job.identity.label_value() cleans any text)"
            )
