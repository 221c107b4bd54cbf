"""Peak memory of the prepare operator on hostile input, each in a fresh process: a local file holding one
huge line, and a "gzip bomb" (an object stored ``Content-Encoding: gzip`` that inflates a thousandfold).

Target: the process's peak RSS at most ``2x max_line_bytes`` above the same process preparing a small
normal input (the baseline). The table's ratio is the hostile process's peak over the baseline's peak plus
``2x max_line_bytes``, so ``≤1x`` is that target; the note gives the difference itself.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from bench import data
from bench.cases.common import unique_uri
from bench.measure import run_children
from bench.registry import BenchContext, Figure, Row, Target, bench_case
from bench.workloads import CHUNK

#: How many normal lines surround the huge line (and make the baseline's small input).
NORMAL_LINES = 5
_HEAD = b'{"request": {"contents": [{"role": "user", "parts": [{"text": "'
_TAIL = b'"}]}]}}\n'


def _long_line_file(path: Path, line_bytes: int) -> None:
    """Normal lines with, in the middle, one valid request of ``line_bytes`` bytes, written in pieces."""
    whole, rest = divmod(line_bytes - len(_HEAD) - len(_TAIL), CHUNK)
    piece = b"a" * CHUNK
    with path.open("wb") as handle:
        for index in range(NORMAL_LINES):
            if index == NORMAL_LINES // 2:
                for part in (_HEAD, *[piece] * whole, piece[:rest], _TAIL):
                    handle.write(part)
            handle.write(data.input_line(index))


def _gzip_bomb(inflated_bytes: int) -> bytes:
    """A gzip stream of ``inflated_bytes`` of ``[`` (it compresses about a thousandfold)."""
    buffer = io.BytesIO()
    piece = b"[" * CHUNK
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as stream:
        for _ in range(inflated_bytes // CHUNK):
            stream.write(piece)
    return buffer.getvalue()


def _row(name: str, size: str, hostile: dict[str, float], normal: dict[str, float], limit: int, note: str) -> Row:
    bound = 2 * limit / 2**20
    excess = hostile["peak_rss_mb"] - normal["peak_rss_mb"]
    return Row(
        name=name,
        size=size,
        subject=Figure(hostile["peak_rss_mb"], "MB"),
        baseline=Figure(normal["peak_rss_mb"] + bound, "MB"),
        baseline_name=f"the same prepare on {NORMAL_LINES} normal lines, plus 2x max_line_bytes",
        target=Target(1.0),
        note=(f"{excess:,.1f} MB above the baseline process ({normal['peak_rss_mb']:,.0f} MB) vs 2x max_line_bytes "
              f"= {bound:,.0f} MB (max_line_bytes = {limit / 2**20:g} MiB); fresh processes, peak RSS (VmHWM); "
              + note),
    )


@bench_case("peak RSS: hostile input", order=45)
def hostile_input(ctx: BenchContext) -> list[Row]:
    """Peak memory of prepare on a file with one huge line and on a gzip bomb, against a small normal input."""
    sizes = ctx.sizes
    limit = sizes.hostile_max_line_bytes
    long_file, small_file = ctx.workdir / "hostile-long-line.jsonl", ctx.workdir / "hostile-small.jsonl"
    _long_line_file(long_file, sizes.hostile_line_bytes)
    data.write_file(small_file, (data.input_line(index) for index in range(NORMAL_LINES)))
    bomb = unique_uri(ctx, "hostile-bomb", ".jsonl")
    blob = GeminiBatchStorageHook().get_conn().bucket(ctx.bucket).blob(bomb.removeprefix(f"gs://{ctx.bucket}/"))
    blob.content_encoding = "gzip"
    compressed = _gzip_bomb(sizes.bomb_bytes)
    blob.upload_from_string(compressed, content_type="application/jsonl")
    destinations = [unique_uri(ctx, f"hostile-{kind}", ".jsonl") for kind in ("long", "bomb", "small")]
    option = ["--max-line-bytes", str(limit)]
    long_line, gzipped, normal = run_children("bench.rss_child", [
        ["prepare-hostile", str(long_file), destinations[0], *option],
        ["prepare-hostile", bomb, destinations[1], *option],
        ["prepare-hostile", str(small_file), destinations[2], *option],
    ])
    hook = GeminiBatchStorageHook()
    if hook.stat(destinations[0]) is None or hook.stat(destinations[1]) is not None:
        raise RuntimeError("the hostile inputs were not handled as they should be: the long line's input lacks its "
                           "normal lines, or the gzip bomb was taken")
    long_file.unlink()
    line_mb = sizes.hostile_line_bytes / 1e6
    return [
        _row("peak RSS above baseline: one huge line", f"a {line_mb:,.0f} MB line among {NORMAL_LINES - 1}",
             long_line, normal, limit,
             "on_invalid='skip': the line is refused while it is read (only its size and SHA-256 kept), the others "
             "uploaded"),
        _row("peak RSS above baseline: gzip bomb", f"{len(compressed) / 1e3:,.0f} KB inflating to "
             f"{sizes.bomb_bytes / 1e6:,.0f} MB", gzipped, normal, limit,
             "an object stored Content-Encoding: gzip, refused before a byte is read (never inflated)"),
    ]
