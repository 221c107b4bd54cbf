"""Field names in the two spellings proto3 JSON accepts: lowerCamelCase and snake_case. Pure."""

from __future__ import annotations

import functools


def camel_case(name: str) -> str:
    """``max_output_tokens`` -> ``maxOutputTokens``; a lowerCamelCase name is returned unchanged."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@functools.cache
def snake_case(name: str) -> str:
    """``maxOutputTokens`` -> ``max_output_tokens``; a snake_case name is returned unchanged."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
