"""Cloud Storage URIs: the one ``gs://`` parser and the wildcard rule of batch input URIs. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence


def parse_gs_uri(uri: str) -> tuple[str, str]:
    """Split ``gs://bucket/path`` into ``(bucket, path)``; the path may be empty.

    :raises ValueError: if ``uri`` is not a ``gs://`` URI with a bucket name.
    """
    scheme, _, rest = uri.partition("://")
    bucket, _, name = rest.partition("/")
    if scheme != "gs" or not bucket:
        raise ValueError(f"{uri!r} is not a Cloud Storage URI; expected gs://BUCKET/PATH")
    return bucket, name


def as_uri_list(uris: str | Sequence[str]) -> list[str]:
    """One URI or many, as a list; a comma-separated string is split."""
    if isinstance(uris, str):
        return [uri.strip() for uri in uris.split(",") if uri.strip()]
    return [str(uri) for uri in uris]


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression of a Cloud Storage object name with wildcards, as batch input URIs take
    them: ``*`` within one path level, ``**`` across levels (match with ``fullmatch``)."""
    pieces = re.split(r"(\*\*|\*)", pattern)
    regex = "".join(".*" if piece == "**" else "[^/]*" if piece == "*" else re.escape(piece) for piece in pieces)
    return re.compile(regex, re.DOTALL)
