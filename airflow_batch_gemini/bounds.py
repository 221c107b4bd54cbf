"""How much work hostile input may cause: the line size and nesting depth every stage keeps to. Pure.

Google documents no size limit for one line of a batch input (one request), only the 1 GB of a whole
input file; :data:`DEFAULT_MAX_LINE_BYTES` is this package's own default, which the operators take as
``max_line_bytes``. A line longer than that is refused while it is streamed, without holding all of it.
A job's output row is bounded the same way (:data:`DEFAULT_MAX_ROW_BYTES`, the split's and the resubmission's
``max_row_bytes``): a longer one is never held, and fails alone as ``ROW_TOO_LARGE``.

The nesting depth of a line is bounded too (:data:`MAX_JSON_DEPTH`): the service's importer refuses a
job with values nested deeper than 15 levels (reported by users; Google does not document it), so a line
deeper than 64 can never run, and refusing it before it is decoded keeps every recursive step (the JSON
decoders, jsonschema, the row identity) far from Python's recursion limit. :func:`nesting_depth_over` tells,
on the raw bytes, whether a line is deeper than that; it costs two ``bytes.count`` calls for a line with few
brackets; :func:`deep_lines` tells it of a group of lines in one pass.

An object stored compressed (``Content-Encoding: gzip``) is refused, never inflated
(:func:`compressed_object_refusal`): a few hundred KB of it can inflate to gigabytes.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

#: Longest input line (one request, its line break included) taken by default: 32 MiB.
DEFAULT_MAX_LINE_BYTES = 32 * 1024 * 1024
#: Longest output row read by default (its line break included): 80 MiB. A row echoes its request (up to
#: :data:`DEFAULT_MAX_LINE_BYTES`) and adds the response; Google documents no limit of an output row, so this is
#: the package's own: twice the longest request, and 16 MiB more. A longer row is never held, it fails alone.
DEFAULT_MAX_ROW_BYTES = 2 * DEFAULT_MAX_LINE_BYTES + 16 * 1024 * 1024
#: Deepest nesting of objects and arrays decoded anywhere (the service's importer is reported to refuse beyond 15).
MAX_JSON_DEPTH = 64

_NOT_QUOTES_OR_BRACKETS = bytes(byte for byte in range(256) if byte not in b'"[]{}')
_NOT_OPENERS = bytes(byte for byte in range(256) if byte not in b"[{\n")  # kept: opening brackets, line breaks
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
#: The bytes of quotes and brackets looked at in one step of :func:`nesting_depth`.
_PIECE = 1 << 16


def unescaped(raw: bytes) -> bytes:
    """``raw`` with each escaped backslash and escaped quote (``\\\\``, ``\\"``) replaced by two underscores: of the
    same length, and every quote left opens or closes a string, so that strings are ``"[^"]*"`` and a linear scan
    finds them (a pattern of escapes, as ``"(?:[^"\\\\]|\\\\.)*"``, takes memory per character and quadratic time on
    a string that never closes)."""
    return raw.replace(b"\\\\", b"__").replace(b'\\"', b"__")


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of objects and arrays in a JSON text (brackets inside strings not counted).

    Exact for valid JSON; for invalid JSON a figure that the decoders would reach at most. Iterative, so that
    it never recurses, whatever the depth; linear in time, and its memory beyond two copies of ``raw`` bounded:
    only quotes and brackets are kept (:func:`unescaped`), and looked at ``_PIECE`` bytes at a time.
    """
    skeleton = unescaped(raw).translate(None, _NOT_QUOTES_OR_BRACKETS)
    depth = deepest = 0
    in_string = False
    for start in range(0, len(skeleton), _PIECE):
        parts = skeleton[start : start + _PIECE].split(b'"')
        outside = b"".join(parts[1::2] if in_string else parts[0::2])
        in_string ^= len(parts) % 2 == 0  # an odd number of quotes in the piece
        levels = list(itertools.accumulate(map(_STEP.__getitem__, outside), initial=depth))
        depth, deepest = levels[-1], max(deepest, *levels)
    return deepest


def nesting_depth_over(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text ``raw`` nests objects and arrays deeper than ``limit`` levels.

    A line with at most ``limit`` opening brackets cannot be deeper: that is answered from two counts.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    return nesting_depth(raw) > limit


def deep_lines(lines: Sequence[bytes], joined: bytes | None = None, limit: int = MAX_JSON_DEPTH) -> dict[int, int]:
    """The lines of ``lines`` nesting deeper than ``limit`` levels: their index in ``lines`` and depth.

    The opening brackets of every line are counted in one pass over the lines joined (``joined``, if at
    hand); only a line with more than ``limit`` of them is measured (:func:`nesting_depth`).

    :param lines: consecutive lines, each ending with ``\\n`` (the last may lack it).
    """
    data = b"".join(lines) if joined is None else joined
    opened = list(map(len, data.translate(None, _NOT_OPENERS).split(b"\n")))
    if max(opened) <= limit:
        return {}
    depths = {index: nesting_depth(lines[index]) for index, count in enumerate(opened[: len(lines)]) if count > limit}
    return {index: depth for index, depth in depths.items() if depth > limit}


def compressed_object_refusal(uri: str, content_encoding: str | None) -> str | None:
    """Why an object stored with ``content_encoding`` is refused, or ``None`` for one stored as it reads
    (no encoding, or ``identity``): a compressed object is never inflated, since a few hundred KB of it can
    inflate to gigabytes (the Cloud Storage client would decompress ``gzip`` behind the reader's back)."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        return None
    return (f"{uri} is stored compressed (Content-Encoding: {encoding}), which is refused, not decompressed: "
            "upload it again uncompressed (without gcloud storage cp's --gzip-local or --gzip-in-flight options)")
