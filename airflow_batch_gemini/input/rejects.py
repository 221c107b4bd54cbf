"""The records of the rejects file, one per invalid input line: pure functions, no I/O.

A record tells a user which line it is and what is wrong with it, and by default holds none of its
content (a line may hold a person's data, and the rejects file lands in a bucket other people read):

- ``line``: the 1-based line number in the input;
- ``problems``: every problem, as ``{"pointer": JSON pointer, "message": ...}``, and ``error``: the same as
  one text (messages never hold a value of the line, see :mod:`~airflow_batch_gemini.input.problems`);
- ``size``: the line's length in bytes, without its line break (``\\n`` or ``\\r\\n``);
- ``sha256``: the SHA-256 (hex) of those same bytes, to find the line or tell two apart without a copy
  (``sed -n 'Np' input.jsonl | tr -d '\\r\\n' | sha256sum``).

What else it holds is the DAG author's choice, ``content`` (:data:`REJECTS_CONTENT_CHOICES`):

- ``"hash"`` (the default): nothing more;
- ``"excerpt"``: the line's first :data:`EXCERPT_BYTES` bytes, as text (``excerpt``) when they are UTF-8,
  else as base64 (``excerpt_base64``), and ``excerpt_cut: true`` when the line is longer;
- ``"full"``: the whole line as written, as text (``original``) when it is UTF-8, else as base64
  (``original_base64``), so that nothing of what the user wrote is lost or changed.

A line whose bytes are not at hand (one refused for its length while it was streamed) gets a record of
its ``size`` and ``sha256`` given by the caller, and no content whatever ``content`` asks.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import orjson

from airflow_batch_gemini.input.problems import LineProblem

#: What a rejects record holds of its line: a hash only, a bounded excerpt too, or a full copy.
REJECTS_CONTENT_CHOICES = ("hash", "excerpt", "full")
#: How many bytes of the line an ``"excerpt"`` record keeps.
EXCERPT_BYTES = 200


def check_rejects_content(content: str) -> None:
    """Refuse a ``rejects_content`` that is none of :data:`REJECTS_CONTENT_CHOICES`.

    :raises ValueError: naming the choices.
    """
    if content not in REJECTS_CONTENT_CHOICES:
        raise ValueError(f"rejects_content must be one of {REJECTS_CONTENT_CHOICES}, not {content!r}")


def _as_text_or_base64(data: bytes, name: str) -> dict[str, str]:
    """``{name: text}`` when ``data`` is UTF-8, else ``{name + "_base64": base64}``."""
    try:
        return {name: data.decode("utf-8")}
    except UnicodeDecodeError:
        return {f"{name}_base64": base64.b64encode(data).decode("ascii")}


def _excerpt(line: bytes) -> dict[str, Any]:
    """The first :data:`EXCERPT_BYTES` bytes of ``line``, as text when they are UTF-8 (a character the cut
    splits is left out), else as base64; ``excerpt_cut`` when the line is longer."""
    if len(line) <= EXCERPT_BYTES:
        return _as_text_or_base64(line, "excerpt")
    cut = line[:EXCERPT_BYTES]
    for end in range(EXCERPT_BYTES, EXCERPT_BYTES - 4, -1):  # a UTF-8 character takes at most 4 bytes
        try:
            return {"excerpt": cut[:end].decode("utf-8"), "excerpt_cut": True}
        except UnicodeDecodeError:
            continue
    return {"excerpt_base64": base64.b64encode(cut).decode("ascii"), "excerpt_cut": True}


def reject_record(
    raw: bytes | None, problems: list[LineProblem], content: str = "hash", *, size: int | None = None,
    sha256: str | None = None,
) -> bytes:
    """One line of a rejects file: the line number, every problem, the line's size and SHA-256, and as much
    of its content as ``content`` asks (see the module's docstring).

    :param raw: the line as read (its line break is left out); ``None`` when its bytes are not at hand.
    :param problems: its problems, at least one (the first gives the line number).
    :param content: one of :data:`REJECTS_CONTENT_CHOICES`.
    :param size: the line's size in bytes without its line break, when ``raw`` is ``None``.
    :param sha256: the hex SHA-256 of those bytes, when ``raw`` is ``None``.
    """
    line = raw.removesuffix(b"\n").removesuffix(b"\r") if raw is not None else None
    record: dict[str, Any] = {
        "line": problems[0].line,
        "problems": [{"pointer": problem.pointer, "message": problem.message} for problem in problems],
        "error": "; ".join(str(problem) for problem in problems),
        "size": len(line) if line is not None else size,
        "sha256": hashlib.sha256(line).hexdigest() if line is not None else sha256,
    }
    if line is not None and content == "excerpt":
        record.update(_excerpt(line))
    elif line is not None and content == "full":
        record.update(_as_text_or_base64(line, "original"))
    return orjson.dumps(record) + b"\n"
