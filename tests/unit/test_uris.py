from __future__ import annotations

import pytest

from airflow_batch_gemini.uris import as_uri_list, parse_gs_uri, wildcard_regex


def test_gs_uris_split_into_bucket_and_path() -> None:
    assert parse_gs_uri("gs://bucket/a/b.jsonl") == ("bucket", "a/b.jsonl")
    assert parse_gs_uri("gs://bucket") == ("bucket", "")
    assert parse_gs_uri("gs://bucket/") == ("bucket", "")


@pytest.mark.parametrize("uri", ["bq://p.d.t", "gs:///no-bucket", "/local/file.jsonl", "s3://bucket/key"])
def test_other_uris_are_refused_with_the_expected_shape(uri: str) -> None:
    with pytest.raises(ValueError, match="expected gs://BUCKET/PATH"):
        parse_gs_uri(uri)


def test_uri_lists_from_one_uri_a_comma_list_or_a_sequence() -> None:
    assert as_uri_list("gs://b/x") == ["gs://b/x"]
    assert as_uri_list(" gs://b/x , gs://b/y ,") == ["gs://b/x", "gs://b/y"]
    assert as_uri_list(("gs://b/x", "gs://b/y")) == ["gs://b/x", "gs://b/y"]


def test_wildcards_match_within_one_level_or_across() -> None:
    assert wildcard_regex("in/part-*.jsonl").fullmatch("in/part-1.jsonl")
    assert not wildcard_regex("in/part-*.jsonl").fullmatch("in/part-1/x.jsonl")
    assert wildcard_regex("in/**.jsonl").fullmatch("in/a/b/c.jsonl")
    assert not wildcard_regex("in/[ab].jsonl").fullmatch("in/a.jsonl"), "only * is a wildcard"
    assert wildcard_regex("in/[ab].jsonl").fullmatch("in/[ab].jsonl")
