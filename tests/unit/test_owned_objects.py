"""The writer rule of hooks.owned_objects on a stand-in for the storage hook: a task replaces or deletes only the
files it wrote, or, with ``overwrite``, another run's file of the same kind; never an object the package did not
write; and never one that changed since it was looked at."""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core.exceptions import PreconditionFailed

from airflow_batch_gemini.exceptions import GeminiBatchUploadConflictError
from airflow_batch_gemini.hooks.owned_objects import OwnedObjects
from airflow_batch_gemini.package_files import REJECTS_KIND, RESULT_KIND, WRITER_KEY, package_file_metadata
from tests.unit.test_storage_rows import StandInHook

RUN_1, RUN_2 = "dag/scheduled__1/prepare", "dag/manual__2/prepare"
URI = "gs://b/rejects/requests.rejects.jsonl"


class DeletingHook(StandInHook):
    """The stand-in, deleting as the hook does: only at the generation given."""

    def delete_if_present(self, uri: str, if_generation_match: int | None = None) -> bool:
        if uri not in self.objects:
            return False
        if if_generation_match is not None and self.generations[uri] != if_generation_match:
            raise PreconditionFailed(uri)
        del self.objects[uri]
        return True


def hook_with(kind: str | None, writer: str | None) -> DeletingHook:
    hook = DeletingHook({})
    metadata = {**(package_file_metadata(kind) if kind else {}), **({WRITER_KEY: writer} if writer else {})}
    hook.put(URI, b"theirs\n", metadata)
    return hook


def owned(hook: DeletingHook, writer: str | None, overwrite: bool = False) -> OwnedObjects:
    stand_in: Any = hook
    return OwnedObjects(stand_in, writer, REJECTS_KIND, overwrite=overwrite)


def test_a_file_is_written_marked_with_its_kind_and_writer_and_replaced_by_that_writer_only() -> None:
    hook = DeletingHook({})
    with owned(hook, RUN_1).open_writer(URI) as writer:
        writer.write(b"ours\n")
    assert hook.metadata[URI] == {**package_file_metadata(REJECTS_KIND), WRITER_KEY: RUN_1}
    assert owned(hook, RUN_1).precondition(URI) == hook.generations[URI], "a retry may replace it"
    for other in (RUN_2, None):
        with pytest.raises(GeminiBatchUploadConflictError, match=f"written by '{RUN_1}'.*overwrite=True"):
            owned(hook, other).precondition(URI)


def test_overwrite_replaces_another_runs_file_of_the_same_kind_only() -> None:
    assert owned(hook_with(REJECTS_KIND, RUN_1), RUN_2, overwrite=True).precondition(URI) == 1
    assert owned(hook_with(REJECTS_KIND, None), RUN_2, overwrite=True).precondition(URI) == 1
    for kind in (RESULT_KIND, None):
        with pytest.raises(GeminiBatchUploadConflictError, match="is not a rejects file of this package"):
            owned(hook_with(kind, RUN_1 if kind else None), RUN_2, overwrite=True).precondition(URI)


def test_a_delete_takes_the_generation_seen_and_nothing_else() -> None:
    hook = hook_with(REJECTS_KIND, RUN_1)
    rejects = owned(hook, RUN_1)
    assert rejects.delete(URI, 0) is False and URI in hook.objects, "generation 0: there was nothing to delete"
    seen = rejects.precondition(URI)
    hook.put(URI, b"replaced meanwhile\n", {**package_file_metadata(REJECTS_KIND), WRITER_KEY: RUN_2})
    with pytest.raises(GeminiBatchUploadConflictError, match="created or replaced by another writer"):
        rejects.delete(URI, seen)
    assert hook.objects[URI] == b"replaced meanwhile\n"
    assert owned(hook, RUN_2).delete(URI, owned(hook, RUN_2).precondition(URI)) is True and URI not in hook.objects
