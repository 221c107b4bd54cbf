"""The files the package writes, and how a job's input is told apart from them. Pure.

Every object the package writes carries the custom metadata ``airflow-batch-gemini-file``, whose value
is the file's kind: ``input`` for what a job is meant to read (a prepared input, a resubmission round's
input); ``rejects``, ``result`` and the like for the rest. A job's input may only be a user's own object
(no such metadata) or an ``input``: anything else, picked up by a wildcard say, is refused before a job
is created and is never counted as input by the split.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The custom metadata key (``x-goog-meta-airflow-batch-gemini-file``) of every object the package writes.
PACKAGE_FILE_KEY = "airflow-batch-gemini-file"
#: The custom metadata key naming the run that wrote a result file (``dag_id/run_id/task_id``), so that
#: a retry of that run may replace it and another run may not.
WRITER_KEY = "airflow-batch-gemini-writer"
#: The kind of a file a job is meant to read.
INPUT_KIND = "input"
#: The kind of a prepared input's rejects file.
REJECTS_KIND = "rejects"
#: The kind of a split's or a resubmission's result files.
RESULT_KIND = "result"


def package_file_metadata(kind: str) -> dict[str, str]:
    """The custom metadata that marks an object the package writes as a file of ``kind``."""
    return {PACKAGE_FILE_KEY: kind}


def package_file_kind(metadata: Mapping[str, str] | None) -> str | None:
    """The kind the package marked an object with, or ``None`` for an object it did not write."""
    return (metadata or {}).get(PACKAGE_FILE_KEY)


def may_be_job_input(metadata: Mapping[str, str] | None) -> bool:
    """Whether an object with this custom metadata may be read by a job: a user's own, or an ``input``."""
    return package_file_kind(metadata) in (None, INPUT_KIND)
