"""The batch importer's own rules within one line, a rule set apart from Google's request schema: pure
functions, no I/O.

Before a batch job runs, the service loads its whole input into a table and fails the **whole job**
(code 3, after it queued) for a line that breaks one of these rules; Google's discovery documents
cannot say them. Each rule, what it rests on, and whether it is an error (a problem) or a warning (a
note). A rule Google does not document warns, unless a job is known to fail for it:

- **Top-level keys are column names** (:func:`is_column_name`), an error: every top-level key becomes
  a column, so it must be letters, digits and ``_``, not start with a digit, and be at most 300
  characters long. Rests on BigQuery's documented column-name rules (cloud.google.com/bigquery/docs/schemas,
  "Column names") and the service's description of the input table (top-level keys other than
  ``request`` are passed through as columns).
- **No empty object anywhere** (``"googleSearch": {}``), an error: Google documents no such rule, but
  users report the job failing for it (googleapis/python-genai#2123: batch refuses ``{"url_context": {}}``,
  which online prediction accepts). It bites on tools with no field or only optional ones;
  :data:`EMPTY_TOOLS` says per tool what works in batch, and
  :mod:`~airflow_batch_gemini.input.repairs` rewrites the known workarounds.
- **Objects nest at most** :data:`MAX_OBJECT_DEPTH` **levels** (arrays add none), a warning: BigQuery's
  limit of 15 levels of nested records; Google's batch prediction documentation does not state it,
  so it is a note (:func:`importer_notes`).
- **A top-level key keeps its JSON type across lines**, an error: rests on job failures (code 3)
  observed for inconsistent types; it needs every line, so :class:`~airflow_batch_gemini.input.columns.TopLevelColumns`
  checks it.

Every message says what to do, then names the evidence: ``(the batch importer fails the whole job for
this: <evidence>)``. :func:`importer_problems` names every broken rule of a parsed line (the reference);
:func:`importer_accepts` answers the same question from the raw bytes first (the fast path);
:func:`importer_notes` names the undocumented ones, which warn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from airflow_batch_gemini.fieldnames import snake_case
from airflow_batch_gemini.input.problems import LineProblem, json_pointer

#: The importer's limits: objects nested deeper fail the job, and top-level keys become columns.
MAX_OBJECT_DEPTH = 15
_COLUMN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,299}")

#: What every message of a broken importer rule says, before the evidence.
IMPORTER_REJECTS = "the batch importer fails the whole job for this"

#: The evidence of each rule, as its messages cite it.
COLUMN_NAME_EVIDENCE = "BigQuery's column-name rules"
EMPTY_OBJECT_EVIDENCE = "googleapis/python-genai#2123"
COLUMN_TYPE_EVIDENCE = "job failures with code 3 seen"


def importer_rejects(evidence: str) -> str:
    """The parenthesis that ends the message of a broken importer rule: what happens, and its evidence."""
    return f"({IMPORTER_REJECTS}: {evidence})"


@dataclass(frozen=True)
class EmptyTool:
    """What works in batch for a kind of tool that an empty object can hold (no field, or only optional ones).

    :param name: the tool's field of ``Tool``, in lowerCamelCase (snake_case is accepted too).
    :param fields: its own fields in Google's discovery documents, lowerCamelCase; none are required.
    :param remedy: what a user can do instead of ``{}``, in a message's words (``{repair}`` stands for
        :meth:`repair_text`).
    :param repair: the JSON object :mod:`~airflow_batch_gemini.input.repairs` writes for ``{}``, field names
        in lowerCamelCase; ``None`` when no workaround is known.
    """

    name: str
    fields: tuple[str, ...]
    remedy: str
    repair: str | None = None

    def repair_text(self, spelled: str) -> str | None:
        """:attr:`repair` with its field names in the spelling of ``spelled`` (the tool's key as given)."""
        if self.repair is None or "_" not in spelled:
            return self.repair
        return re.sub(r'"([A-Za-z]+)"', lambda found: f'"{snake_case(found.group(1))}"', self.repair)


def _give_a_field(fields: tuple[str, ...]) -> str:
    return f"give it one of its fields ({', '.join(fields)}) or leave the tool out"


_NO_WORKAROUND = (
    "{} has no field to give and no workaround is known: batch cannot use it; leave it out or send these "
    "requests online"
)

#: The kinds of tool an empty object can hold, by their field of ``Tool`` in both spellings. The tools
#: with a required field (computerUse, exaAiSearch, functionDeclarations) are not here: the schema names
#: what they need first. ``tests/unit/test_importer_rules.py`` checks this table against the packaged schema.
EMPTY_TOOLS: dict[str, EmptyTool] = {
    spelling: tool
    for tool in (
        # googleapis/python-genai#2123 reports {"timeRangeFilter": null} working; Vertex's discovery documents
        # know no timeRangeFilter (the schema refuses it), so the repair gives a field they know, null as well.
        EmptyTool("googleSearch", ("blockingConfidence", "excludeDomains", "searchTypes"),
                  "write {repair} instead, which asks the same (repair_empty_tools / --repair-empty-tools does it)",
                  repair='{"excludeDomains": null}'),
        EmptyTool("urlContext", (), _NO_WORKAROUND.format("UrlContext")),
        EmptyTool("codeExecution", (), _NO_WORKAROUND.format("ToolCodeExecution")),
        EmptyTool("enterpriseWebSearch", ("blockingConfidence", "excludeDomains"),
                  _give_a_field(("blockingConfidence", "excludeDomains"))),
        EmptyTool("googleMaps", ("enableWidget", "groundingTypes"), _give_a_field(("enableWidget", "groundingTypes"))),
        EmptyTool("googleSearchRetrieval", ("dynamicRetrievalConfig",), _give_a_field(("dynamicRetrievalConfig",))),
        EmptyTool("parallelAiSearch", ("apiKey", "customConfigs", "enableDataRetention", "enableZeroDataRetention"),
                  _give_a_field(("apiKey", "customConfigs", "enableDataRetention", "enableZeroDataRetention"))),
        EmptyTool("retrieval", ("disableAttribution", "externalApi", "vertexAiSearch", "vertexRagStore"),
                  "give it its source (vertexAiSearch, vertexRagStore or externalApi) or leave the tool out"),
    )
    for spelling in (tool.name, snake_case(tool.name))
}

#: The remedy for an empty object that is not a tool.
EMPTY_OBJECT_REMEDY = "leave it out (an empty message means its default) or give it a field"

#: An empty object in a raw line must look like this outside strings; no match means none anywhere.
_EMPTY_OBJECT_BYTES = re.compile(rb"\{[ \t\r\n]*\}")

#: Valid column names seen so far (inputs repeat their keys): a set, so a whole line is checked in C.
_KNOWN_COLUMNS: set[str] = set()
_KNOWN_COLUMNS_MAX = 4096


def is_column_name(key: str) -> bool:
    """Whether a top-level key is a valid column name for the importer."""
    if key in _KNOWN_COLUMNS:
        return True
    if _COLUMN_NAME.fullmatch(key) is None:
        return False
    if len(_KNOWN_COLUMNS) < _KNOWN_COLUMNS_MAX:
        _KNOWN_COLUMNS.add(key)
    return True


def _column_problems(record: dict[str, Any], line: int) -> Iterator[LineProblem]:
    for key in record:
        if not is_column_name(key):
            yield LineProblem(
                line, json_pointer([key]),
                "is not a valid column name; rename it with letters, digits and _, not starting with a digit, "
                f"at most 300 characters {importer_rejects(COLUMN_NAME_EVIDENCE)}",
            )


def _children(value: Any) -> Iterable[tuple[str | int, Any]]:
    if isinstance(value, dict):
        return value.items()
    return enumerate(value) if isinstance(value, list) else ()


def empty_object_paths(value: Any, path: list[str | int]) -> Iterator[list[str | int]]:
    """Yield the path of every empty object in ``value`` (found at ``path``), in document order."""
    if value == {}:
        yield path
    for key, item in _children(value):
        yield from empty_object_paths(item, [*path, key])


def empty_tool_at(path: list[str | int]) -> EmptyTool | None:
    """The :data:`EMPTY_TOOLS` entry of a line's path if it leads to a tool (``/request/tools/N/<tool>``)."""
    if len(path) != 4 or path[:2] != ["request", "tools"] or not isinstance(path[2], int):
        return None
    return EMPTY_TOOLS.get(str(path[3]))


def empty_object_message(path: list[str | int]) -> str:
    """The message of an empty object at ``path`` in a line: the tool's own remedy if it is a tool."""
    tool = empty_tool_at(path)
    if tool is None:
        return f"is an empty object {importer_rejects(EMPTY_OBJECT_EVIDENCE)}; {EMPTY_OBJECT_REMEDY}"
    remedy = tool.remedy.replace("{repair}", tool.repair_text(str(path[3])) or "")
    return f"is an empty {path[3]} tool {importer_rejects(EMPTY_OBJECT_EVIDENCE)}; {remedy}"


def _first_too_deep(value: Any, path: list[str | int], depth: int = 0) -> list[str | int] | None:
    """Return the path of the first object nested deeper than :data:`MAX_OBJECT_DEPTH` (arrays add none)."""
    if isinstance(value, dict):
        depth += 1
        if depth > MAX_OBJECT_DEPTH:
            return path
    for key, item in _children(value):
        found = _first_too_deep(item, [*path, key], depth)
        if found is not None:
            return found
    return None


def importer_problems(record: dict[str, Any], line: int) -> list[LineProblem]:
    """Return what makes the service's importer reject the whole job, within one line.

    The importer loads the input into a table first and fails the job (code 3) for a top-level key
    that is not a valid column name or an empty object anywhere. Types that differ between lines are
    checked by :class:`~airflow_batch_gemini.input.columns.TopLevelColumns`.
    """
    problems = list(_column_problems(record, line))
    problems += [
        LineProblem(line, json_pointer(path), empty_object_message(path)) for path in empty_object_paths(record, [])
    ]
    return problems


def importer_notes(record: dict[str, Any], line: int) -> list[LineProblem]:
    """Return what the importer is thought to reject but Google does not document, within one line:
    objects nested more than :data:`MAX_OBJECT_DEPTH` levels deep."""
    too_deep = _first_too_deep(record, [])
    if too_deep is None:
        return []
    deep = (
        f"nests objects more than {MAX_OBJECT_DEPTH} levels deep; BigQuery, where the importer loads the input, "
        "allows 15 levels of nested records (Google's batch documentation states no limit); if the job fails "
        "at import, nest less (a JSON string holds any depth)"
    )
    return [LineProblem(line, json_pointer(too_deep), deep)]


def importer_notes_possible(raw: bytes) -> bool:
    """Whether :func:`importer_notes` may find something in the line ``raw`` (``False``: surely nothing)."""
    return raw.count(b"{") > MAX_OBJECT_DEPTH


def importer_accepts(raw: bytes, record: dict[str, Any]) -> bool:
    """Whether :func:`importer_problems` finds nothing in ``record``, parsed from ``raw``, cheaply.

    An empty object needs ``{}`` (whitespace allowed) in the raw line: the parsed value is walked only
    when the raw bytes hold one. Braces inside strings can only cause a walk, never a wrong answer.
    """
    if not (record.keys() <= _KNOWN_COLUMNS or all(map(is_column_name, record))):
        return False
    return _EMPTY_OBJECT_BYTES.search(raw) is None or next(empty_object_paths(record, []), None) is None
