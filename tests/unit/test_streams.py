"""Line splitting of byte chunks and Cloud Storage style digests."""

from __future__ import annotations

import base64
import hashlib

from hypothesis import given
from hypothesis import strategies as st

from airflow_batch_gemini.streams import ContentDigest, iter_lines


def test_lines_keep_their_breaks_and_the_last_may_lack_one() -> None:
    assert list(iter_lines([b"ab\ncd", b"e\n\nf"])) == [b"ab\n", b"cde\n", b"\n", b"f"]
    assert list(iter_lines([b"", b"a\n"])) == [b"a\n"]
    assert list(iter_lines([])) == []


@given(st.binary(max_size=300), st.lists(st.integers(1, 50), max_size=20))
def test_any_chunking_gives_the_same_lines(data: bytes, cuts: list[int]) -> None:
    chunks, rest = [], data
    for cut in cuts:
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    *whole, last = data.split(b"\n")
    expected = [part + b"\n" for part in whole] + ([last] if last else [])
    assert list(iter_lines(chunks)) == expected


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
