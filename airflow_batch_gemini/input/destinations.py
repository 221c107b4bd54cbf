"""Where an input's files go, all beside the destination the user gave: pure functions, no I/O.

``gs://b/in/requests.jsonl`` is the one file of an input that fits one job; an input cut into three
files goes to ``requests-00000-of-00003.jsonl`` ... ``requests-00002-of-00003.jsonl``. A name without
extension gets ``.jsonl``.

The rejected lines go to ``rejects/requests.rejects.jsonl``, in a folder of their own beside the input:
a wildcard over the input's folder (``gs://b/in/*.jsonl``, ``gs://b/in/*``, as a user may give a job)
stays within that folder, so it never matches the rejects, which are no requests. (The rejects file is
also marked as the package's, see :mod:`airflow_batch_gemini.package_files`, and refused as input
before a job is created, should a ``**`` wildcard reach it.)
"""

from __future__ import annotations

#: The folder beside the input that holds its rejects file.
REJECTS_FOLDER = "rejects"


def shard_uri(destination_uri: str, index: int, count: int) -> str:
    """The URI of file ``index`` of ``count``: the destination itself when there is one file, else
    ``requests-00000-of-00003.jsonl`` beside it for ``requests.jsonl``."""
    if count == 1:
        return destination_uri
    return _with_stem_suffix(destination_uri, f"-{index:05d}-of-{count:05d}")


def rejects_uri_for(destination_uri: str) -> str:
    """Where the rejected lines of an input go: ``rejects/requests.rejects.jsonl`` beside ``requests.jsonl``,
    out of reach of a ``*`` wildcard over the input's folder."""
    head, slash, name = _with_stem_suffix(destination_uri, ".rejects").rpartition("/")
    return f"{head}{slash}{REJECTS_FOLDER}/{name}"


def _with_stem_suffix(uri: str, suffix: str) -> str:
    """``gs://b/dir/requests.jsonl`` with ``suffix`` after ``requests`` (a name without extension gets ``.jsonl``)."""
    head, slash, name = uri.rpartition("/")
    stem, _, extension = name.partition(".")
    return f"{head}{slash}{stem}{suffix}.{extension or 'jsonl'}"
