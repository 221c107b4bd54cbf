"""msgspec Structs translated from the request schema, one message and nesting depth at a time. Pure.

:class:`StructBuilder` reads the ``$defs`` of a schema made by the generator (``make schema``; see
:mod:`~airflow_batch_gemini.input.schema_variants` for its annotations) and makes a Struct per message
reached, for one spelling of the field names (lowerCamel or snake_case). It translates
**conservatively**: a Struct may refuse what the schema accepts, never the reverse. So

- ``null`` is never declared, nor numeric strings, nor enum numbers: only a JSON integer (or number)
  within the bounds, and an enum by name;
- a construct it cannot express exactly leaves its field out, so ``forbid_unknown_fields`` refuses a
  line that uses it (:attr:`StructBuilder.left_out` says which and why); a message that needs such a
  field is left out as a whole;
- required fields are required Struct fields; a oneof, a mutual exclusion and a field that requires a
  sibling's value are checked by a generated ``__post_init__``, only on the Structs that have one;
- each message is built for the depth it sits at (the line is depth 1, arrays add none), and no field
  leads to an object deeper than :data:`~airflow_batch_gemini.input.importer_rules.MAX_OBJECT_DEPTH`,
  which would draw a note: recursive messages (``Schema``) become a finite family of Structs;
- free-form JSON (``{}``: ``Struct``, ``Value``, a JSON Schema) is kept as :class:`msgspec.Raw`, checked
  in ``__post_init__``: an object where the schema says so, valid UTF-8 (msgspec does not check the
  bytes it skips), and at most as many ``{`` as the depth left, so it cannot nest too deep.

Empty objects are not seen here: the caller refuses a line holding ``{}`` in its raw bytes.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from airflow_batch_gemini.fieldnames import snake_case
from airflow_batch_gemini.input.importer_rules import MAX_OBJECT_DEPTH

#: Keywords validators ignore (the generator's annotations and plain words).
_ANNOTATIONS = frozenset({"description", "title", "x-problem", "x-api-versions", "x-v1-enum", "x-undocumented"})
_FIELD_KEYWORDS = frozenset({
    "type", "$ref", "properties", "items", "minItems", "maxItems", "pattern", "minLength", "maxLength", "enum",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "if", "then", "additionalProperties",
    "propertyNames",
})
_LOWER = {"minimum": max, "exclusiveMinimum": max, "minItems": max, "minLength": max}
_UPPER = {"maximum": min, "exclusiveMaximum": min, "maxItems": min, "maxLength": min}
_BOUNDS = (("minimum", "ge"), ("maximum", "le"), ("exclusiveMinimum", "gt"), ("exclusiveMaximum", "lt"))
_REF = re.compile(r"#/\$defs/(\w+)")


class Untranslatable(ValueError):
    """A schema construct the Structs cannot express exactly (its field is left out)."""


#: Free-form JSON fields: any JSON value, or a JSON object (a ``map<string, Value>``).
ANY_JSON, JSON_OBJECT = "any", "object"


def _plain(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key not in _ANNOTATIONS}


def flatten(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``allOf`` merged into it, annotations dropped; :class:`Untranslatable` if the
    merge is not exact."""
    merged = _plain(schema)
    for part in merged.pop("allOf", []):
        for key, value in flatten(part).items():
            if key not in merged or merged[key] == value:
                merged[key] = value
            elif key in _LOWER or key in _UPPER:
                merged[key] = {**_LOWER, **_UPPER}[key](merged[key], value)
            elif key == "enum":
                merged[key] = [item for item in merged[key] if item in value]
            elif key in ("items", "then"):
                merged[key] = {"allOf": [merged[key], value]}
            else:
                raise Untranslatable(f"cannot merge two {key!r}")
    return merged


def _meta(schema: Mapping[str, Any], names: Mapping[str, str]) -> Meta | None:
    given = {names[key]: schema[key] for key in names if key in schema}
    return Meta(**given) if given else None


def _constrained(kind: Any, meta: Meta | None) -> Any:
    return Annotated[kind, meta] if meta is not None else kind


def _string_type(schema: Mapping[str, Any]) -> Any:
    meta = _meta(schema, {"pattern": "pattern", "minLength": "min_length", "maxLength": "max_length"})
    if "enum" not in schema:
        return _constrained(str, meta)
    values = [value for value in schema["enum"] if isinstance(value, str)]
    pattern = re.compile(schema.get("pattern", ""))
    values = [value for value in values if pattern.search(value)
              and schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value))]
    if not values:
        raise Untranslatable("no string value is allowed")
    return Literal[tuple(values)]


