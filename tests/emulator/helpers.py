"""Helpers of the emulator's own tests: constants, a raw HTTP client, request builders."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

BUCKET = "emulator-conformance"
PROJECT = "emulator-test-project"
LOCATION = "us-central1"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
MODEL = "publishers/google/models/gemini-2.5-flash"
TERMINAL = {
    "JOB_STATE_SUCCEEDED",
    "JOB_STATE_PARTIALLY_SUCCEEDED",
    "JOB_STATE_FAILED",
    "JOB_STATE_CANCELLED",
    "JOB_STATE_EXPIRED",
}


class RawApi:
    """Plain HTTP to one emulator: what any client sends, nothing hidden."""

    def __init__(self, base_url: str, version: str = "v1") -> None:
        self.base_url = base_url
        self.version = version

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """``(status, decoded JSON body)``; ``body`` is bytes or JSON-encodable (``None``: no body)."""
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        url = path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def create(self, body: dict[str, Any], parent: str = PARENT) -> dict[str, Any]:
        status, job = self.request("POST", f"{self.version}/{parent}/batchPredictionJobs", body)
        assert status == 200, job
        return job

    def get(self, name: str) -> dict[str, Any]:
        status, job = self.request("GET", f"{self.version}/{name}")
        assert status == 200, job
        return job

    def wait(self, name: str, states: set[str] = TERMINAL, timeout: float = 60) -> dict[str, Any]:
        """Poll until the job is in one of ``states``."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(name)
            if job["state"] in states:
                return job
            assert time.monotonic() < deadline, f"job stuck in {job['state']}: {job}"
            time.sleep(0.05)

    def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return self.request(method, f"emulator/{path}", body)


def job_body(input_uri: str | list[str], output_prefix: str, labels: dict[str, str] | None = None,
             **overrides: Any) -> dict[str, Any]:
    """A create body in the shape of the guide's example."""
    body: dict[str, Any] = {
        "displayName": f"emulator-test-{uuid.uuid4().hex[:8]}",
        "model": MODEL,
        "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": input_uri}},
        "outputConfig": {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": output_prefix}},
    }
    if labels:
        body["labels"] = labels
    body.update(overrides)
    return body


def text_line(text: str, role: str = "user", **extra: Any) -> dict[str, Any]:
    """An input line asking ``text``."""
    return {"request": {"contents": [{"role": role, "parts": [{"text": text}]}]}, **extra}
