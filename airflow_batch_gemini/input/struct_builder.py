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

Empty objects fail the importer: a message whose fields are all optional refuses ``{}`` in its
``__post_init__``, a map needs an entry, and free-form JSON is searched for ``{}``. The caller checks
the UTF-8 of the lines a Struct with :class:`msgspec.Raw` values took (msgspec does not).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from airflow_batch_gemini.fieldnames import snake_case
from airflow_batch_gemini.input.importer_rules import MAX_OBJECT_DEPTH
from airflow_batch_gemini.input.struct_checks import (
    ANY_JSON,
    BASE64,
    BASE64_PATTERN,
    JSON_OBJECT,
    RepeatedPart,
    free_form_fits,
    is_base64,
    post_init_source,
)
from airflow_batch_gemini.input.struct_types import (
    BOUNDS,
    FIELD_KEYWORDS,
    REF,
    PatternText,
    Untranslatable,
    checked_in_python,
    chosen_type,
    constrained,
    family_names,
    flatten,
    meta,
    plain,
    py_name,
    set_field,
    string_type,
    unguarded,
)

__all__ = ["StructBuilder", "Untranslatable"]


class StructBuilder:
    """The Structs of one spelling of a generated request schema.

    :param schema: the schema (its notes variant, for Structs that describe lines drawing no note).
    :param snake: the snake_case spelling (else lowerCamel).
    :param only: ``{message: member}``: that message keeps only this member of its oneof (a text-only
        ``Part``: no check in Python).
    :param omit: ``{message: fields}`` (lowerCamel): these fields of that message are not declared (a
        variant for the common shape leaves out what would need checks in Python).
    :param repeated: ``{message: fields}`` (lowerCamel): these fields of that message tend to repeat
        across lines (the tools, the generation config): each is kept as :class:`msgspec.Raw` and
        decoded once per distinct bytes (:class:`~airflow_batch_gemini.input.struct_checks.RepeatedPart`).
    """

    def __init__(self, schema: Mapping[str, Any], *, snake: bool, only: Mapping[str, str] | None = None,
                 omit: Mapping[str, frozenset[str]] | None = None,
                 repeated: Mapping[str, frozenset[str]] | None = None) -> None:
        self.defs: Mapping[str, Mapping[str, Any]] = schema["$defs"]
        self.snake = snake
        self.only = dict(only or {})
        self.omit = dict(omit or {})
        self.repeated = dict(repeated or {})
        self._built: dict[tuple[str, int, str], Any] = {}
        #: ``(message, field)`` -> why the field is not declared; ``(message, "")``: the whole message.
        self.left_out: dict[tuple[str, str], str] = {}
        #: The messages made into a Struct at some depth.
        self.built_messages: set[str] = set()

    def field(self, schema: Mapping[str, Any], depth: int, *, checks: bool = False) -> Any:
        """The type of a field of ``schema`` in an object at ``depth``: a Struct, a constrained scalar,
        a list or dict of them, or :data:`ANY_JSON` / :data:`JSON_OBJECT` (kept as :class:`msgspec.Raw`);
        with ``checks`` (a field of a message), a :class:`PatternText` for a string with a pattern."""
        flat = flatten(schema)
        if not flat:
            return ANY_JSON
        if flat.get("not") == {}:
            raise Untranslatable("any value draws a note (a field only v1beta1 knows)")
        if "not" in flat or set(flat) - FIELD_KEYWORDS:
            raise Untranslatable(f"keywords {sorted(set(flat) - FIELD_KEYWORDS)}")
        kind = chosen_type(flat)
        if kind == "string":
            if checks and "pattern" in flat and set(flat) <= {"type", "pattern", "minLength", "maxLength"}:
                lengths = meta(flat, {"minLength": "min_length", "maxLength": "max_length"})
                return PatternText(constrained(str, lengths), flat["pattern"], string_type(flat))
            return string_type(flat)
        if "enum" in flat:
            raise Untranslatable("an enum of non-strings")
        if kind in ("integer", "number"):
            return constrained(int if kind == "integer" else float, meta(flat, dict(BOUNDS)))
        if kind == "boolean":
            return bool
        if kind == "array":
            if "items" not in flat:
                raise Untranslatable("an array of anything")
            items = self.field(flat["items"], depth)
            if checked_in_python(items):
                raise Untranslatable("an array of values checked in Python")
            return constrained(list[items], meta(flat, {"minItems": "min_length", "maxItems": "max_length"}))  # type: ignore[valid-type]
        if kind != "object":
            raise Untranslatable(f"type {kind}")
        if depth + 1 > MAX_OBJECT_DEPTH:
            raise Untranslatable(f"at the deepest level only: an object deeper than {MAX_OBJECT_DEPTH} draws a note")
        if "$ref" in flat:
            match = REF.fullmatch(flat["$ref"])
            if match is None or set(flat) - {"type", "$ref", "properties"}:
                raise Untranslatable("a $ref beside other keywords")
            return self.message(match.group(1), depth + 1, flat.get("properties"))
        values = flat.get("additionalProperties", {})
        if values == {} and set(flat) <= {"type", "additionalProperties"}:
            return JSON_OBJECT
        if values in ({}, False) or set(flat) - {"type", "additionalProperties", "propertyNames"}:
            raise Untranslatable("an object of this shape")
        value_type = self.field(values, depth + 1)
        if checked_in_python(value_type):
            raise Untranslatable("a map of values checked in Python")
        names = flatten(flat.get("propertyNames", {}))
        if set(names) - {"pattern", "minLength", "maxLength"}:
            raise Untranslatable("property names of this kind")
        # an empty map is an empty object, which fails the importer
        return Annotated[dict[string_type(names), value_type], Meta(min_length=1)]  # type: ignore[misc]

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
        self.checked: dict[str, str] = {}  # JSON name -> a kind of post_init_source

    def _camel(self, json_name: str) -> str:
        return self.names[json_name]

    def build(self) -> Any:
        definition, builder = self.definition, self.builder
        if set(plain(definition)) - {"properties", "additionalProperties", "required", "allOf", "dependentSchemas"}:
            raise Untranslatable("message keywords it cannot express")
        kept = builder.only.get(self.name)
        omitted = builder.omit.get(self.name, frozenset())
        members = self._at_least_one()
        for json_name, camel in self.names.items():
            if (kept is not None and camel != kept and any(camel in group for group in members)) or camel in omitted:
                continue  # the other members of the oneof restricted to one, or a field the variant omits
            schema = definition["properties"][json_name]
            if json_name in self.extra:
                schema = {"allOf": [schema, self.extra[json_name]]}
            try:
                self.fields[json_name] = builder.field(schema, self.depth, checks=True)
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
            rule = plain(rule)
            if set(rule) != {"anyOf"}:
                raise Untranslatable("a message rule other than one of these fields")
            given = {set_field(item) for item in rule["anyOf"]}
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
            rule = plain(rule)
            parts = rule["allOf"] if set(rule) == {"allOf"} else [rule]
            try:
                checks += [self._dependent(trigger, unguarded(part, trigger)) for part in parts]
            except Untranslatable as err:
                del self.fields[trigger]
                self.builder.left_out.setdefault((self.name, self._camel(trigger)), str(err))
        declared = set(self.fields)
        return [check for check in checks if check[1] in declared and check[2]]

    def _dependent(self, trigger: str, part: dict[str, Any]) -> tuple[str, str, Any]:
        if set(part) == {"not"}:
            denied = plain(part["not"])
            alternatives = denied["anyOf"] if set(denied) == {"anyOf"} else [denied]
            others = {set_field(item) for item in alternatives}
            return ("excludes", trigger, sorted(others & set(self.fields)))
        if set(part) == {"anyOf"}:
            for item in part["anyOf"]:
                item = plain(item)
                name = item.get("required", [None])[0]
                if name in self.fields and set(item) == {"required", "properties"} and \
                        set(item["properties"]) == {name} and set(item["properties"][name]) == {"const"}:
                    return ("requires", trigger, (name, item["properties"][name]["const"]))
            raise Untranslatable("requires a field that is not declared")
        raise Untranslatable("a dependent rule of this kind")

    def _struct(self, required: set[str], groups: list[list[str]], checks: list[tuple[str, str, Any]]) -> Any:
        py = {json_name: py_name(json_name) for json_name in self.fields}
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        repeated_fields = self.builder.repeated.get(self.name, frozenset())
        parts: dict[str, RepeatedPart] = {}
        patterns: dict[str, Any] = {}
        # patterns move into a __post_init__ the Struct has anyway, or when one is surely given or there
        # are several (a call of the pattern's search costs a third of msgspec's check); else msgspec
        # checks them, only when given
        pattern_fields = [name for name, kind in self.fields.items() if isinstance(kind, PatternText)]
        may_be_empty = not required and not groups  # {} fails the importer: __post_init__ refuses it
        has_post_init = bool(may_be_empty or groups or checks or repeated_fields & set(map(self._camel, self.fields)))
        python_patterns = has_post_init or any(kind in (ANY_JSON, JSON_OBJECT) for kind in self.fields.values()) or \
            len(pattern_fields) > 1 or any(self._camel(name) in required for name in pattern_fields)
        for json_name, kind in self.fields.items():
            annotation = kind
            if isinstance(kind, PatternText) and not python_patterns:
                annotation = kind.regex_annotation
            elif isinstance(kind, PatternText):
                annotation = kind.annotation
                self.checked[json_name] = BASE64 if kind.pattern == BASE64_PATTERN else "pattern"
                patterns[json_name] = re.compile(kind.pattern).search
            elif kind in (ANY_JSON, JSON_OBJECT):
                annotation, self.checked[json_name] = msgspec.Raw, kind
            elif self._camel(json_name) in repeated_fields:
                self.checked[json_name] = "repeated"
                parts[json_name] = RepeatedPart(msgspec.json.Decoder(kind))
                annotation = msgspec.Raw
            if self._camel(json_name) in required:
                fields.append((py[json_name], annotation))
            else:
                fields.append((py[json_name], annotation | UnsetType, UNSET))
        source = post_init_source(py, [[self._json(camel) for camel in group] for group in groups], checks,
                                  self.checked, MAX_OBJECT_DEPTH - self.depth, not_empty=may_be_empty)
        namespace: dict[str, Any] = {}
        if source:
            scope = {"UNSET": UNSET, "fits": free_form_fits, "is_base64": is_base64, "REPEATED": parts,
                     "PATTERNS": patterns}
            exec(source, scope, namespace)  # generated from field names that are identifiers
        rename = {py[json_name]: json_name for json_name in self.fields}
        return msgspec.defstruct(f"{self.name}_{'snake' if self.builder.snake else 'camel'}_{self.depth}", fields,
                                 kw_only=True, forbid_unknown_fields=True, rename=rename, gc=False,
                                 namespace=namespace)
