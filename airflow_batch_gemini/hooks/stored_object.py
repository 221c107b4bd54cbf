"""What the storage hook knows of an existing Cloud Storage object: its generation, size, checksums and custom
metadata."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_batch_gemini.input.digest import ContentDigest


@dataclass(frozen=True)
class StoredObject:
    """What the hook needs to know about an existing object.

    :param uri: ``gs://bucket/name``.
    :param generation: the object's generation number.
    :param size: its size in bytes.
    :param crc32c: its CRC32C, base64 as Cloud Storage reports it.
    :param md5: its MD5, base64, or ``None`` for composite objects.
    :param metadata: its custom metadata (see :mod:`airflow_batch_gemini.package_files`).
    """

    uri: str
    generation: int
    size: int
    crc32c: str | None
    md5: str | None
    metadata: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """A short human-readable summary, for messages."""
        return f"generation {self.generation}, {self.size:,} bytes, crc32c {self.crc32c}"

    def holds(self, digest: ContentDigest) -> bool:
        """Tell whether the object holds exactly the content ``digest`` was computed on."""
        return digest.matches(self.size, self.crc32c, self.md5)


def stored_object(uri: str, blob: Any) -> StoredObject:
    """The :class:`StoredObject` of a ``google.cloud.storage`` blob that was fetched or listed."""
    return StoredObject(
        uri=uri,
        generation=int(blob.generation),
        size=int(blob.size or 0),
        crc32c=blob.crc32c,
        md5=blob.md5_hash,
        metadata=dict(blob.metadata or {}),
    )