def _chosen_type(schema: dict[str, Any]) -> str:
    """The one JSON type the Struct declares for ``schema`` (whose ``if``/``then`` it folds in)."""
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    types = [kind for kind in types if kind != "null"]
    if "if" in schema:
        if schema.pop("if") != {"type": "string"} or "string" not in types:
            raise Untranslatable("an if other than a string test")
        then = flatten(schema.pop("then", {}))
        for key in [key for key in schema if key in _BOUNDS_KEYS]:
            del schema[key]  # bounds of the integer form, which is not declared
        schema.update(flatten({"allOf": [schema, then]}))
        return "string"
    numeric = [kind for kind in types if kind in ("integer", "number")]
    if numeric and set(types) <= {"integer", "number", "string"}:
        return "number" if "number" in numeric else "integer"  # the string form is not declared
    if len(types) != 1:
        raise Untranslatable(f"types {types}")
    return types[0]


_BOUNDS_KEYS = frozenset(key for key, _ in _BOUNDS)


def _py_name(json_name: str) -> str:
    name = snake_case(json_name)
    return name + "_" if keyword.iskeyword(name) or not name.isidentifier() else name


def family_names(properties: Mapping[str, Any], snake: bool) -> dict[str, str]:
    """The JSON names of one spelling among a message's ``properties``, each -> its lowerCamel name."""
    snake_forms = {snake_case(name) for name in properties if snake_case(name) != name}
    camel = [name for name in properties if name not in snake_forms]
    return {snake_case(name) if snake else name: name for name in camel if snake_case(name) in properties}


class StructBuilder:
    """The Structs of one spelling of a generated request schema.

    :param schema: the schema (its notes variant, for Structs that describe lines drawing no note).
    :param snake: the snake_case spelling (else lowerCamel).
    :param only: ``{message: member}``: that message keeps only this member of its oneof (a text-only
        ``Part``: no check in Python).
    """

    def __init__(self, schema: Mapping[str, Any], *, snake: bool, only: Mapping[str, str] | None = None) -> None:
        self.defs: Mapping[str, Mapping[str, Any]] = schema["$defs"]
        self.snake = snake
        self.only = dict(only or {})
        self._built: dict[tuple[str, int, str], Any] = {}
        #: ``(message, field)`` -> why the field is not declared; ``(message, "")``: the whole message.
        self.left_out: dict[tuple[str, str], str] = {}
        #: The messages made into a Struct at some depth.
        self.built_messages: set[str] = set()

    def field(self, schema: Mapping[str, Any], depth: int) -> Any:
        """The type of a field of ``schema`` in an object at ``depth``: a Struct, a constrained scalar,
        a list or dict of them, or :data:`ANY_JSON` / :data:`JSON_OBJECT` (kept as :class:`msgspec.Raw`)."""
        flat = flatten(schema)
        if not flat:
            return ANY_JSON
        if flat.get("not") == {}:
            raise Untranslatable("any value draws a note (a field only v1beta1 knows)")
        if "not" in flat or set(flat) - _FIELD_KEYWORDS:
            raise Untranslatable(f"keywords {sorted(set(flat) - _FIELD_KEYWORDS)}")
        kind = _chosen_type(flat)
        if kind == "string":
            return _string_type(flat)
        if "enum" in flat:
            raise Untranslatable("an enum of non-strings")
        if kind in ("integer", "number"):
            return _constrained(int if kind == "integer" else float, _meta(flat, dict(_BOUNDS)))
        if kind == "boolean":
            return bool
        if kind == "array":
            if "items" not in flat:
                raise Untranslatable("an array of anything")
            items = self.field(flat["items"], depth)
            if items in (ANY_JSON, JSON_OBJECT):
                raise Untranslatable("an array of free-form JSON")
            return _constrained(list[items], _meta(flat, {"minItems": "min_length", "maxItems": "max_length"}))  # type: ignore[valid-type]
        if kind != "object":
            raise Untranslatable(f"type {kind}")
        if depth + 1 > MAX_OBJECT_DEPTH:
            raise Untranslatable(f"at the deepest level only: an object deeper than {MAX_OBJECT_DEPTH} draws a note")
        if "$ref" in flat:
            match = _REF.fullmatch(flat["$ref"])
            if match is None or set(flat) - {"type", "$ref", "properties"}:
                raise Untranslatable("a $ref beside other keywords")
            return self.message(match.group(1), depth + 1, flat.get("properties"))
        values = flat.get("additionalProperties", {})
        if values == {} and set(flat) <= {"type", "additionalProperties"}:
            return JSON_OBJECT
        if values in ({}, False) or set(flat) - {"type", "additionalProperties", "propertyNames"}:
            raise Untranslatable("an object of this shape")
        value_type = self.field(values, depth + 1)
        if value_type in (ANY_JSON, JSON_OBJECT):
            raise Untranslatable("a map of free-form JSON")
        names = flatten(flat.get("propertyNames", {}))
        if set(names) - {"pattern", "minLength", "maxLength"}:
            raise Untranslatable("property names of this kind")
        return dict[_string_type(names), value_type]  # type: ignore[misc]

    def message(self, name: str, depth: int, extra: Mapping[str, Any] | None = None) -> Any:
        """The Struct of message ``name`` at ``depth``, its properties also held to ``extra``
        (``{json name: schema}``); :class:`Untranslatable` if it cannot be one."""
        key = (name, depth, json.dumps(extra, sort_keys=True) if extra else "")
        if key not in self._built:
            self._built[key] = None  # no cycle can reach it again: each level is one deeper
            try:
                self._built[key] = _MessageStruct(self, name, depth, extra or {}).build()
            except Untranslatable as err:
                self.left_out.setdefault((name, ""), str(err))
                self._built[key] = err
        built = self._built[key]
        if isinstance(built, Untranslatable):
            raise built
        self.built_messages.add(name)
        return built


