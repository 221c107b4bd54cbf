"""Output rows of a batch job: the responder that answers each request, and the row shapes (pure).

The shapes follow the examples of Google's guide: a success row has ``status: ""``, a failure row
has the service's error text in ``status`` and ``"response": {}``.

Responder contract (``--responder module:function``): the function is called with a deep copy of
one line's ``request`` object (a dict) and returns either

* a ``str``: the answer text, wrapped into a full response (candidates, usageMetadata, ...), or
* a ``dict``: used verbatim as the row's ``response``,

or raises :class:`RowFailure` (``RowFailure(429, "quota")``) to make the row fail with that code.
Any other exception fails the row with ``500 INTERNAL``. It runs in a worker thread, so it may
block; it must be deterministic if the emulator's output is to be.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .request_checks import max_output_tokens, refusal
from .wire import HTTP_REASONS, HTTP_TO_RPC, RPC_CODES, processed_time

Responder = Callable[[dict[str, Any]], Any]

#: Messages of the transient failures that can be injected per row, by HTTP code.
INJECTED_MESSAGES: dict[int, str] = {
    429: "Resource exhausted. Please try again later. Please refer to "
    "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
    504: "Deadline exceeded.",
}

#: Prompt tokens charged per media part (image, video, file) by the default token estimate.
MEDIA_PART_TOKENS = 258


class RowFailure(Exception):
    """A request that fails: ``code`` is the HTTP code the model endpoint would have answered."""

    def __init__(self, code: int, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or RPC_CODES[HTTP_TO_RPC.get(code, 2)][0]

    def status_text(self) -> str:
        """The row's ``status``: ``Bad Request: {"error": {"code": 400, ...}}``."""
        body = {"error": {"code": self.code, "message": self.message, "status": self.status}}
        return f"{HTTP_REASONS.get(self.code, 'Error')}: {json.dumps(body)}"


def injected_failure(code: int) -> RowFailure:
    """The failure of a row hit by fault injection with HTTP ``code``."""
    return RowFailure(code, INJECTED_MESSAGES.get(code, "Injected failure."))


@dataclass(frozen=True)
class RowResult:
    """One finished row, before its ``processed_time`` is known."""

    status: str
    request: Any
    response: dict[str, Any]
    extras: dict[str, Any] = field(default_factory=dict)
    code: int = 0  # the HTTP code of a failed row, 0 for a success

    @property
    def ok(self) -> bool:
        """Did the request succeed?"""
        return self.status == ""

    def to_json(self, processed_at: float) -> dict[str, Any]:
        """The output row; extra keys of the input line are copied after the standard ones."""
        row: dict[str, Any] = {
            "status": self.status,
            "processed_time": processed_time(processed_at),
            "request": self.request,
            "response": self.response,
        }
        for key, value in self.extras.items():
            row.setdefault(key, value)
        return row


def validate_request(request: Any) -> None:
    """Reject what the service rejects with 400 INVALID_ARGUMENT (raises :class:`RowFailure`); the
    judgement and its words are :func:`.request_checks.refusal`'s."""
    message = refusal(request)
    if message is not None:
        raise RowFailure(400, message)


def _text_parts(node: Any) -> list[str]:
    """Every ``text`` string inside ``contents`` / ``systemInstruction`` parts."""
    texts: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                texts.append(value)
            else:
                texts.extend(_text_parts(value))
    elif isinstance(node, list):
        for item in node:
            texts.extend(_text_parts(item))
    return texts


def _media_parts(request: dict[str, Any]) -> int:
    count = 0
    for content in request.get("contents") or []:
        for part in (content.get("parts") or []) if isinstance(content, dict) else []:
            if isinstance(part, dict) and (part.get("fileData") or part.get("inlineData")):
                count += 1
    return count


def estimate_tokens(text: str) -> int:
    """About four characters a token, at least one token for non-empty text."""
    return (len(text) + 3) // 4


