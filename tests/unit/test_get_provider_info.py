"""Provider registration (``get_provider_info``) and the ``gemini_batch`` connection form."""

from __future__ import annotations

import json
import subprocess
import sys

from airflow_batch_gemini import __version__
from airflow_batch_gemini.get_provider_info import get_provider_info
from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.job.endpoints import ALLOW_LIST_EXTRA


def test_airflow_providers_list_shows_the_package(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", "list", "--output", "json"],
        env={"AIRFLOW_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    table = next(line for line in result.stdout.splitlines() if line.startswith("[{"))  # log lines come first
    listed = {row["package_name"]: row for row in json.loads(table)}
    assert listed["airflow-batch-gemini"]["version"] == __version__


def test_connection_form_is_google_clouds_plus_the_endpoint() -> None:
    (connection,) = get_provider_info()["connection-types"]
    assert (connection["connection-type"], connection["hook-class-name"]) == (
        GeminiBatchHook.conn_type, f"{GeminiBatchHook.__module__}.{GeminiBatchHook.__qualname__}")
    fields = connection["conn-fields"]
    assert {"project", "key_path", "keyfile_dict", "impersonation_chain", "is_anonymous"} <= set(fields)
    assert fields["vertex_ai_endpoint"]["label"] == "Vertex AI endpoint"
    assert fields[ALLOW_LIST_EXTRA]["label"] == "Endpoint allow-list", "hosts besides Google's"
    behaviour = connection["ui-field-behaviour"]
    assert "extra" in behaviour["hidden-fields"] and set(behaviour["placeholders"]) <= set(fields)

