"""The allow-lists of storage locations and the base folder of local sources (``confinement``): pure rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_batch_gemini.confinement import allowed_prefixes, check_allowed_uri, confined_local_path
from airflow_batch_gemini.exceptions import GeminiBatchAccessRefusedError

ALLOWED = allowed_prefixes(["gs://team-a", "gs://shared/batch", "bq://project.dataset"])


def test_entries_are_taken_as_folders() -> None:
    assert ALLOWED == ("gs://team-a/", "gs://shared/batch/", "bq://project.dataset/")
    assert allowed_prefixes(None) is None
    assert allowed_prefixes("gs://one") == ("gs://one/",)


@pytest.mark.parametrize("entry", ["team-a", "s3://bucket", "gs://", "gs:///", "gs://bucket/*", "https://x"])
def test_an_entry_that_is_no_bucket_or_folder_is_refused(entry: str) -> None:
    with pytest.raises(GeminiBatchAccessRefusedError, match="is not a bucket or folder"):
        allowed_prefixes([entry])


@pytest.mark.parametrize("uri", [
    "gs://team-a", "gs://team-a/", "gs://team-a/in/requests.jsonl", "gs://team-a/in/*.jsonl", "gs://team-a/**",
    "gs://shared/batch/x.jsonl", "gs://shared/batch/*", "bq://project.dataset.table", "bq://project.dataset",
])
def test_what_lies_under_an_entry_is_allowed(uri: str) -> None:
    check_allowed_uri(uri, ALLOWED, "source")


@pytest.mark.parametrize("uri", [
    "gs://team-ab/x.jsonl",  # another bucket that begins with the name
    "gs://shared/batch-other/x.jsonl",  # another folder that begins with the name
    "gs://shared/batch*/**",  # a wildcard at the folder's end matches batch-other/ too
    "gs://shared/batch**",
    "gs://team-a*/x",
    "gs://*",
    "gs://shared/x.jsonl",
    "bq://project.datasetx.table",
    "bq://project.other.table",
])
def test_what_lies_outside_every_entry_is_refused(uri: str) -> None:
    with pytest.raises(GeminiBatchAccessRefusedError, match="outside the locations this task may use") as raised:
        check_allowed_uri(uri, ALLOWED, "input_uris")
    assert str(raised.value).startswith(f"input_uris {uri!r}"), "the message names the parameter and the URI"


@pytest.mark.parametrize("uri", ["gs://team-a/../team-b/x", "gs://team-a/./x", "gs://team-a/in/.."])
def test_dot_segments_are_refused(uri: str) -> None:
    with pytest.raises(GeminiBatchAccessRefusedError, match=r"'\.' or '\.\.' path segment"):
        check_allowed_uri(uri, ALLOWED, "source")


def test_no_list_allows_all_and_an_empty_list_nothing() -> None:
    check_allowed_uri("gs://anything/x", None, "source")
    with pytest.raises(GeminiBatchAccessRefusedError, match=r"\(none\)"):
        check_allowed_uri("gs://team-a/x", allowed_prefixes([]), "source")


def test_a_local_path_stays_inside_its_base_folder(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text("{}\n")
    (tmp_path / "in" / "link.jsonl").symlink_to(tmp_path / "secret")
    inside = confined_local_path("a.jsonl", tmp_path / "in", "local_base_dir", literal=False)
    assert inside == tmp_path / "in" / "a.jsonl"
    for escape in ("../secret", str(tmp_path / "secret"), "link.jsonl", "a.jsonl/../../secret"):
        with pytest.raises(GeminiBatchAccessRefusedError, match="leads outside local_base_dir"):
            confined_local_path(escape, tmp_path / "in", "local_base_dir", literal=False)


def test_without_a_base_folder_only_the_dag_authors_own_path_is_read(tmp_path: Path) -> None:
    assert confined_local_path("/etc/hostname", None, "local_base_dir", literal=True) == Path("/etc/hostname")
    with pytest.raises(GeminiBatchAccessRefusedError, match="came from a template or an XCom"):
        confined_local_path("/etc/hostname", None, "local_base_dir", literal=False)
