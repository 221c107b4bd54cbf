"""Allow-lists of storage locations, and the base folder of local files: where an operator may read from
and write to. Pure, but for :func:`confined_local_path`, which resolves a path on the local disk.

An operator given ``allowed_source_prefixes`` (or ``allowed_destination_prefixes``) refuses any URI that
does not begin with one of them, before it reads or writes anything. Each entry is a bucket
(``gs://team-a`` or ``gs://team-a/``) or a folder in one (``gs://team-a/batch/``); a folder entry is taken as
ending with ``/``, so that ``gs://team-a/batch`` does not let ``gs://team-a/batch-other/`` through.
``None`` (the default) allows everything; an empty list allows nothing. A ``bq://`` entry names a project,
a dataset or a table (``bq://p.d`` allows ``bq://p.d.t``). Wildcards in a URI are checked
by the text before the first ``*``, which must lie inside an allowed folder (``gs://team-a/batch*`` is refused
with ``gs://team-a/batch/`` allowed: it matches ``gs://team-a/batch-other/``), so a pattern can never match
outside its allowed folder.

A local path is confined to a base folder (:func:`confined_local_path`): it must lie inside it once ``..``
and symbolic links are resolved. Without a base folder only a path the DAG author wrote is read; one that
came from a template or an XCom (a trigger form's params, say) is refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

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
    wildcard = fixed != uri  # ``gs://a/batch*`` matches ``gs://a/batch-other/...``: only what begins inside a folder
    if any(fixed.startswith(prefix) if wildcard else _under(fixed, prefix) for prefix in allowed):
        return
    raise GeminiBatchAccessRefusedError(
        f"{what} {uri!r} is outside the locations this task may use ({', '.join(allowed) or 'none'}); "
        "use a location under one of them, or have the DAG author widen the allow-list"
    )


def _under(uri: str, prefix: str) -> bool:
    """Whether ``uri`` lies under ``prefix`` (ending with ``/``): a ``bq://`` table under its project or
    dataset (``bq://p.d`` holds ``bq://p.d.t``), any other URI below the folder."""
    if uri + "/" == prefix or uri.startswith(prefix):
        return True
    return prefix.startswith("bq://") and uri.startswith(prefix[:-1] + ".")


def check_allowed_uris(uris: Iterable[str], allowed: Sequence[str] | None, what: str) -> None:
    """:func:`check_allowed_uri` on each of ``uris``."""
    for uri in uris:
        check_allowed_uri(uri, allowed, what)


def confined_local_path(source: str, base_dir: str | os.PathLike[str] | None, setting: str, literal: bool) -> Path:
    """The local file ``source`` names, inside ``base_dir`` (a relative ``source`` is taken from it).

    :param base_dir: the base folder; ``None``: there is none, and only a ``literal`` path is read.
    :param setting: where the base folder was set, for the messages (``local_base_dir``).
    :param literal: ``source`` is the DAG author's own text, not rendered from a template nor pulled from
        an XCom.
    :raises GeminiBatchAccessRefusedError: the path leads outside the base folder (after ``..`` and symbolic
        links are resolved), or it is not ``literal`` and there is no base folder.
    """
    if base_dir is None:
        if literal:
            return Path(source)  # the DAG author's own path: trusted as written
        raise GeminiBatchAccessRefusedError(
            f"source {source!r} is a local path that came from a template or an XCom, and no base folder "
            "confines it: set the task's local_base_dir (or the deployment's [gemini_batch] local_base_dir) "
            "to the folder such inputs may be read from"
        )
    base = Path(base_dir).resolve()
    path = (base / source).resolve()
    if not path.is_relative_to(base):
        raise GeminiBatchAccessRefusedError(
            f"source {source!r} leads outside {setting} {os.fspath(base)!r}; give a path inside that folder"
        )
    return path
