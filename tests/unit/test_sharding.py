"""Files within the limits: line sets, the planner, and each file's content taken from one shared stream."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from airflow_batch_gemini.input.digest import ContentDigest
from airflow_batch_gemini.input.sharding import UPLOAD_BLOCK_BYTES, LineSet, ShardPlanner, shard_lines


def test_line_sets_hold_one_bit_per_line() -> None:
    lines = LineSet()
    for number in (3, 0, 17, 3):
        lines.add(number)
    assert len(lines) == 3 and list(lines) == [0, 3, 17]
    assert 17 in lines and 4 not in lines and 1000 not in lines and -1 not in lines and "3" not in lines


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
