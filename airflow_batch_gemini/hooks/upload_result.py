"""What an upload of :class:`~airflow_batch_gemini.hooks.storage.GeminiBatchStorageHook` ends with. Pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UploadResult:
    """Outcome of :meth:`GeminiBatchStorageHook.upload_lines` or of a background upload's commit.

    :param uri: the destination ``gs://`` URI.
    :param generation: the generation of the object now at the destination.
    :param reused: ``True`` if an identical object was already there and nothing was sent.
    """

    uri: str
    generation: int
    reused: bool
