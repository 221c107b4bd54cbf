"""One discovery field as JSON Schema, by the proto3 JSON mapping. Pure.

What each discovery type accepts (https://protobuf.dev/programming-guides/json/):

- ``integer``/``int32``, ``uint32``: a JSON integer, or a string of digits (``"42"``);
- ``string``/``int64``, ``uint64``: the same (64-bit integers are written as strings);
- ``number``/``float``, ``double``: a JSON number, or a string holding one, or ``"NaN"``,
  ``"Infinity"``, ``"-Infinity"``;
- an enum: a name of the enum, or any int32 number (proto3 enums are open);
- ``string``/``byte``: standard or URL-safe base64, padding optional;
- ``string``/``google-duration``: seconds with up to 9 decimals and an ``s`` (``"1.5s"``);
- ``string``/``google-datetime``: RFC 3339 (``"2026-12-01T10:00:00Z"``);
- ``string``/``google-fieldmask``: comma-separated lowerCamel paths;
- ``any`` (``Value``), ``object`` with ``any`` values (``Struct``): any JSON of that kind;
- a message: an object of its fields (:mod:`.generate` defines it once under ``$defs``);
- ``null`` for any field but a required one: the field's default.

Patterns end with ``$(?!\\n)``: Python's ``re`` (jsonschema) and Rust's regex (jsonschema-rs) then
agree on a trailing line break.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

END = "$(?!\\n)"
INT32 = (-(2**31), 2**31 - 1)
UINT32 = (0, 2**32 - 1)

INT64 = (-(2**63), 2**63 - 1)
UINT64 = (0, 2**64 - 1)
#: Each integer format's range.
_RANGES = {"int32": INT32, "uint32": UINT32, "int64": INT64, "uint64": UINT64}


def up_to(high: int) -> str:
    """A regex for the decimal integers from 0 to ``high`` (no sign; leading zeros allowed)."""
    digits = str(high)
    alternatives = ["0"] + ([f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else [])
    for index, digit in enumerate(digits):
        low = "1" if index == 0 else "0"
        if digit > low:
            rest = len(digits) - index - 1
            alternatives.append(digits[:index] + f"[{low}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    alternatives.append(digits)
    return "0*(?:" + "|".join(alternatives) + ")"


def _digits(low: int, high: int) -> str:
    """The pattern of a string of digits in ``[low, high]`` (``low`` is 0 or ``-high - 1``)."""
    negative = f"|-{up_to(-low)}" if low < 0 else ""
    return f"^(?:{up_to(high)}{negative})" + END


_DIGITS = {fmt: _digits(*bounds) for fmt, bounds in _RANGES.items()}
_B64 = "[A-Za-z0-9+/_-]"
_FORMATS: dict[str, tuple[str, str]] = {
    "byte": (
        f"^(?:{_B64}{{4}})*(?:{_B64}{{2}}(?:==)?|{_B64}{{3}}=?)?" + END,
        "base64 (standard or URL-safe; padding optional)",
    ),
    "google-duration": ("^-?[0-9]{1,12}(?:\\.[0-9]{1,9})?s" + END, 'a duration in seconds like "1.5s"'),
    "google-datetime": (
        "^[0-9]{4}-[01][0-9]-[0-3][0-9][Tt][0-2][0-9]:[0-5][0-9]:[0-6][0-9](?:\\.[0-9]{1,9})?"
        "(?:[Zz]|[+-][0-2][0-9]:[0-5][0-9])" + END,
        'an RFC 3339 timestamp like "2026-12-01T10:00:00Z"',
    ),
    "google-fieldmask": (
        "^(?:[a-z][A-Za-z0-9]*(?:\\.[a-z][A-Za-z0-9]*)*(?:,[a-z][A-Za-z0-9]*(?:\\.[a-z][A-Za-z0-9]*)*)*)?" + END,
        'field paths like "a.b,c"',
    ),
}
_FLOAT = "^(?:NaN|-?Infinity|-?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?)" + END


def with_null(schema: dict[str, Any], nullable: bool) -> dict[str, Any]:
    """``schema`` with ``"null"`` added to its ``type`` when ``nullable``."""
    if nullable:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema = {**schema, "type": [*types, "null"]}
    return schema


def integer(fmt: str) -> dict[str, Any]:
    """An integer field of discovery format ``fmt`` (int32, uint32, int64, uint64)."""
    schema: dict[str, Any] = {
        "type": ["integer", "string"],
        "pattern": _DIGITS[fmt],
        "description": f"an integer in [{_RANGES[fmt][0]}, {_RANGES[fmt][1]}] (a JSON number or a string of digits)",
    }
    schema["minimum"], schema["maximum"] = _RANGES[fmt]
    return schema


def number() -> dict[str, Any]:
    """A float or double field."""
    return {
        "type": ["number", "string"],
        "pattern": _FLOAT,
        "description": 'a number (a JSON number, a string holding one, "NaN", "Infinity" or "-Infinity")',
    }


def _magnitude(low: int, low_open: bool, high: int | None, high_open: bool, integer: bool) -> str:
    """A regex for decimal magnitudes (no sign, no exponent) between ``low`` and ``high`` (``None``: no end)."""
    fraction = "" if integer else "(?:\\.[0-9]*)?"
    alternatives = []
    first = low + 1 if low_open else low
    if low_open and not integer and (high is None or low < high):
        alternatives.append(f"{low}\\.[0-9]*[1-9][0-9]*")
    if high is None:
        if first > 1:
            raise ValueError(f"no pattern for magnitudes from {first} up")
        alternatives.append(("[0-9]+" if first == 0 else "[1-9][0-9]*") + fraction)
    else:
        if high - first > 1000:
            raise ValueError(f"a range of {high - first} integers is too wide for a pattern")
        if first < high:
            alternatives.append("(?:" + "|".join(str(k) for k in range(first, high)) + ")" + fraction)
        if not high_open and high >= first:
            alternatives.append(str(high) + ("" if integer else "(?:\\.0*)?"))
    return "(?:" + "|".join(alternatives) + ")"


def bounded_string(bounds: Mapping[str, float | int], integer: bool) -> dict[str, str]:
    """The ``pattern`` (and its ``description``) of the string form of a number within ``bounds``
    (``minimum``, ``exclusiveMinimum``, ``maximum``, ``exclusiveMaximum``; whole numbers): a decimal
    string in range, so that ``"3"`` is refused where ``3`` is. No exponent, ``NaN`` or ``Infinity``."""
    low = bounds.get("minimum", bounds.get("exclusiveMinimum"))
    high = bounds.get("maximum", bounds.get("exclusiveMaximum"))
    low_open, high_open = "exclusiveMinimum" in bounds, "exclusiveMaximum" in bounds
    if any(bound is not None and bound != int(bound) for bound in (low, high)):
        raise ValueError(f"no pattern for bounds that are not whole numbers: {dict(bounds)}")
    low, high = (None if bound is None else int(bound) for bound in (low, high))
    alternatives = []
    if high is None or high > 0 or (high == 0 and not high_open):  # zero and up
        start, start_open = (low, low_open) if low is not None and low >= 0 else (0, False)
        alternatives.append(_magnitude(start, start_open, high, high_open, integer))
    if low is None or low < 0:  # below zero: "-" and a magnitude above 0 (or above -high)
        start, start_open = (-high, high_open) if high is not None and high < 0 else (0, True)
        alternatives.append("-" + _magnitude(start, start_open, None if low is None else -low, low_open, integer))
    kind = "an integer" if integer else "a number"
    opening, closing = "(" if low_open else "[", ")" if high_open else "]"
    where = (f"at most {high}" if low is None else f"at least {low}" if high is None
             else f"in {opening}{low}, {high}{closing}")
    return {"pattern": "^(?:" + "|".join(alternatives) + ")" + END,
            "description": f"{kind} {where} (a JSON number or a decimal string)"}


def enum(values: list[str]) -> dict[str, Any]:
    """An enum field: one of ``values`` by name, or an int32 number."""
    return {
        "type": ["string", "integer"],
        "if": {"type": "string"},
        "then": {"enum": values},
        "minimum": INT32[0],
        "maximum": INT32[1],
    }


def scalar(prop: Mapping[str, Any]) -> dict[str, Any] | None:
    """The JSON Schema of a non-message, non-container field; ``None`` if ``prop`` is not one."""
    kind, fmt = prop.get("type"), prop.get("format")
    if "enum" in prop:
        return enum(list(prop["enum"]))
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "integer" or (kind == "string" and fmt in _DIGITS):
        return integer(fmt or "int32")
    if kind == "number":
        return number()
    if kind == "string" and fmt in _FORMATS:
        pattern, description = _FORMATS[fmt]
        return {"type": "string", "pattern": pattern, "description": description}
    if kind == "string":
        return {"type": "string"}
    if kind == "any":
        return {}
    return None


def message_ref(name: str) -> dict[str, Any]:
    """A field holding message ``name`` (defined under ``$defs``)."""
    return {"type": "object", "$ref": f"#/$defs/{name}"}


def field_schema(prop: Mapping[str, Any], nullable: bool) -> dict[str, Any]:
    """The JSON Schema of one field (``prop`` from :class:`~.discovery.Message`), ``null`` allowed if ``nullable``."""
    if "$ref" in prop:
        return with_null(message_ref(prop["$ref"]), nullable)
    if prop.get("type") == "array":
        return with_null({"type": "array", "items": field_schema(prop["items"], nullable=False)}, nullable)
    if prop.get("type") == "object":
        values = prop.get("additionalProperties", {"type": "any"})
        # map values and Struct values: a Value may be null, a map's message or scalar value may not
        value_schema = field_schema(values, nullable=False) if values.get("type") != "any" else {}
        return with_null({"type": "object", "additionalProperties": value_schema}, nullable)
    schema = scalar(prop)
    if schema is None:
        raise ValueError(f"no proto3 JSON mapping for discovery type {prop.get('type')!r}/{prop.get('format')!r}")
    if not schema:
        return schema  # any JSON, null included
    return with_null(schema, nullable)
