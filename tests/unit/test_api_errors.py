from __future__ import annotations

from airflow_batch_gemini.exceptions import (
    GeminiBatchTransientError,
)
from airflow_batch_gemini.job.api_errors import api_error
from airflow_batch_gemini.job.retry import is_transient_status


def test_api_error_parses_google_bodies_and_keeps_other_text() -> None:
    err = api_error(404, b'{"error": {"code": 404, "message": "Job not found", "status": "NOT_FOUND"}}', "get")
    assert (err.http_code, err.status, err.message) == (404, "NOT_FOUND", "Job not found")
    assert not isinstance(err, GeminiBatchTransientError)
    proxy = api_error(502, "<html>bad gateway</html>", "get")
    assert isinstance(proxy, GeminiBatchTransientError) and "bad gateway" in proxy.message
    assert is_transient_status(429) and not is_transient_status(400)