class _MessageStruct:
    """One message as a Struct of one spelling at one depth: :meth:`build`."""

    def __init__(self, builder: StructBuilder, name: str, depth: int, extra: Mapping[str, Any]) -> None:
        self.builder, self.name, self.depth = builder, name, depth
        self.definition = definition = builder.defs[name]
        self.names = family_names(definition.get("properties", {}), builder.snake)
        self.extra = extra
        self.fields: dict[str, Any] = {}  # JSON name -> type
        self.free_form: dict[str, str] = {}  # JSON name -> ANY_JSON or JSON_OBJECT

    def _camel(self, json_name: str) -> str:
        return self.names[json_name]

    def build(self) -> Any:
        definition, builder = self.definition, self.builder
        if set(_plain(definition)) - {"properties", "additionalProperties", "required", "allOf", "dependentSchemas"}:
            raise Untranslatable("message keywords it cannot express")
        kept = builder.only.get(self.name)
        members = self._at_least_one()
        for json_name, camel in self.names.items():
            if kept is not None and camel != kept and any(camel in group for group in members):
                continue  # the other members of the oneof restricted to one
            schema = definition["properties"][json_name]
            if json_name in self.extra:
                schema = {"allOf": [schema, self.extra[json_name]]}
            try:
                self.fields[json_name] = builder.field(schema, self.depth)
            except Untranslatable as err:
                builder.left_out.setdefault((self.name, camel), str(err))
        checks = self._dependent_checks()  # may leave out more fields
        required = {camel for camel in definition.get("required", [])}
        groups = []
        for group in members:
            present = [camel for camel in group if self._json(camel) in self.fields]
            if kept is not None and kept in group:
                present = [kept]
            if not present:
                raise Untranslatable(f"none of {sorted(group)} can be declared")
            if len(present) == 1:
                required.add(present[0])
            else:
                groups.append(present)
        missing = [camel for camel in required if self._json(camel) not in self.fields]
        if missing:
            raise Untranslatable(f"required {missing} cannot be declared")
        return self._struct(required, groups, checks)

    def _json(self, camel: str) -> str:
        return snake_case(camel) if self.builder.snake else camel

    def _at_least_one(self) -> list[set[str]]:
        """The message's ``allOf`` anyOf-required rules, as sets of lowerCamel names."""
        groups = []
        for rule in self.definition.get("allOf", []):
            rule = _plain(rule)
            if set(rule) != {"anyOf"}:
                raise Untranslatable("a message rule other than one of these fields")
            given = {_set_field(item) for item in rule["anyOf"]}
            groups.append({camel for json_name, camel in self.names.items() if json_name in given or camel in given})
        return groups

    def _dependent_checks(self) -> list[tuple[str, str, Any]]:
        """``(kind, field, what)`` for each ``dependentSchemas`` rule among declared fields: ``excludes``
        a set of fields, or ``requires`` ``(field, value)``; a field with a rule it cannot check is
        left out."""
        checks: list[tuple[str, str, Any]] = []
        for trigger, rule in self.definition.get("dependentSchemas", {}).items():
            if trigger not in self.fields:
                continue
            rule = _plain(rule)
            parts = rule["allOf"] if set(rule) == {"allOf"} else [rule]
            try:
                checks += [self._dependent(trigger, _unguarded(part, trigger)) for part in parts]
            except Untranslatable as err:
                del self.fields[trigger]
                self.builder.left_out.setdefault((self.name, self._camel(trigger)), str(err))
        declared = set(self.fields)
        return [check for check in checks if check[1] in declared and check[2]]

    def _dependent(self, trigger: str, part: dict[str, Any]) -> tuple[str, str, Any]:
        if set(part) == {"not"}:
            denied = _plain(part["not"])
            alternatives = denied["anyOf"] if set(denied) == {"anyOf"} else [denied]
            others = {_set_field(item) for item in alternatives}
            return ("excludes", trigger, sorted(others & set(self.fields)))
        if set(part) == {"anyOf"}:
            for item in part["anyOf"]:
                item = _plain(item)
                name = item.get("required", [None])[0]
                if name in self.fields and set(item) == {"required", "properties"} and \
                        set(item["properties"]) == {name} and set(item["properties"][name]) == {"const"}:
                    return ("requires", trigger, (name, item["properties"][name]["const"]))
            raise Untranslatable("requires a field that is not declared")
        raise Untranslatable("a dependent rule of this kind")

    def _struct(self, required: set[str], groups: list[list[str]], checks: list[tuple[str, str, Any]]) -> Any:
        py = {json_name: _py_name(json_name) for json_name in self.fields}
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        for json_name, kind in self.fields.items():
            annotation = msgspec.Raw if kind in (ANY_JSON, JSON_OBJECT) else kind
            if kind in (ANY_JSON, JSON_OBJECT):
                self.free_form[json_name] = kind
            if self._camel(json_name) in required:
                fields.append((py[json_name], annotation))
            else:
                fields.append((py[json_name], annotation | UnsetType, UNSET))
        source = post_init_source(py, [[self._json(camel) for camel in group] for group in groups], checks,
                                  self.free_form, MAX_OBJECT_DEPTH - self.depth)
        namespace: dict[str, Any] = {}
        if source:
            scope = {"UNSET": UNSET, "fits": free_form_fits}
            exec(source, scope, namespace)  # generated from field names that are identifiers
        rename = {py[json_name]: json_name for json_name in self.fields}
        return msgspec.defstruct(f"{self.name}_{'snake' if self.builder.snake else 'camel'}_{self.depth}", fields,
                                 kw_only=True, forbid_unknown_fields=True, rename=rename, gc=False,
                                 namespace=namespace)


