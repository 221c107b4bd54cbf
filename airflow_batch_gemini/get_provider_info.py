"""Airflow provider metadata, registered under the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_batch_gemini import __version__

#: The connection type whose form shows the Google Cloud fields plus the Vertex AI endpoint.
CONNECTION_TYPE = "gemini_batch"
HOOK_CLASS = "airflow_batch_gemini.hooks.batch_prediction.GeminiBatchHook"


def _google_connection_form() -> dict[str, Any]:
    """The ``google_cloud_platform`` connection form of the Google provider installed next to this one."""
    from airflow.providers.google.get_provider_info import get_provider_info as google_provider_info

    for connection_type in google_provider_info().get("connection-types", []):
        if connection_type["connection-type"] == "google_cloud_platform":
            return dict(connection_type)
    return {}


def connection_type() -> dict[str, Any]:
    """``gemini_batch``: a Google Cloud connection form with the ``vertex_ai_endpoint`` and
    ``endpoint_allow_list`` extras and hints.

    The fields (key file, ADC, impersonation, anonymous, ...) are the Google provider's, so the two
    forms never drift apart; a plain ``google_cloud_platform`` connection works with the hooks too.
    """
    google = _google_connection_form()
    behaviour = google.get("ui-field-behaviour", {})
    return {
        "connection-type": CONNECTION_TYPE,
        "hook-class-name": HOOK_CLASS,
        "hook-name": "Vertex AI Gemini Batch",
        "conn-fields": {
            **google.get("conn-fields", {}),
            "vertex_ai_endpoint": {
                "label": "Vertex AI endpoint",
                "description": "Leave empty for https://{location}-aiplatform.googleapis.com. Set it to reach "
                "a private or regional endpoint, or the local emulator (with anonymous credentials).",
                "schema": {"type": ["string", "null"], "format": "uri"},
            },
            "endpoint_allow_list": {
                "label": "Endpoint allow-list",
                "description": "Hosts other than Vertex AI's *aiplatform.googleapis.com that this connection's "
                "credentials may be sent to, as host or host:port, separated by commas (a JSON list in the extra "
                "works too), e.g. a private endpoint you trust. Empty: credentials go only to Vertex AI's "
                "https://*aiplatform.googleapis.com hosts; an emulator needs none, as it takes anonymous credentials.",
                "schema": {"type": ["string", "null"]},
            },
        },
        "ui-field-behaviour": {
            "hidden-fields": behaviour.get("hidden-fields", []),
            "relabeling": {},
            "placeholders": {
                "project": "the project that runs the batch jobs (e.g. my-project)",
                "key_path": "/path/to/service-account.json (empty: Application Default Credentials)",
                "impersonation_chain": "batch-jobs@my-project.iam.gserviceaccount.com",
                "vertex_ai_endpoint": "https://us-central1-aiplatform.googleapis.com",
                "endpoint_allow_list": "vertex.internal.example, 10.0.0.5:8443",
            },
        },
    }


def get_provider_info() -> dict[str, Any]:
    """Return what ``airflow providers list`` and the provider manager read about this package."""
    return {
        "package-name": "airflow-batch-gemini",
        "name": "Vertex AI Gemini Batch",
        "description": "Operators, a deferrable trigger and example DAGs for Vertex AI Gemini batch "
        "prediction from Cloud Storage.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Vertex AI Gemini Batch Prediction",
                "external-doc-url": "https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/batch-prediction-from-cloud-storage",
                "tags": ["gcp"],
            }
        ],
        "operators": [
            {
                "integration-name": "Vertex AI Gemini Batch Prediction",
                "python-modules": ["airflow_batch_gemini.operators"],
            }
        ],
        "sensors": [
            {
                "integration-name": "Vertex AI Gemini Batch Prediction",
                "python-modules": ["airflow_batch_gemini.sensors"],
            }
        ],
        "hooks": [
            {
                "integration-name": "Vertex AI Gemini Batch Prediction",
                "python-modules": ["airflow_batch_gemini.hooks"],
            }
        ],
        "connection-types": [connection_type()],
        "extra-links": ["airflow_batch_gemini.links.batch_job.GeminiBatchJobLink"],
        "triggers": [
            {
                "integration-name": "Vertex AI Gemini Batch Prediction",
                "python-modules": ["airflow_batch_gemini.triggers"],
            }
        ],
    }
