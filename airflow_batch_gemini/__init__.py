"""Vertex AI Gemini batch prediction for Apache Airflow: operators, a deferrable trigger, hooks."""

from __future__ import annotations

__version__ = "0.1.0"
