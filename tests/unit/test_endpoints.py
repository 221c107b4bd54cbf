"""Where Google credentials may be sent (airflow_batch_gemini.job.endpoints): Google's hosts over https, or the
connection's allow-list."""

from __future__ import annotations

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchAccessRefusedError
from airflow_batch_gemini.job.endpoints import allow_list_entries, check_credentials_endpoint, endpoint_problem


@pytest.mark.parametrize("url", [
    "https://us-central1-aiplatform.googleapis.com/v1",
    "https://aiplatform.googleapis.com",
    "https://AIPLATFORM.GoogleAPIs.com:443",
    "https://us-central1-aiplatform-psc1.p.googleapis.com/",
])
def test_credentials_may_go_to_googles_hosts_over_https(url: str) -> None:
    assert endpoint_problem(url) is None


@pytest.mark.parametrize(("url", "problem"), [
    ("http://127.0.0.1:8090", "127.0.0.1 is not a Vertex AI host of Google's"),
    ("https://evil.example", "evil.example is not a Vertex AI host"),
    ("https://aiplatform.googleapis.com.evil.example", "is not a Vertex AI host"),
    ("https://evilgoogleapis.com", "is not a Vertex AI host"),
    ("https://googleapis.com", "is not a Vertex AI host"),
    # Google's, but it serves whatever an attacker stored there as the job's answer
    ("https://storage.googleapis.com/evil-bucket/v1", "is not a Vertex AI host"),
    ("https://evil-bucket.storage.googleapis.com/v1", "is not a Vertex AI host"),
    ("https://aiplatform.googleapis.com/v1/projects/other/v1", "holds a path"),
    ("https://us-central1-aiplatform.googleapis.com/evil/v1", "holds a path"),
    ("https://user@googleapis.com@evil", "user part"),
    ("https://user:pass@aiplatform.googleapis.com", "user part"),
    ("https://evil.example\\@aiplatform.googleapis.com", "user part"),
    ("https://aiplatform.googleapis.com#@evil.example", "query or a fragment"),
    ("https://aiplatform.googleapis.com?x=1", "query or a fragment"),
    ("http://us-central1-aiplatform.googleapis.com", "not https://"),
    ("https://aiplatform.googleapis.com:8443", "port 8443"),
    ("https://aiplatform.googleapis.com\n.evil.example", "whitespace or control"),
    ("ftp://aiplatform.googleapis.com", "no http"),
    ("aiplatform.googleapis.com", "no http"),
    ("https://xn--ggle-0nda.googleapis.com%2F@evil", "user part"),
])
def test_credentials_go_nowhere_else(url: str, problem: str) -> None:
    found = endpoint_problem(url)
    assert found is not None and problem in found, found


def test_the_allow_list_lets_a_host_or_a_host_and_port_through() -> None:
    assert endpoint_problem("http://127.0.0.1:8090", ("127.0.0.1:8090",)) is None
    assert endpoint_problem("http://127.0.0.1:8090", ("127.0.0.1",)) is None
    assert endpoint_problem("https://vertex.internal.example", ("vertex.internal.example",)) is None
    assert endpoint_problem("http://127.0.0.1:8091", ("127.0.0.1:8090",)) is not None
    assert endpoint_problem("http://user@127.0.0.1:8090", ("127.0.0.1:8090",)) is not None, "never a user part"


@pytest.mark.parametrize(("value", "entries"), [
    (None, ()),
    ("", ()),
    ("127.0.0.1:8090", ("127.0.0.1:8090",)),
    (" Vertex.Internal.example, 10.0.0.5:8443 ", ("vertex.internal.example", "10.0.0.5:8443")),
    (["[::1]:8090", "localhost"], ("[::1]:8090", "localhost")),
])
def test_allow_list_entries(value: object, entries: tuple[str, ...]) -> None:
    assert allow_list_entries(value) == entries


@pytest.mark.parametrize("value", [{"host": "x"}, ["http://127.0.0.1:8090"], ["a/b"], [3], "user@host"])
def test_an_allow_list_that_is_no_list_of_hosts_is_refused(value: object) -> None:
    with pytest.raises(GeminiBatchAccessRefusedError, match="endpoint_allow_list"):
        allow_list_entries(value)


def test_the_refusal_says_what_to_set_and_shows_no_user_part() -> None:
    with pytest.raises(GeminiBatchAccessRefusedError) as refused:
        check_credentials_endpoint("https://me:s3cret@evil.example", (), "my_conn")
    message = str(refused.value)
    assert "'my_conn'" in message and "is_anonymous" in message and "endpoint_allow_list" in message
    assert "s3cret" not in message and "evil.example" in message
