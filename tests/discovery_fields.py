"""The discovery documents read for the corpus (:mod:`tests.discovery_corpus`), on their own: every field
of every message a ``GenerateContentRequest`` reaches in v1 and v1beta1, and what its description states.

Written apart from the generator (``gemini_batch_local.request_schema``) on purpose: the corpus must
not take its values from the code it checks. The only shared knowledge is the generator's statement
tables (what Google states in words no reader can take), imported by the corpus.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

VERSIONS = ("v1", "v1beta1")
PREFIX = {"v1": "GoogleCloudAiplatformV1", "v1beta1": "GoogleCloudAiplatformV1beta1"}
ROOT = "GenerateContentRequest"

_BOUND = r"([-+]?[0-9]+(?:\.[0-9]+)?)"
_RANGE = re.compile(rf"([\[(])\s*{_BOUND}\s*,\s*{_BOUND}\s*([\])])")
_MAX = re.compile(r"maximumm? allowed value is ([0-9]+)")
_NEEDS = (re.compile(r"set the `(\w+)` to `([^`]+)`"), re.compile(r"(\w+) must be set to `([^`]+)`"))
_EXCLUDES = (re.compile(r"mutually exclusive with `?(\w+)`?"), re.compile(r"If supplied, `?(\w+)`? must not be"),
             re.compile(r"When this field is set, `?(\w+)`? must be omitted"))


def lower_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda found: "_" + found.group(1).lower(), name)


@dataclass(frozen=True)
class Bounds:
    """A numeric range: ``None`` for no bound; ``open_low``/``open_high`` exclude the bound itself."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False

    def holds(self, value: float) -> bool:
        above = self.low is None or (value > self.low if self.open_low else value >= self.low)
        below = self.high is None or (value < self.high if self.open_high else value <= self.high)
        return above and below

    def outside(self, integer: bool) -> list[float]:
        """Values just outside each bound."""
        step = 1 if integer else 0.5
        values = []
        if self.low is not None:
            values.append(self.low if self.open_low else self.low - step)
        if self.high is not None:
            values.append(self.high if self.open_high else self.high + step)
        return values

    def join(self, other: Bounds) -> Bounds:
        """Both ranges at once."""
        low, open_low = max(((self.low, self.open_low), (other.low, other.open_low)),
                            key=lambda bound: -math.inf if bound[0] is None else bound[0])
        high, open_high = min(((self.high, self.open_high), (other.high, other.open_high)),
                              key=lambda bound: math.inf if bound[0] is None else bound[0])
        return Bounds(low, high, open_low, open_high)


def bounds_of(schema: Any) -> Bounds:
    """The range a table entry's JSON Schema keywords give (``minimum``, ``exclusiveMaximum``, ...)."""
    schema = dict(schema or {})
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    return Bounds(low, high, "exclusiveMinimum" in schema, "exclusiveMaximum" in schema)


@dataclass
class Field:
    """One field of one message, merged over the versions.

    :param kind: ``message``, ``enum``, ``boolean``, ``string``, ``bytes``, ``duration``, ``int32``,
        ``int64``, ``float``, ``any`` (one JSON value) or ``struct`` (a JSON object of any values).
    :param container: ``""``, ``array`` or ``map``.
    """

    message: str
    name: str
    kind: str
    container: str
    description: str
    ref: str = ""
    enum: list[str] = field(default_factory=list)
    v1_enum: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)

    @property
    def required(self) -> bool:
        return re.match(r"\s*Required\b", self.description) is not None

    @property
    def stated_bounds(self) -> Bounds:
        found = _RANGE.search(self.description)
        if found:
            opening, low, high, closing = found.groups()
            return Bounds(float(low), float(high), opening == "(", closing == ")")
        found = _MAX.search(self.description)
        return Bounds(high=float(found.group(1))) if found else Bounds()

    @property
    def needs(self) -> dict[str, str]:
        """Siblings the description says must hold a value when this field is set."""
        return {lower_camel(found.group(1)): found.group(2)
                for pattern in _NEEDS for found in pattern.finditer(self.description)}

    @property
    def excludes(self) -> list[str]:
        return [lower_camel(found.group(1)) for pattern in _EXCLUDES for found in pattern.finditer(self.description)]

    @property
    def v1beta1_only(self) -> bool:
        return "v1" not in self.versions


def _short(version: str, name: str) -> str:
    return name.removeprefix(PREFIX[version])


def _kind(prop: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(kind, container, the entry of the element) of a discovery property."""
    container = ""
    if prop.get("type") == "array":
        container, prop = "array", prop["items"]
    elif prop.get("type") == "object" and "additionalProperties" in prop:
        if prop["additionalProperties"].get("type") == "any":
            return "struct", "", prop
        container, prop = "map", prop["additionalProperties"]
    kind, fmt = prop.get("type"), prop.get("format")
    if "$ref" in prop:
        return "message", container, prop
    if "enum" in prop:
        return "enum", container, prop
    names = {("string", "byte"): "bytes", ("string", "google-duration"): "duration", ("integer", "int32"): "int32",
             ("string", "int64"): "int64", ("number", "float"): "float", ("number", "double"): "float",
             ("boolean", None): "boolean", ("string", None): "string", ("any", None): "any"}
    if (kind, fmt) not in names:
        raise ValueError(f"the corpus does not know discovery type {kind}/{fmt}")
    return names[(kind, fmt)], container, prop


def load() -> dict[str, dict[str, Any]]:
    documents = resources.files("googleapiclient").joinpath("discovery_cache", "documents")
    return {version: json.loads(documents.joinpath(f"aiplatform.{version}.json").read_text("utf-8"))
            for version in VERSIONS}


def _walk(schemas: dict[str, Any], version: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    seen: set[str] = set()
    todo = [PREFIX[version] + ROOT]
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        for field_name, prop in schemas[name].get("properties", {}).items():
            yield name, field_name, prop
            todo.extend(re.findall(r'"\$ref": "([^"]+)"', json.dumps(prop)))
        if not schemas[name].get("properties"):
            yield name, "", {}


def messages(documents: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Field]]:
    """Message (short name) -> field (lowerCamel) -> :class:`Field`, both versions merged."""
    documents = documents or load()
    found: dict[str, dict[str, Field]] = {}
    for version in VERSIONS:
        for long_name, name, prop in _walk(documents[version]["schemas"], version):
            fields = found.setdefault(_short(version, long_name), {})
            if not name:
                continue
            kind, container, element = _kind(prop)
            entry = fields.setdefault(name, Field(
                _short(version, long_name), name, kind, container, prop.get("description", ""),
                ref=_short(version, element.get("$ref", ""))))
            entry.versions.append(version)
            for value in element.get("enum", ()):
                if value not in entry.enum:
                    entry.enum.append(value)
                if version == "v1":
                    entry.v1_enum.append(value)
    return found

