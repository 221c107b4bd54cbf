"""What the discovery documents state in words, as constraints. Pure.

Generic readers take, from every field's description:

- ``Required.`` at its start: the field must be present and not ``null`` (a list: not empty);
- a stated range (``The valid range is (0.0, 2.0].``, ``Valid values can range from [-2.0, 2.0].``,
  ``It must be in the range [-90.0, +90.0].``, ``The maximumm allowed value is 10.``);
- a stated mutual exclusion (``This field is mutually exclusive with `x`.``, ``If supplied, x must
  not be supplied.``, ``When this field is set, x must be omitted``).

:data:`QUOTED` holds the statements a generic reader cannot take, each with the words it rests on;
the generator fails when the description no longer says them, so a change of Google's text is seen.
:data:`ONE_OFS` holds the oneofs the documents name without listing their members.
:data:`OVERRIDES` holds where the service is known to accept more than a statement says, and why.
:data:`UNDOCUMENTED` holds limits Google does not document: they warn, they do not refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_batch_gemini.fieldnames import camel_case

_NUMBER = r"[-+]?[0-9]+(?:\.[0-9]+)?"
_RANGES = (
    re.compile(rf"(?:range is|range from|in the range)\s*([\[(])\s*({_NUMBER})\s*,\s*({_NUMBER})\s*([\])])"),
)
_MAXIMUM = re.compile(r"The maximumm? allowed value is ([0-9]+)\.")
_NAME = r"`?([a-z][a-z0-9_]*[a-zA-Z0-9]*)`?"
_EXCLUSIONS = (
    re.compile(rf"mutually exclusive with {_NAME}"),
    re.compile(rf"If supplied, {_NAME} must not be supplied"),
    re.compile(rf"When this field is set, {_NAME} must be omitted"),
)


def is_required(description: str) -> bool:
    """Whether a field's description starts by saying it is required."""
    return description.startswith("Required.")


def stated_range(description: str) -> dict[str, float | int]:
    """The JSON Schema bounds a description states (``{}`` when it states none)."""
    for pattern in _RANGES:
        found = pattern.search(description)
        if found:
            opening, low, high, closing = found.groups()
            return {
                "exclusiveMinimum" if opening == "(" else "minimum": _number(low),
                "exclusiveMaximum" if closing == ")" else "maximum": _number(high),
            }
    found = _MAXIMUM.search(description)
    return {"maximum": int(found.group(1))} if found else {}


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


def stated_exclusions(description: str, siblings: Mapping[str, Any]) -> list[str]:
    """The sibling fields (lowerCamel) a description says cannot be set together with its field."""
    found = []
    for pattern in _EXCLUSIONS:
        for match in pattern.finditer(description):
            name = camel_case(match.group(1))
            if name not in siblings:
                raise ValueError(f"the description names {match.group(1)!r}, which is not a sibling field")
            found.append(name)
    return found


_MIME_TYPE = {
    "pattern": "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$(?!\\n)",
    "description": "a MIME type like image/png",
}


@dataclass(frozen=True)
class Quoted:
    """A constraint on one field, resting on words of its description.

    :param message: the message name (short).
    :param field: the field (lowerCamel).
    :param words: the words of the description it rests on (must still be there).
    :param schema: JSON Schema keywords the field's schema gets.
    :param requires: ``{field: value}``: when this field is set, a sibling must hold this value.
    """

    message: str
    field: str
    words: str
    schema: Mapping[str, Any] | None = None
    requires: Mapping[str, str] | None = None


