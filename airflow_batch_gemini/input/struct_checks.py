"""What the generated Structs check in Python, after msgspec has decoded a value: pure functions.

:func:`post_init_source` writes the ``__post_init__`` of a Struct whose message has rules msgspec
cannot state (a oneof, a mutual exclusion, a field that requires a sibling's value, free-form JSON,
base64 text, repeated parts). The functions it calls:

- :func:`free_form_fits`: free-form JSON (kept as :class:`msgspec.Raw`) is an object where it must
  be, valid UTF-8, and cannot nest too deep;
- :func:`is_base64`: the packaged schema's base64 pattern (:data:`BASE64_PATTERN`) in C-speed string
  operations; a regular expression costs several nanoseconds a character, and inline media are long;
- :class:`RepeatedPart`: a part of a request that repeats across lines (the tools, the generation
  config) is decoded once per distinct bytes, kept as :class:`msgspec.Raw` otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec

#: The pattern the request schema gives every bytes field (standard or URL-safe base64, padding optional).
BASE64_PATTERN = "^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$(?!\\n)"
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"
#: An empty object in raw JSON (a match inside a string is possible: the caller then asks the next tier).
_EMPTY_OBJECT = re.compile(rb"\{[ \t\r\n]*\}")
#: The padding each length of the last group allows (a last group of 1 is never valid).
_PADDINGS: dict[int, tuple[int, ...]] = {0: (0,), 1: (), 2: (0, 2), 3: (0, 1)}
#: Free-form JSON fields: any JSON value, or a JSON object (a ``map<string, Value>``).
ANY_JSON, JSON_OBJECT = "any", "object"
#: What a field of this kind holds in the Struct, checked by :func:`is_base64`.
BASE64 = "base64"


def is_base64(text: str) -> bool:
    """Whether ``text`` matches :data:`BASE64_PATTERN`: groups of 4 characters of the alphabet, then
    2 (``==`` optional) or 3 (``=`` optional) or none."""
    core = text.rstrip("=")
    if len(text) - len(core) not in _PADDINGS[len(core) % 4]:
        return False
    try:
        data = core.encode("ascii")
    except UnicodeEncodeError:
        return False
    return not data.translate(None, _BASE64_ALPHABET)


def free_form_fits(raw: msgspec.Raw, budget: int, must_be_object: bool) -> bool:
    """Whether free-form JSON at a depth that leaves ``budget`` levels is surely fine: an object if it
    must be, valid UTF-8, at most ``budget`` ``{`` (so it cannot nest deeper), and no ``{}`` (the
    importer fails on an empty object; one inside a string makes this ``False`` too)."""
    data = bytes(raw)
    if must_be_object and data[:1] != b"{":
        return False
    braces = data.count(b"{")
    return braces <= budget and not (braces and _EMPTY_OBJECT.search(data)) and is_utf8(data)


def is_utf8(data: bytes) -> bool:
    """Whether ``data`` is UTF-8 (ASCII is found in one fast pass)."""
    if data.isascii():
        return True
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


class RepeatedPart:
    """A part of a request decoded once per distinct bytes: :meth:`fits` is ``decoder`` accepting them.

    :param decoder: the decoder of the part's own Struct (or list of Structs).
    :param capacity: how many distinct accepted values are kept; beyond, each is decoded anew.
    """

    def __init__(self, decoder: msgspec.json.Decoder[Any], capacity: int = 4096) -> None:
        self.decoder = decoder
        self.capacity = capacity
        self.accepted: set[bytes] = set()

    def fits(self, raw: msgspec.Raw) -> bool:
        """Whether the part's decoder accepts ``raw`` (the same bytes are decoded once)."""
        data = bytes(raw)
        if data in self.accepted:
            return True
        try:
            self.decoder.decode(data)
        except (msgspec.DecodeError, UnicodeDecodeError):
            return False
        if len(self.accepted) < self.capacity:
            self.accepted.add(data)
        return True


def post_init_source(py: Mapping[str, str], groups: list[list[str]], checks: list[tuple[str, str, Any]],
                     kinds: Mapping[str, str], budget: int, *, not_empty: bool = False) -> str:
    """The source of a ``__post_init__`` for these rules (JSON names; ``py`` maps them to attributes),
    or ``""`` when there is none. A group of at-least-one whose members all exclude each other becomes
    one "exactly one" test.

    :param kinds: the fields checked in Python: :data:`ANY_JSON`, :data:`JSON_OBJECT`, :data:`BASE64`,
        ``"pattern"`` (``PATTERNS[json name]`` is then the pattern's ``search`` in the scope), or
        ``"repeated"`` (``REPEATED[json name]`` is then a :class:`RepeatedPart` in the scope).
    :param budget: the levels of objects left below the Struct (for free-form JSON).
    :param not_empty: refuse the empty object (a message whose fields are all optional).
    """
    lines = []
    if not_empty:
        unset = " and ".join(f"self.{name} is UNSET" for name in py.values()) or "True"
        lines.append(f"if {unset}: raise ValueError('an empty object')")
    excluded = {(trigger, other) for kind, trigger, others in checks if kind == "excludes" for other in others}
    for group in groups:
        pairs = {(a, b) for a in group for b in group if a != b}
        set_count = " + ".join(f"(self.{py[name]} is not UNSET)" for name in group)
        if pairs <= excluded:
            excluded -= pairs
            lines.append(f"if {set_count} != 1: raise ValueError('needs exactly one of {', '.join(group)}')")
        else:
            lines.append(f"if {set_count} == 0: raise ValueError('needs one of {', '.join(group)}')")
    for trigger, other in sorted(excluded):
        lines.append(f"if self.{py[trigger]} is not UNSET and self.{py[other]} is not UNSET: "
                     f"raise ValueError('{trigger} excludes {other}')")
    for kind, trigger, what in checks:
        if kind == "requires":
            name, value = what
            lines.append(f"if self.{py[trigger]} is not UNSET and self.{py[name]} != {value!r}: "
                         f"raise ValueError('{trigger} requires {name}')")
    tests = {
        ANY_JSON: f"fits(self.{{0}}, {budget}, False)",
        JSON_OBJECT: f"fits(self.{{0}}, {budget}, True)",
        BASE64: "is_base64(self.{0})",
        "pattern": "PATTERNS[{1!r}](self.{0}) is not None",
        "repeated": "REPEATED[{1!r}].fits(self.{0})",
    }
    for name, kind in kinds.items():
        test = tests[kind].format(py[name], name)
        lines.append(f"if self.{py[name]} is not UNSET and not {test}: raise ValueError('{name} is refused')")
    return "def __post_init__(self):\n" + "".join(f"    {line}\n" for line in lines) if lines else ""
