"""The names of an input's files beside the destination; the rejects file out of reach of a wildcard."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_batch_gemini.input.destinations import rejects_uri_for, shard_uri
from airflow_batch_gemini.uris import parse_gs_uri, wildcard_regex


def test_file_names_beside_the_destination() -> None:
    assert shard_uri("gs://b/in/requests.jsonl", 0, 1) == "gs://b/in/requests.jsonl"
    assert shard_uri("gs://b/in/requests.jsonl", 2, 3) == "gs://b/in/requests-00002-of-00003.jsonl"
    assert shard_uri("gs://b/in/requests", 0, 2) == "gs://b/in/requests-00000-of-00002.jsonl"
    assert rejects_uri_for("gs://b/in/requests.jsonl") == "gs://b/in/rejects/requests.rejects.jsonl"
    assert rejects_uri_for("gs://b/requests") == "gs://b/rejects/requests.rejects.jsonl"


def matches(pattern: str, uri: str) -> bool:
    return bool(wildcard_regex(parse_gs_uri(pattern)[1]).fullmatch(parse_gs_uri(uri)[1]))


NAME = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True)


@given(folders=st.lists(NAME, max_size=3), stem=NAME)
def test_a_wildcard_over_the_inputs_folder_never_matches_its_rejects(folders: list[str], stem: str) -> None:
    folder = "/".join(["gs://b", *folders])
    destination = f"{folder}/{stem}.jsonl"
    for pattern in (f"{folder}/*.jsonl", f"{folder}/*", f"{folder}/{stem}*"):
        assert matches(pattern, destination), "the wildcard does take the input"
        assert not matches(pattern, rejects_uri_for(destination)), pattern
        for index in range(3):
            assert not matches(pattern, rejects_uri_for(shard_uri(destination, index, 3))), pattern


@pytest.mark.parametrize("pattern", ["gs://b/p/input/*.jsonl", "gs://b/p/input/*", "gs://b/p/input/requests*"])
def test_the_prepare_folder_wildcards_match_the_input_and_not_the_rejects(pattern: str) -> None:
    destination = "gs://b/p/input/requests.jsonl"
    assert matches(pattern, destination)
    assert matches(pattern, shard_uri(destination, 1, 3))
    assert not matches(pattern, rejects_uri_for(destination))