QUOTED = (
    Quoted("FunctionDeclaration", "name",
           "Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, "
           "colons and dashes, with a maximum length of 128.",
           schema={"pattern": "^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$(?!\\n)",
                   "description": "a function name: a letter or _ first, then letters, digits, _ . : -, "
                                  "at most 128 characters"}),
    Quoted("FunctionDeclaration", "parameters",
           "Parameter names must start with a letter or an underscore and must only contain chars a-z, A-Z, 0-9, "
           "or underscores with a maximum length of 64.",
           # the names are the keys of the parameters' own `properties` (a Schema field named properties)
           schema={"properties": {"properties": {"propertyNames": {
               "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$(?!\\n)",
               "description": "a parameter name: a letter or _ first, then letters, digits and _, at most 64"}}}}),
    Quoted("Content", "role", "Must be either 'user' or 'model'.", schema={"enum": ["user", "model", None]}),
    *(Quoted(message, "mimeType", "The IANA standard MIME type", schema=_MIME_TYPE)
      for message in ("Blob", "FileData", "FunctionResponseBlob", "FunctionResponseFileData")),
    Quoted("MultiSpeakerVoiceConfig", "speakerVoiceConfigs",
           "Exactly two speaker voice configurations must be provided.", schema={"minItems": 2, "maxItems": 2}),
    Quoted("GenerateContentRequest", "labels",
           "Label keys and values can be no longer than 63 characters (Unicode codepoints) and can only contain "
           "lowercase letters, numeric characters, underscores, and dashes. International characters are allowed. "
           "Label values are optional. Label keys must start with a letter.",
           schema={
               "propertyNames": {
                   "maxLength": 63, "pattern": "^[a-z\u00c0-\uffff][a-z0-9_\u00c0-\uffff-]*$(?!\\n)",
                   "description": "a label key: a lowercase letter first, then lowercase letters, digits, _ and -"},
               "additionalProperties": {
                   "type": "string", "maxLength": 63, "pattern": "^[a-z0-9_\u00c0-\uffff-]*$(?!\\n)",
                   "description": "a label value: lowercase letters, digits, _ and -"},
           }),
    Quoted("GenerationConfig", "responseSchema",
           "When this field is set, you must also set the `response_mime_type` to `application/json`.",
           requires={"responseMimeType": "application/json"}),
    Quoted("GenerationConfig", "responseJsonSchema",
           "response_mime_type must be set to `application/json`.",
           requires={"responseMimeType": "application/json"}),
)

#: Oneofs the documents name without listing them: message -> (the words, the members in lowerCamel).
ONE_OFS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Part": (
        "A `Part` must contain one of the accepted types in `Part.data`.",
        # the members of the oneof `data` of google.cloud.aiplatform.v1.Part (content.proto)
        ("text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode",
         "codeExecutionResult"),
    ),
}


@dataclass(frozen=True)
class Override:
    """Where the service accepts more than a statement says.

    :param message: the message name.
    :param field: the field.
    :param words: the statement overridden (must still be there).
    :param schema: the bounds used instead.
    :param why: the evidence.
    """

    message: str
    field: str
    words: str
    schema: Mapping[str, Any]
    why: str


OVERRIDES = (
    Override("GenerationConfig", "temperature", "The valid range is (0.0, 2.0].", {"minimum": 0, "maximum": 2},
             "Google's model pages give the range as 0.0-2.0 and recommend temperature 0 for deterministic "
             "tasks; the service accepts 0, so refusing it would be a false refusal."),
)


@dataclass(frozen=True)
class Undocumented:
    """A limit the service is reported to enforce but Google does not document: a warning.

    :param message: the message name.
    :param field: the field.
    :param schema: the limit.
    :param note: the warning's words.
    """

    message: str
    field: str
    schema: Mapping[str, Any]
    note: str


UNDOCUMENTED = (
    Undocumented("GenerationConfig", "stopSequences", {"maxItems": 5},
                 "has more than 5 stop sequences; Google's discovery document states no limit, but the model "
                 "endpoints have refused more than 5"),
    Undocumented("GenerationConfig", "candidateCount", {"minimum": 1, "maximum": 8},
                 "is outside 1-8; the document states no range, but the models refuse other counts"),
    Undocumented("GenerationConfig", "logprobs", {"minimum": 0, "maximum": 20},
                 "is outside 0-20; the document states no range, but the models refuse larger values"),
    Undocumented("GenerationConfig", "topP", {"minimum": 0, "maximum": 1},
                 "is outside 0-1; the document states no range, but top-p is a cumulative probability"),
    Undocumented("GenerationConfig", "topK", {"minimum": 1},
                 "is below 1; the document states no range, but a top-k below 1 selects no token"),
    Undocumented("GenerationConfig", "maxOutputTokens", {"minimum": 1},
                 "is below 1; the document states no range, but the models refuse it"),
)


def check_words(description: str, words: str, where: str) -> None:
    """Fail when a description no longer says ``words`` (Google changed the text: look again)."""
    if words not in description:
        raise ValueError(f"{where}: the description no longer says {words!r}; review this statement")
