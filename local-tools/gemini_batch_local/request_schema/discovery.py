"""Reading the Vertex AI discovery documents: the messages a ``GenerateContentRequest`` reaches, in
both API versions, merged into one view. Pure but for :func:`load_documents`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

VERSIONS = ("v1", "v1beta1")
ROOT = "GenerateContentRequest"
_PREFIXES = {"v1": "GoogleCloudAiplatformV1", "v1beta1": "GoogleCloudAiplatformV1beta1"}


def load_documents() -> dict[str, dict[str, Any]]:
    """The discovery documents of both versions, as installed with google-api-python-client."""
    documents = resources.files("googleapiclient").joinpath("discovery_cache", "documents")
    return {
        version: json.loads(documents.joinpath(f"aiplatform.{version}.json").read_text("utf-8"))
        for version in VERSIONS
    }


def short_name(version: str, name: str) -> str:
    """``GoogleCloudAiplatformV1Blob`` -> ``Blob``; a name from outside aiplatform (``GoogleTypeLatLng``) stays."""
    prefix = _PREFIXES[version]
    return name[len(prefix):] if name.startswith(prefix) else name


def _refs(prop: Mapping[str, Any]) -> Iterator[str]:
    if "$ref" in prop:
        yield prop["$ref"]
    for key in ("items", "additionalProperties"):
        if isinstance(prop.get(key), Mapping):
            yield from _refs(prop[key])


def reachable(schemas: Mapping[str, Any], root: str) -> list[str]:
    """The names of ``root`` and every message it reaches, ``root`` first, then in the order found."""
    found: list[str] = []
    todo = [root]
    while todo:
        name = todo.pop(0)
        if name in found:
            continue
        found.append(name)
        for prop in schemas[name].get("properties", {}).values():
            todo.extend(ref for ref in _refs(prop) if ref not in found)
    return found


@dataclass
class Message:
    """One message of the merged view.

    :param name: its short name (:func:`short_name`).
    :param description: its description in v1 (v1beta1 if v1 lacks the message).
    :param fields: field name -> its discovery entry (v1's where both versions have it), ``$ref`` short.
    :param versions: field name -> the versions that know it.
    :param enum_versions: field name -> enum value -> the versions that know that value.
    """

    name: str
    description: str
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, list[str]] = field(default_factory=dict)
    enum_versions: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def _shorten_refs(version: str, prop: Any) -> Any:
    if isinstance(prop, dict):
        return {
            key: short_name(version, value) if key == "$ref" else _shorten_refs(version, value)
            for key, value in prop.items()
        }
    return prop


def _enum_values(prop: Mapping[str, Any]) -> list[str]:
    items = prop.get("items")
    source = items if isinstance(items, Mapping) else prop
    return list(source.get("enum", ()))


def merged_messages(documents: Mapping[str, Mapping[str, Any]]) -> dict[str, Message]:
    """Every message a ``GenerateContentRequest`` reaches in either version, by short name, v1's first.

    A field (or an enum value) one version lacks is kept and says which versions know it.
    """
    messages: dict[str, Message] = {}
    for version in VERSIONS:
        schemas = documents[version]["schemas"]
        for long_name in reachable(schemas, _PREFIXES[version] + ROOT):
            entry = schemas[long_name]
            message = messages.setdefault(
                short_name(version, long_name), Message(short_name(version, long_name), entry.get("description", ""))
            )
            for name, prop in entry.get("properties", {}).items():
                message.fields.setdefault(name, _shorten_refs(version, prop))
                message.versions.setdefault(name, []).append(version)
                by_value = message.enum_versions.setdefault(name, {})
                for value in _enum_values(prop):
                    by_value.setdefault(value, []).append(version)
                if by_value and _enum_values(message.fields[name]) != list(by_value):
                    _merge_enum(message.fields[name], list(by_value))
    return messages


def _merge_enum(prop: dict[str, Any], values: list[str]) -> None:
    """Give the kept entry every enum value either version knows."""
    target = prop["items"] if isinstance(prop.get("items"), dict) and "enum" in prop["items"] else prop
    target["enum"] = values


def revisions(documents: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Each version's document revision (``20261106``)."""
    return {version: str(documents[version]["revision"]) for version in VERSIONS}
