"""Cloud Storage style digests: size, CRC32C and MD5 in its encoding, and the comparison with an object."""

from __future__ import annotations

import base64
import hashlib

from airflow_batch_gemini.input.digest import ContentDigest


def test_digest_matches_cloud_storage_encoding() -> None:
    digest = ContentDigest()
    digest.update(b'{"a":1}')
    digest.update(b"\n")
    # the values fake-gcs-server and Cloud Storage report for these 8 bytes
    assert digest.crc32c == "M3Q35g=="
    assert digest.md5 == base64.b64encode(hashlib.md5(b'{"a":1}\n').digest()).decode()
    assert digest.size == 8
    assert digest.describe() == "8 bytes, crc32c M3Q35g=="


def test_digest_comparison() -> None:
    digest = ContentDigest()
    digest.update(b"abc\n")
    assert digest.matches(4, digest.crc32c, digest.md5)
    assert digest.matches(4, digest.crc32c, None), "composite objects have no MD5"
    assert not digest.matches(5, digest.crc32c, digest.md5)
    assert not digest.matches(4, "AAAAAA==", digest.md5)
    assert not digest.matches(4, None, digest.md5)
    assert not digest.matches(4, digest.crc32c, "bm9wZQ==")