def prompt_token_count(request: dict[str, Any]) -> int:
    """Tokens of the prompt: its text (contents and system instruction) plus a flat cost per media part."""
    text_tokens = sum(
        estimate_tokens(text)
        for text in _text_parts([request.get("contents"), request.get("systemInstruction")])
    )
    return max(1, text_tokens + MEDIA_PART_TOKENS * _media_parts(request))


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def default_responder(request: dict[str, Any]) -> str:
    """A deterministic answer derived from the request: the same request always gets the same text."""
    texts = _text_parts(request.get("contents"))
    question = " ".join(" ".join(texts).split())
    if len(question) > 120:
        question = question[:117] + "..."
    tag = _digest(request)[:8]
    return f"Emulated answer {tag}: you asked {json.dumps(question)}."


def model_version(model: str) -> str:
    """The ``modelVersion`` reported in responses (``gemini-2.5-flash@default``)."""
    return model.rsplit("/", 1)[-1] + "@default"


def build_response(answer: str, request: dict[str, Any], version: str) -> dict[str, Any]:
    """Wrap an answer into a GenerateContentResponse, honouring ``generationConfig.maxOutputTokens``."""
    finish_reason = "STOP"
    limit = max_output_tokens(request)
    if limit is not None and limit > 0 and estimate_tokens(answer) > limit:
        answer = answer[: limit * 4]
        finish_reason = "MAX_TOKENS"
    prompt_tokens = prompt_token_count(request)
    answer_tokens = max(1, estimate_tokens(answer))
    avg_logprobs = -int(_digest(answer)[:6], 16) / 0xFFFFFF - 0.05
    return {
        "candidates": [
            {
                "avgLogprobs": avg_logprobs,
                "content": {"parts": [{"text": answer}], "role": "model"},
                "finishReason": finish_reason,
            }
        ],
        "modelVersion": version,
        "usageMetadata": {
            "candidatesTokenCount": answer_tokens,
            "promptTokenCount": prompt_tokens,
            "totalTokenCount": prompt_tokens + answer_tokens,
        },
    }


def part_keys(requests: Sequence[Any]) -> tuple[str, ...]:
    """The union of part keys over all requests of a job: the columns of the importer's schema."""
    keys: set[str] = set()
    for request in requests:
        if not isinstance(request, dict) or not isinstance(request.get("contents"), list):
            continue
        for content in request["contents"]:
            if isinstance(content, dict) and isinstance(content.get("parts"), list):
                for part in content["parts"]:
                    if isinstance(part, dict):
                        keys.update(part)
    return tuple(sorted(keys))


def echo_request(request: dict[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """The request as a success row echoes it: every part has every part column, absent ones ``null``."""
    echoed = copy.deepcopy(request)
    for content in echoed.get("contents") or []:
        if isinstance(content, dict) and isinstance(content.get("parts"), list):
            content["parts"] = [
                {key: part.get(key) for key in sorted(set(columns) | set(part))}
                if isinstance(part, dict)
                else part
                for part in content["parts"]
            ]
    return echoed


def answer_row(
    request: Any,
    extras: dict[str, Any],
    responder: Responder,
    version: str,
    columns: Sequence[str],
    injected: RowFailure | None = None,
) -> RowResult:
    """Evaluate one input line: validate, apply an injected failure, else ask the responder."""
    try:
        validate_request(request)
        if injected is not None:
            raise injected
        answer = responder(copy.deepcopy(request))
        if isinstance(answer, str):
            response = build_response(answer, request, version)
        elif isinstance(answer, dict):
            response = answer
        else:
            raise RowFailure(500, INJECTED_MESSAGES[500])
    except RowFailure as failure:
        return RowResult(failure.status_text(), request, {}, extras, failure.code)
    except Exception:  # a user responder that breaks fails its row, not the job
        return RowResult(RowFailure(500, INJECTED_MESSAGES[500]).status_text(), request, {}, extras, 500)
    return RowResult("", echo_request(request, columns), response, extras)
