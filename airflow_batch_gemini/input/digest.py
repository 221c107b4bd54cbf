"""Digests of content the way Cloud Storage shows them: pure, no I/O.

A :class:`ContentDigest` is fed the content piece by piece and gives its size, CRC32C and MD5 in Cloud
Storage's encoding (base64), so that an object's metadata tells whether it holds the same bytes
without reading it.
"""

from __future__ import annotations

import base64
import hashlib

import google_crc32c


class ContentDigest:
    """Size, CRC32C and MD5 of content fed piece by piece, in Cloud Storage's encoding (base64).

    Compare with an object's metadata through :meth:`matches` to tell whether it holds the same bytes.
    """

    def __init__(self) -> None:
        self.size = 0
        self._crc32c = google_crc32c.Checksum()
        self._md5 = hashlib.md5(usedforsecurity=False)

    def update(self, data: bytes) -> None:
        """Add the next piece of content."""
        self.size += len(data)
        self._crc32c.update(data)
        self._md5.update(data)

    @property
    def crc32c(self) -> str:
        """The CRC32C of the content so far, base64 of its big-endian bytes, as Cloud Storage shows it."""
        return base64.b64encode(self._crc32c.digest()).decode("ascii")

    @property
    def md5(self) -> str:
        """The MD5 of the content so far, base64-encoded, as Cloud Storage shows it."""
        return base64.b64encode(self._md5.digest()).decode("ascii")

    def matches(self, size: int | None, crc32c: str | None, md5: str | None) -> bool:
        """Tell whether an object with this size and checksums holds the same bytes.

        The MD5 is compared only when the object has one (composite objects do not); the size and the
        CRC32C must always be present and equal.
        """
        if size != self.size or crc32c != self.crc32c:
            return False
        return md5 is None or md5 == self.md5

    def describe(self) -> str:
        """A short human-readable summary, for messages."""
        return f"{self.size:,} bytes, crc32c {self.crc32c}"
