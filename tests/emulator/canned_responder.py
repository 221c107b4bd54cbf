"""A user responder for the emulator's ``--responder`` flag, used by the tests."""

from __future__ import annotations

from typing import Any

from gemini_batch_local.emulator.rows import RowFailure


def answer(request: dict[str, Any]) -> Any:
    """Canned answers: fail on ``fail-me``, a whole response on ``raw``, else a fixed text."""
    text = request["contents"][0]["parts"][0].get("text", "")
    if "fail-me" in text:
        raise RowFailure(503, "Canned outage.")
    if "crash-me" in text:
        raise KeyError("a bug in the responder")
    if "raw" in text:
        return {"candidates": [{"content": {"parts": [{"text": "raw"}], "role": "model"}}], "custom": True}
    return f"canned answer to {text}"
