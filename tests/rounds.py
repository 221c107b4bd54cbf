"""Manifests of a split (round 0) and of a resubmission round, as the pure tests of the rounds use them."""

from __future__ import annotations

from typing import Any


def round_zero() -> dict[str, Any]:
    return {"job_name": "j0", "input_rows": 10, "reconciled": True, "succeeded": 6, "failed": 4, "missing": 0,
            "succeeded_uri": "gs://b/s/succeeded.jsonl", "failed_uri": "gs://b/s/failed.jsonl",
            "missing_uri": "gs://b/s/missing.jsonl", "failures_by_status": {"RESOURCE_EXHAUSTED": 3,
                                                                            "INVALID_ARGUMENT": 1},
            "failures_by_code": {"429": 3, "400": 1}, "token_usage": {"total_tokens": 60},
            "model_versions": {"m@default": 6}}


def round_one() -> dict[str, Any]:
    return {"round": 1, "job_name": "j1", "input_rows": 3, "kept_failed": 1, "succeeded": 2, "failed": 1,
            "missing": 0, "kept_failed_uri": "gs://b/f/rounds/1/kept_failed.jsonl",
            "kept_failures_by_status": {"INVALID_ARGUMENT": 1}, "kept_failures_by_code": {"400": 1},
            "succeeded_uri": "gs://b/f/rounds/1/results/succeeded.jsonl",
            "failed_uri": "gs://b/f/rounds/1/results/failed.jsonl",
            "missing_uri": "gs://b/f/rounds/1/results/missing.jsonl",
            "failures_by_status": {"RESOURCE_EXHAUSTED": 1}, "failures_by_code": {"429": 1},
            "token_usage": {"total_tokens": 20}, "model_versions": {"m@default": 2}}
