"""Input lines for the input stage's unit tests: the seed line, and lines built around a text request."""

from __future__ import annotations

import json
from typing import Any

from airflow_batch_gemini.input.line_checks import validate_line
from tests.seed import SEED_INPUT

SEED_LINE = SEED_INPUT.read_bytes()


def line(request: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"request": request, **extra})


def messages(raw: bytes | str, number: int = 1, **kwargs: Any) -> list[str]:
    return [str(problem) for problem in validate_line(raw, number, **kwargs)]


def text_request(**fields: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], **fields}
