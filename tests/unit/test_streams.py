"""Line splitting of byte chunks and Cloud Storage style digests."""

from __future__ import annotations

import base64
import hashlib

from hypothesis import given
from hypothesis import strategies as st

from airflow_batch_gemini.input.streams import (
    UPLOAD_BLOCK_BYTES,
    ContentDigest,
    LineSet,
    ShardPlanner,
    iter_lines,
    rejects_uri_for,
    shard_lines,
    shard_uri,
)


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


def test_line_sets_hold_one_bit_per_line() -> None:
    lines = LineSet()
    for number in (3, 0, 17, 3):
        lines.add(number)
    assert len(lines) == 3 and list(lines) == [0, 3, 17]
    assert 17 in lines and 4 not in lines and 1000 not in lines and -1 not in lines and "3" not in lines


def test_file_names_beside_the_destination() -> None:
    assert shard_uri("gs://b/in/requests.jsonl", 0, 1) == "gs://b/in/requests.jsonl"
    assert shard_uri("gs://b/in/requests.jsonl", 2, 3) == "gs://b/in/requests-00002-of-00003.jsonl"
    assert shard_uri("gs://b/in/requests", 0, 2) == "gs://b/in/requests-00000-of-00002.jsonl"
    assert rejects_uri_for("gs://b/in/requests.jsonl") == "gs://b/in/requests.rejects.jsonl"


def test_each_file_takes_its_lines_from_one_shared_stream() -> None:
    planner = ShardPlanner(max_rows=2, max_bytes=100)
    for number in (1, 2, 4, 5):
        planner.add(number, b"x\n")
    first, second = planner.finish()
    skipped = LineSet()
    skipped.add(3)
    numbered = iter(enumerate([b"a\n", b"b\n", b"c\n", b"d\n", b"e\n"], start=1))
    keep = lambda number, raw: raw  # noqa: E731
    assert list(shard_lines(numbered, first, skipped, keep)) == [b"a\nb\n"]
    assert list(shard_lines(numbered, second, skipped, keep)) == [b"d\ne\n"]


def test_a_file_not_read_leaves_the_stream_for_the_next() -> None:
    planner = ShardPlanner(max_rows=2, max_bytes=100)
    for number in range(1, 5):
        planner.add(number, b"x\n")
    _, second = planner.finish()
    numbered = iter(enumerate([b"a\n", b"b\n", b"c\n", b"d\n"], start=1))
    assert list(shard_lines(numbered, second, LineSet(), lambda n, raw: raw.upper())) == [b"C\nD\n"]


def test_file_content_is_handed_on_in_blocks_of_whole_lines() -> None:
    line = b"x" * (UPLOAD_BLOCK_BYTES // 3) + b"\n"
    planner = ShardPlanner(max_rows=10, max_bytes=10 * len(line))
    for number in range(1, 8):
        planner.add(number, line)
    (shard,) = planner.finish()
    blocks = list(shard_lines(iter(enumerate([line] * 7, start=1)), shard, LineSet(), lambda n, raw: raw))
    assert [len(block) // len(line) for block in blocks] == [3, 3, 1] and b"".join(blocks) == line * 7


@given(st.lists(st.binary(min_size=1, max_size=40), max_size=60), st.integers(1, 7), st.integers(40, 200))
def test_planned_files_respect_the_limits_and_digest_their_lines(lines: list[bytes], rows: int, size: int) -> None:
    planner = ShardPlanner(max_rows=rows, max_bytes=size)
    for number, line in enumerate(lines, start=1):
        planner.add(number, line)
    shards = planner.finish()
    assert sum(shard.row_count for shard in shards) == len(lines)
    for shard in shards:
        content = b"".join(lines[shard.first_line - 1 : shard.last_line])
        assert shard.row_count <= rows and len(content) <= size
        expected = ContentDigest()
        expected.update(content)
        assert (shard.digest.size, shard.digest.crc32c, shard.digest.md5) == (len(content), expected.crc32c,
                                                                               expected.md5)
