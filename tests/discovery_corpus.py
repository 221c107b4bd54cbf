"""A corpus of input lines built from the discovery documents (:mod:`tests.discovery_fields`), not from
the generated schema: for every field of every message a ``GenerateContentRequest`` reaches, a minimal
valid request that sets it, its other spellings and proto3 JSON forms (valid), and a wrong type, a bad
enum value, a misspelled name, a value outside a stated range (invalid).

``python -m tests.discovery_corpus`` prints the counts: valid lines accepted, invalid lines refused
with the line number and the field's JSON pointer in the message.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from airflow_batch_gemini.input.line_checks import line_notes, validate_line
from airflow_batch_gemini.input.problems import json_pointer
from airflow_batch_gemini.input.schema import default_validator
from gemini_batch_local.request_schema.statements import ONE_OFS, OVERRIDES, QUOTED, UNDOCUMENTED
from tests.discovery_fields import ROOT, Bounds, Field, bounds_of, lower_camel, messages, snake

MESSAGES = messages()

#: Values for the fields whose statements (the generator's QUOTED table) a generic value may break.
QUOTED_VALUES: dict[tuple[str, str], Any] = {
    ("FunctionDeclaration", "name"): "get_weather.v2:x-y",
    ("FunctionDeclaration", "parameters"): {"type": "OBJECT", "properties": {"_city_2": {"type": "STRING"}}},
    ("Content", "role"): "model",
    ("Blob", "mimeType"): "image/png",
    ("FileData", "mimeType"): "video/mp4",
    ("FunctionResponseBlob", "mimeType"): "audio/wav",
    ("FunctionResponseFileData", "mimeType"): "application/pdf",
    ("MultiSpeakerVoiceConfig", "speakerVoiceConfigs"): "two",  # built: two speakers
    ("GenerateContentRequest", "labels"): {"team": "search-1", "env_x": ""},
    ("GenerationConfig", "responseSchema"): {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}},
    ("GenerationConfig", "responseJsonSchema"): {"type": "object"},
}
#: Values breaking those statements, each with the pointer below the field where the problem is.
QUOTED_BREAKS: dict[tuple[str, str], tuple[Any, str]] = {
    ("FunctionDeclaration", "name"): ("1st", ""),
    ("FunctionDeclaration", "parameters"): ({"properties": {"a b": {"type": "STRING"}}}, "/properties"),
    ("Content", "role"): ("system", ""),
    ("Blob", "mimeType"): ("png", ""),
    ("FileData", "mimeType"): ("video/mp4\n", ""),
    ("FunctionResponseBlob", "mimeType"): ("a/b/c", ""),
    ("FunctionResponseFileData", "mimeType"): ("", ""),
    ("MultiSpeakerVoiceConfig", "speakerVoiceConfigs"): ("one", ""),
    ("GenerateContentRequest", "labels"): ({"Team": "x"}, ""),
}
STRING = "hello"
BYTES = "aGk="


@dataclass(frozen=True)
class Case:
    """One line of the corpus: what it is, and what the validator must say.

    :param pointer: for an invalid line, where a problem must be.
    :param notes: for a valid line, where its notes must be.
    :param words: words the problem's message must contain.
    """

    label: str
    request: Any
    valid: bool
    pointer: str = ""
    words: str = ""
    notes: tuple[str, ...] = ()


def _bounds(item: Field) -> Bounds:
    for override in OVERRIDES:
        if (override.message, override.field) == (item.message, item.name):
            return bounds_of(override.schema)
    return item.stated_bounds


def _quiet_bounds(item: Field) -> Bounds:
    """The stated range and any undocumented limit: a value inside draws no note."""
    found = _bounds(item)
    for limit in UNDOCUMENTED:
        if (limit.message, limit.field) == (item.message, item.name):
            found = found.join(bounds_of(limit.schema))
    return found


def _number(item: Field) -> float:
    bounds = _quiet_bounds(item)
    for value in (1, 0.5, 0, 2, 10):
        if bounds.holds(value) and (item.kind != "int32" or value == int(value)):
            return value
    raise ValueError(f"{item.message}.{item.name}: no simple value fits {bounds}")


def minimal(message: str, filler: bool = True) -> dict[str, Any]:
    """The smallest valid object of ``message``: its required fields; one field more if it would be empty
    (the importer refuses ``{}``) and ``filler``; a ``Part`` holds text."""
    fields = MESSAGES[message]
    result = {name: value(item) for name, item in fields.items() if item.required}
    if message in ONE_OFS:
        result.setdefault(ONE_OFS[message][1][0], STRING)
    if not result and filler and fields:
        simple = [item for item in fields.values() if item.kind not in ("message", "any", "struct")
                  and not item.container and not item.v1beta1_only and (message, item.name) not in QUOTED_VALUES]
        nested = [item for item in fields.values() if item.kind == "message" and MESSAGES[item.ref]]
        if simple or nested:
            result[(simple or nested)[0].name] = value((simple or nested)[0])
        else:  # only empty messages inside: one of them null
            result[next(iter(fields))] = None
    for name in list(result):
        result.update(fields[name].needs)
    return result


def element(item: Field) -> Any:
    """A valid value of one element of ``item`` (the field itself when it holds no list or map)."""
    if item.kind == "message":
        return minimal(item.ref)
    if item.kind == "enum":
        return next(name for name in item.v1_enum or item.enum if not name.endswith("_UNSPECIFIED"))
    if item.kind in ("int32", "float"):
        return _number(item)
    return {"boolean": True, "string": STRING, "bytes": BYTES, "duration": "1.5s", "int64": "1",
            "any": {"k": [1, "x", None]}, "struct": {"k": {"n": 1}}}[item.kind]


def value(item: Field) -> Any:
    """A valid value of ``item``."""
    quoted = QUOTED_VALUES.get((item.message, item.name))
    if quoted == "two":
        return [dict(minimal(item.ref), speaker=speaker) for speaker in ("Ann", "Bob")]
    if quoted is not None:
        return copy.deepcopy(quoted)
    if item.container == "array":
        return [element(item)]
    if item.container == "map":
        return {"k": element(item)}
    return element(item)


def _routes() -> dict[str, list[Field]]:
    """Message -> the fields leading to it from the root, shortest first, v1 fields preferred."""
    routes: dict[str, list[Field]] = {ROOT: []}
    for v1_only in (True, False):
        todo = list(routes)
        while todo:
            name = todo.pop(0)
            for item in MESSAGES[name].values():
                if item.kind == "message" and item.ref not in routes and not (v1_only and item.v1beta1_only):
                    routes[item.ref] = [*routes[name], item]
                    todo.append(item.ref)
    return routes


ROUTES = _routes()


def place(item: Field, field_value: Any, key: str | None = None) -> tuple[dict[str, Any], list[Any]]:
    """A minimal valid request whose ``item`` holds ``field_value`` under ``key`` (its name by default).

    :returns: the request, and the path of the field (from the line).
    """
    request = minimal(ROOT, filler=False)
    cursor, path = request, ["request"]
    for step in [*ROUTES[item.message], None]:
        name = step.name if step else item.name
        members = ONE_OFS.get((step or item).message, ("", ()))[1]
        if name in members:
            for other in members:
                cursor.pop(other, None)
            if step is None and field_value is None:  # null means unset: the oneof still needs a member
                other = next(other for other in members if other != name)
                cursor[other] = value(MESSAGES[item.message][other])
        if step is None:
            cursor.pop(name, None)
            cursor[key or name] = field_value
            cursor.update(item.needs)
            return request, [*path, key or name]
        cursor.update(step.needs)
        child = minimal(step.ref, filler=False)
        if step.container == "array":
            holder = cursor.setdefault(name, [child])
            cursor, path = holder[0], [*path, name, 0]
        elif step.container == "map":
            cursor[name] = {"k": child}
            cursor, path = child, [*path, name, "k"]
        else:
            cursor = cursor.setdefault(name, child)
            path = [*path, name]
    raise AssertionError("unreachable")


def misspelled(item: Field) -> str:
    """The field's name with a letter dropped (or doubled), not a name of its message."""
    known = {spelling for name in MESSAGES[item.message] for spelling in (name, snake(name))}
    name = item.name
    order = sorted(range(len(name)), key=lambda index: abs(index - len(name) // 2))
    options = [name[:i] + name[i + 1:] for i in order] + [name[:i] + name[i] + name[i:] for i in order]
    return next(option for option in options if option and option not in known)


def wrong_type(item: Field) -> Any:
    """A value of the wrong JSON type for ``item`` (``None`` when any value is right)."""
    if item.container == "array":
        return STRING
    if item.container == "map" or item.kind == "struct":
        return [1]
    return {"message": STRING, "enum": True, "boolean": "yes", "string": 5, "bytes": 5, "duration": 1.5,
            "int32": True, "int64": {"n": 1}, "float": [0.5], "any": None}[item.kind]


def _item_pointer(item: Field) -> str:
    return {"array": "/0", "map": "/k"}.get(item.container, "")


def _forms(item: Field) -> Iterator[tuple[str, Any]]:
    """Other valid forms of one element: (what, value)."""
    if item.kind == "int32":
        yield "as a string", str(_number(item))
    if item.kind == "int64":
        yield "as a number", 1
    if item.kind == "float":
        yield "as a string", str(_number(item))
        if _quiet_bounds(item) == Bounds():
            yield from ((f"as {name}", name) for name in ("NaN", "Infinity", "-Infinity"))
    if item.kind == "enum":
        yield "by number", 1
        yield from ((f"= {name} (v1beta1)", name) for name in item.enum if name not in item.v1_enum)
    if item.kind == "bytes":
        yield "URL-safe base64, unpadded", "-_-_YQ"
    if item.kind == "duration":
        yield from ((f"= {text}", text) for text in ("3s", "-0.000000001s", "0.5s"))


def _elements(item: Field, inner: Any) -> list[tuple[Any, Any]]:
    """(index or key, element) of a field's value: ``None`` as the index of a single value."""
    if inner is None:
        return []
    if item.container == "array":
        return list(enumerate(inner))
    return list(inner.items()) if item.container == "map" else [(None, inner)]


def notes_of(message: str, value: Any, path: list[Any]) -> Iterator[str]:
    """Where a valid ``value`` of ``message`` must draw a note: each v1beta1-only field it sets, and each
    enum value only v1beta1 knows of a field v1 knows."""
    if not isinstance(value, dict):
        return
    for key, inner in value.items():
        item = MESSAGES[message].get(lower_camel(key))
        if item is None:
            continue
        if item.v1beta1_only:
            yield json_pointer([*path, key])
        for index, element_value in _elements(item, inner):
            where = [*path, key] if index is None else [*path, key, index]
            if item.kind == "message":
                yield from notes_of(item.ref, element_value, where)
            elif item.kind == "enum" and "v1" in item.versions and element_value not in (*item.v1_enum, 1):
                yield json_pointer(where)


def valid(label: str, request: dict[str, Any]) -> Case:
    return Case(label, request, True, notes=tuple(sorted(notes_of(ROOT, request, ["request"]))))


def field_cases(item: Field) -> Iterator[Case]:
    """The corpus lines of one field."""
    where = f"{item.message}.{item.name}"
    empty = item.kind == "message" and not MESSAGES[item.ref]
    good = None if empty else value(item)
    request, path = place(item, good)
    pointer = json_pointer(path)
    yield valid(f"{where} set", request)
    if item.name != snake(item.name):
        yield valid(f"{where} in snake_case", place(item, good, snake(item.name))[0])
    if not item.required:
        yield valid(f"{where} null", place(item, None)[0])
    else:
        yield Case(f"{where} null (required)", place(item, None)[0], False, pointer)
    sub = _item_pointer(item)
    for what, form in _forms(item):
        yield valid(f"{where} {what}", place(item, {"array": [form], "map": {"k": form}}.get(item.container, form))[0])
    misspelling = misspelled(item)
    yield Case(f"{where} misspelled {misspelling}", place(item, good, misspelling)[0], False,
               json_pointer([*path[:-1], misspelling]), f"is not a field of {item.message}")
    if empty:
        yield Case(f"{where} = {{}}", place(item, {"array": [{}], "map": {"k": {}}}.get(item.container, {}))[0],
                   False, pointer + sub, "the batch importer fails the whole job for this")
    wrong = wrong_type(item)
    if wrong is not None:
        yield Case(f"{where} wrong type {wrong!r}", place(item, wrong)[0], False, pointer)
    if item.container and item.kind not in ("any", "struct"):
        wrong = wrong_type(Field(item.message, item.name, item.kind, "", ""))
        yield Case(f"{where} element of wrong type", place(item, {"array": [wrong], "map": {"k": wrong}}
                                                         [item.container])[0], False, pointer + sub)
    if item.kind == "enum":
        bad = {"array": ["NOT_A_VALUE"], "map": {"k": "NOT_A_VALUE"}}.get(item.container, "NOT_A_VALUE")
        yield Case(f"{where} bad enum value", place(item, bad)[0], False, pointer + sub, "is not one of")
    if item.kind in ("int32", "float"):
        for outside in _bounds(item).outside(integer=item.kind == "int32"):
            outside = int(outside) if item.kind == "int32" else outside
            for form in (outside, str(outside)):
                yield Case(f"{where} = {form!r}, outside the stated range", place(item, form)[0], False, pointer)
    if item.kind in ("bytes", "duration"):
        yield Case(f"{where} malformed", place(item, {"bytes": "a!b=", "duration": "1.5"}[item.kind])[0],
                   False, pointer)
    if (item.message, item.name) in QUOTED_BREAKS:
        broken, below = QUOTED_BREAKS[(item.message, item.name)]
        if broken == "one":
            broken = value(item)[:1]
        yield Case(f"{where} = {broken!r} against its statement", place(item, broken)[0], False, pointer + below)
    for other in item.excludes:
        request = place(item, good)[0]
        both = place(MESSAGES[item.message][other], value(MESSAGES[item.message][other]))[0]
        yield Case(f"{where} with {other}", _merge(request, both), False, json_pointer(path[:-1]),
                   "mutually exclusive")


def _merge(first: Any, second: Any) -> Any:
    """``first`` with what ``second`` adds (objects merged key by key, lists element by element)."""
    if isinstance(first, dict) and isinstance(second, dict):
        return {**second, **{key: _merge(value, second.get(key)) for key, value in first.items()}}
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        return [_merge(a, b) for a, b in zip(first, second, strict=True)]
    return first


def corpus() -> list[Case]:
    """Every case of every field of every message, in the documents' order."""
    return [case for fields in MESSAGES.values() for item in fields.values() for case in field_cases(item)]


def line_of(case: Case) -> bytes:
    return json.dumps({"request": case.request}).encode()


def failure(case: Case, number: int) -> str | None:
    """Why the validator's verdict on ``case`` (as line ``number``) is wrong; ``None`` if it is right."""
    problems = validate_line(line_of(case), number)
    texts = [str(problem) for problem in problems]
    if case.valid:
        if texts:
            return f"{case.label}: refused: {texts}"
        notes = [note.pointer for note in line_notes(json.loads(line_of(case)), number, default_validator())]
        return None if sorted(notes) == list(case.notes) else f"{case.label}: notes at {notes}, expected {case.notes}"
    prefix = f"line {number:,}: {case.pointer}: " if case.pointer else f"line {number:,}: "
    if any(text.startswith(prefix) and case.words in text for text in texts):
        return None
    return f"{case.label}: expected {prefix}...{case.words}..., got {texts or 'no problem'}"


def tally(cases: list[Case]) -> dict[str, Any]:
    """Counts: valid accepted, invalid refused (each with its total), and the failures."""
    failures = [(case, found) for number, case in enumerate(cases, 1) if (found := failure(case, number))]
    wrong = {id(case) for case, _ in failures}
    valid = [case for case in cases if case.valid]
    invalid = [case for case in cases if not case.valid]
    return {
        "fields": sum(len(fields) for fields in MESSAGES.values()), "messages": len(MESSAGES),
        "valid": len(valid), "valid_accepted": sum(id(case) not in wrong for case in valid),
        "invalid": len(invalid), "invalid_refused": sum(id(case) not in wrong for case in invalid),
        "failures": [found for _, found in failures],
    }


def main() -> int:
    counts = tally(corpus())
    for found in counts["failures"]:
        print(found)
    print(f"{counts['messages']} messages, {counts['fields']} fields (v1 and v1beta1 merged)")
    print(f"valid accepted: {counts['valid_accepted']}/{counts['valid']}")
    print(f"invalid refused: {counts['invalid_refused']}/{counts['invalid']}")
    return 0 if not counts["failures"] else 1


assert {(entry.message, entry.field) for entry in QUOTED} <= set(QUOTED_VALUES), "a QUOTED statement lacks a value"

if __name__ == "__main__":
    sys.exit(main())
