from __future__ import annotations

import pytest

from airflow_batch_gemini.job.names import (
    InvalidNameError,
)
from airflow_batch_gemini.job.spec import build_job_body, output_config


def test_create_body_matches_the_seed_shape_for_gcs_and_bigquery() -> None:
    body = build_job_body(
        display_name="job", model="publishers/google/models/gemini-2.5-flash",
        input_uris="gs://b/in.jsonl", output_uri="gs://b/out/", labels={"team": "ml"},
    )
    assert body == {
        "displayName": "job",
        "model": "publishers/google/models/gemini-2.5-flash",
        "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": ["gs://b/in.jsonl"]}},
        "outputConfig": {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": "gs://b/out"}},
        "labels": {"team": "ml"},
    }
    assert output_config("bq://p.d.t") == {
        "predictionsFormat": "bigquery", "bigqueryDestination": {"outputUri": "bq://p.d.t"},
    }


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"display_name": ""}, "display_name"),
        ({"input_uris": []}, "no input"),
        ({"input_uris": "/local/file.jsonl"}, "gs://"),
        ({"output_uri": "s3://x"}, "Cloud Storage prefix"),
    ],
)
def test_create_body_refuses_what_the_service_would(kwargs: dict, match: str) -> None:
    args = {"display_name": "j", "model": "m", "input_uris": "gs://b/i", "output_uri": "gs://b/o", **kwargs}
    with pytest.raises(InvalidNameError, match=match):
        build_job_body(**args)


def test_a_prepared_input_cut_into_files_needs_one_job_per_file() -> None:
    from airflow_batch_gemini.exceptions import GeminiBatchError
    from airflow_batch_gemini.job.spec import prepared_input_uris

    assert prepared_input_uris({"input_uris": ["gs://b/in.jsonl"], "row_count": 3}) == ["gs://b/in.jsonl"]
    with pytest.raises(GeminiBatchError, match=r"cut into 2 files.*expand\(input_uris="):
        prepared_input_uris({"input_uris": ["gs://b/in-00000-of-00002.jsonl", "gs://b/in-00001-of-00002.jsonl"]})

