"""The input stage's path to the line cutting of :mod:`airflow_batch_gemini.lines` (moved there, to be shared with
the output stage, which reads a job's output rows bounded the same way)."""

from airflow_batch_gemini.lines import (
    HEAD_BYTES,
    READ_CHUNK_BYTES,
    OverlongLine,
    bounded_blocks,
    iter_line_blocks,
    iter_lines,
    read_line_blocks,
    split_lines,
    stream_lines,
)

__all__ = [
    "HEAD_BYTES",
    "READ_CHUNK_BYTES",
    "OverlongLine",
    "bounded_blocks",
    "iter_line_blocks",
    "iter_lines",
    "read_line_blocks",
    "split_lines",
    "stream_lines",
]
