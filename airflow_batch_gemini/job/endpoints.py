"""Where Google credentials may be sent: the rule the Vertex AI hooks apply before a token is fetched. Pure.

Credentials that are not anonymous go only to Vertex AI: ``https://`` on ``aiplatform.googleapis.com``, a
regional ``{location}-aiplatform.googleapis.com`` or a Private Service Connect ``*.p.googleapis.com`` host, on
the default port (443), with no user part and no path in the URL but the API version (another Google host, such as
``storage.googleapis.com/attacker-bucket``, would serve an attacker's object as the job's answer). An endpoint override
elsewhere (a private endpoint, a proxy) is allowed only when the connection's admin names its host in the
connection extra ``endpoint_allow_list``: ``host`` allows that host on any port and scheme,
``host:port`` that port only. Anonymous credentials (the connection extra ``is_anonymous``, used with an
emulator) carry no secret, so they may go anywhere; the hooks do not ask this module about them.

A URL with a user part, a query or a fragment, or a host that is no plain host name or IP address, is
refused even when its host is allow-listed: such URLs are read differently by different parsers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import SplitResult, urlsplit

from airflow_batch_gemini.exceptions import GeminiBatchAccessRefusedError
from airflow_batch_gemini.job.names import API_VERSION

#: Connection extra: the hosts (or ``host:port``) other than Google's that credentials may be sent to.
ALLOW_LIST_EXTRA = "endpoint_allow_list"
GOOGLE_API_DOMAIN = "googleapis.com"
#: The Vertex AI hosts under it: the global one, a regional one, a Private Service Connect endpoint.
_VERTEX_HOST = re.compile(
    r"aiplatform\.googleapis\.com|[a-z0-9-]+-aiplatform\.googleapis\.com|[a-z0-9-]+\.p\.googleapis\.com"
)
#: A host name, an IPv4 address, or an IPv6 address in brackets; then an optional port.
_NETLOC = re.compile(r"(?P<host>[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?")


def allow_list_entries(value: object) -> tuple[str, ...]:
    """The entries of an ``endpoint_allow_list`` extra: a list of strings, or one string of them separated by
    commas or whitespace (as a form field holds it); ``None`` or empty: no entry. Entries are lowercased.

    :raises GeminiBatchAccessRefusedError: the value is neither, or an entry is no ``host`` or ``host:port``.
    """
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        entries: list[object] = re.split(r"[\s,]+", value.strip())
    elif isinstance(value, (list, tuple)):
        entries = list(value)
    else:
        raise GeminiBatchAccessRefusedError(
            f"connection extra {ALLOW_LIST_EXTRA} is a {type(value).__name__}; give a list of hosts "
            'or host:port, e.g. ["vertex.internal.example", "127.0.0.1:8090"]'
        )
    normalised = []
    for entry in entries:
        text = entry.strip().lower() if isinstance(entry, str) else ""
        if not _NETLOC.fullmatch(text):
            raise GeminiBatchAccessRefusedError(
                f"connection extra {ALLOW_LIST_EXTRA} holds {entry!r}, which is no host or host:port; "
                "give e.g. vertex.internal.example or 127.0.0.1:8090 (no scheme, path or user)"
            )
        normalised.append(text)
    return tuple(normalised)


def endpoint_problem(url: str, allow_list: Sequence[str] = ()) -> str | None:
    """Why credentials may not be sent to the REST root ``url``, or ``None`` if they may.

    :param url: the endpoint, e.g. ``https://us-central1-aiplatform.googleapis.com``.
    :param allow_list: entries from :func:`allow_list_entries`.
    """
    if any(character.isspace() or not character.isprintable() for character in url):
        return "the URL holds whitespace or control characters"
    parts = urlsplit(url)
    netloc = parts.netloc.lower()
    if "@" in netloc:
        return "the URL holds a user part (text before '@'), which hides the host it goes to"
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return "the URL holds a query or a fragment ('?' or '#'); give scheme://host[:port] only"
    match = _NETLOC.fullmatch(netloc)
    if parts.scheme not in ("http", "https") or match is None or "\\" in url:
        return "it is no http(s)://host[:port] URL"
    host, port = match["host"], match["port"]
    if netloc in allow_list or host in allow_list:
        return None
    if not _VERTEX_HOST.fullmatch(host):
        return (f"{host} is not a Vertex AI host of Google's (aiplatform.{GOOGLE_API_DOMAIN}, "
                f"LOCATION-aiplatform.{GOOGLE_API_DOMAIN}, or a Private Service Connect *.p.{GOOGLE_API_DOMAIN})")
    if parts.path.strip("/") not in ("", API_VERSION):
        return f"it holds a path ({parts.path}); give https://host only, the API's paths are added to it"
    return _transport_problem(parts, port)


def _transport_problem(parts: SplitResult, port: str | None) -> str | None:
    if parts.scheme != "https":
        return f"it is {parts.scheme}://, not https://, so the token would travel in the clear"
    if port is not None and int(port) != 443:
        return f"it names port {port}; Google's APIs answer on 443"
    return None


def check_credentials_endpoint(url: str, allow_list: Sequence[str], conn_id: str) -> None:
    """Refuse to send the credentials of connection ``conn_id`` to ``url`` unless :func:`endpoint_problem`
    finds nothing wrong.

    :raises GeminiBatchAccessRefusedError: saying why, and what to set instead.
    """
    problem = endpoint_problem(url, allow_list)
    if problem is not None:
        shown = urlsplit(url)._replace(netloc=urlsplit(url).netloc.rpartition("@")[2]).geturl()  # no user part
        raise GeminiBatchAccessRefusedError(
            f"Refusing to send the Google credentials of connection {conn_id!r} to {shown!r}: {problem}. "
            f"Credentials go only to Vertex AI's https://*aiplatform.{GOOGLE_API_DOMAIN} hosts. For an emulator, "
            f"use a connection with is_anonymous set; for another endpoint you trust, add its host (or host:port) "
            f"to the connection extra {ALLOW_LIST_EXTRA}."
        )
