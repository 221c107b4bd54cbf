"""Airflow provider metadata, registered under the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_batch_gemini import __version__


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
        "triggers": [
            {
                "integration-name": "Vertex AI Gemini Batch Prediction",
                "python-modules": ["airflow_batch_gemini.triggers"],
            }
        ],
    }
