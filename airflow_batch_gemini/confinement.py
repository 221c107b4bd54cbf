"""Allow-lists of storage locations: where an operator may read from and write to. Pure.

An operator given ``allowed_source_prefixes`` (or ``allowed_destination_prefixes``) refuses any URI that
does not begin with one of them, before it reads or writes anything. Each entry is a bucket
(``gs://team-a`` or ``gs://team-a/``) or a folder in one (``gs://team-a/batch/``); a folder entry is taken as
ending with ``/``, so that ``gs://team-a/batch`` does not let ``gs://team-a/batch-other/`` through.
``None`` (the default) allows everything; an empty list allows nothing. Wildcards in a URI are checked
by the text before the first ``*``, so a pattern can never match outside its allowed folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from airflow_batch_gemini.exceptions import GeminiBatchAccessRefusedError


def allowed_prefixes(prefixes: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """The allow-list in the form :func:`check_allowed_uri` compares with: each entry ending with ``/``.

    :raises GeminiBatchAccessRefusedError: an entry is no ``gs://`` or ``bq://`` location, or holds a wildcard.
    """
    if prefixes is None:
        return None
    entries = [prefixes] if isinstance(prefixes, str) else list(prefixes)
    normalised = []
    for entry in entries:
        text = str(entry).strip()
        scheme, separator, rest = text.partition("://")
        if scheme not in ("gs", "bq") or not separator or not rest.strip("/") or "*" in text:
            raise GeminiBatchAccessRefusedError(
                f"allow-list entry {entry!r} is not a bucket or folder; give e.g. gs://my-bucket/ or "
                "gs://my-bucket/batch/ (no wildcards)"
            )
        normalised.append(text if text.endswith("/") else text + "/")
    return tuple(normalised)


def check_allowed_uri(uri: str, allowed: Sequence[str] | None, what: str) -> None:
    """Refuse ``uri`` unless it lies under an entry of ``allowed`` (from :func:`allowed_prefixes`).

    :param uri: the URI read or written (``gs://...``; wildcards checked by the text before them).
    :param allowed: the normalised allow-list; ``None`` allows everything.
    :param what: the parameter the URI came from, e.g. ``source`` or ``destination_prefix``, for the message.
    :raises GeminiBatchAccessRefusedError: naming the parameter, the URI and the allow-list.
    """
    if allowed is None:
        return
    fixed = uri.split("*", 1)[0]
    if "/../" in fixed + "/" or "/./" in fixed + "/":
        raise GeminiBatchAccessRefusedError(f"{what} {uri!r} holds a '.' or '..' path segment; give a plain path")
    if any(fixed.startswith(prefix) or fixed + "/" == prefix for prefix in allowed):
        return
    raise GeminiBatchAccessRefusedError(
        f"{what} {uri!r} is outside the locations this task may use ({', '.join(allowed) or 'none'}); "
        "use a location under one of them, or have the DAG author widen the allow-list"
    )


def check_allowed_uris(uris: Iterable[str], allowed: Sequence[str] | None, what: str) -> None:
    """:func:`check_allowed_uri` on each of ``uris``."""
    for uri in uris:
        check_allowed_uri(uri, allowed, what)