def _set_field(rule: Mapping[str, Any]) -> str:
    """The field a rule says is set: ``{"required": [f]}``, or that and ``f`` not ``null`` (a Struct
    field is never null, so both read the same here); :class:`Untranslatable` for any other rule."""
    rule = _plain(rule)
    if set(rule) - {"required", "properties"} or len(rule.get("required", ())) != 1:
        raise Untranslatable("a rule other than a set field")
    name = rule["required"][0]
    if rule.get("properties", {name: {"not": {"type": "null"}}}) != {name: {"not": {"type": "null"}}}:
        raise Untranslatable("a rule other than a set field")
    return str(name)


def _unguarded(rule: dict[str, Any], trigger: str) -> dict[str, Any]:
    """A dependent rule without its guard "unless ``trigger`` is null" (a declared field never is)."""
    rule = _plain(rule)
    if set(rule) == {"if", "else"} and rule["if"] == {"properties": {trigger: {"type": "null"}}}:
        return _plain(rule["else"])
    return rule


def post_init_source(py: Mapping[str, str], groups: list[list[str]], checks: list[tuple[str, str, Any]],
                     free_form: Mapping[str, str], budget: int) -> str:
    """The source of a ``__post_init__`` for these rules (JSON names; ``py`` maps them to attributes),
    or ``""`` when there is none. A group of at-least-one whose members all exclude each other becomes
    one "exactly one" test."""
    lines = []
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
    for name, kind in free_form.items():
        lines.append(f"if self.{py[name]} is not UNSET and not fits(self.{py[name]}, {budget}, "
                     f"{kind == JSON_OBJECT}): raise ValueError('{name} is too deep, not UTF-8, or no object')")
    return "def __post_init__(self):\n" + "".join(f"    {line}\n" for line in lines) if lines else ""


def free_form_fits(raw: msgspec.Raw, budget: int, must_be_object: bool) -> bool:
    """Whether free-form JSON at a depth that leaves ``budget`` levels is surely fine: an object if it
    must be, valid UTF-8, and at most ``budget`` ``{`` (so it cannot nest deeper)."""
    data = bytes(raw)
    if must_be_object and data[:1] != b"{":
        return False
    if data.count(b"{") > budget:
        return False
    if data.isascii():
        return True
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True
