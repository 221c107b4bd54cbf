"""The prepare operator's arguments, checked when the DAG file is parsed: a value that cannot work is an import
error of the DAG, shown in the UI, instead of a failure of every run."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from airflow.sdk import XComArg
from jsonschema import Draft202012Validator

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError
from airflow_batch_gemini.input.destinations import rejects_uri_for
from airflow_batch_gemini.input.refusal import ON_INVALID_CHOICES
from airflow_batch_gemini.input.rejects import check_rejects_content
from airflow_batch_gemini.input.row_keys import check_row_key_field
from airflow_batch_gemini.input.sharding import MAX_INPUT_BYTES, MAX_REQUESTS_PER_JOB
from airflow_batch_gemini.uris import parse_gs_uri

#: The arguments that must be True or False (a string such as "false" would count as set).
FLAG_ARGUMENTS = ("allow_unknown_fields", "repair_empty_tools", "add_row_keys", "overwrite")
#: The limits of one file: at least 1, at most the service's limit of one job.
FILE_LIMITS = (
    ("max_rows_per_file", MAX_REQUESTS_PER_JOB, "requests"),
    ("max_bytes_per_file", MAX_INPUT_BYTES, "bytes"),
    ("max_line_bytes", MAX_INPUT_BYTES, "bytes"),
)


def check_arguments(operator: Any) -> None:
    """Refuse the prepare operator's arguments that cannot work: those that are not templated, and a
    ``max_problems`` given as a number (a template is checked when it is rendered).

    :raises ValueError: a value out of its range (``on_invalid``, ``max_rejected_ratio`` in [0, 1], the
        limits of a file within 1 and the service's, ``max_problems`` of 1 or more, ``row_key_field``,
        ``rejects_content``, ``extra_schema`` not a valid JSON Schema).
    :raises TypeError: a value of the wrong type (a flag that is not ``True``/``False``, a number given as a
        string, ``extra_schema`` not a dict).
    """
    if operator.on_invalid not in ON_INVALID_CHOICES:
        raise ValueError(f"on_invalid must be one of {ON_INVALID_CHOICES}, not {operator.on_invalid!r}")
    ratio = operator.max_rejected_ratio
    if ratio is not None and (not _is_number(ratio) or not 0 <= ratio <= 1):
        raise ValueError(f"max_rejected_ratio must be between 0 and 1, or None, not {ratio!r}")
    check_row_key_field(operator.row_key_field)
    check_rejects_content(operator.rejects_content)
    for name, limit, unit in FILE_LIMITS:
        value = getattr(operator, name)
        if not _is_whole(value) or not 1 <= value <= limit:
            raise ValueError(
                f"{name} must be a whole number from 1 to {limit:,} (within the service's limits of one job: "
                f"{limit:,} {unit}), not {value!r}"
            )
    problems = operator.max_problems
    if not isinstance(problems, str) and (not _is_whole(problems) or problems < 1):
        raise ValueError(f"max_problems must be a whole number of 1 or more, not {problems!r}")
    for name in FLAG_ARGUMENTS:
        if not isinstance(getattr(operator, name), bool):
            raise TypeError(f"{name} must be True or False, not {getattr(operator, name)!r}")
    _check_extra_schema(operator.extra_schema)


def check_source_kind(source: object) -> None:
    """Refuse a rendered ``source`` of the wrong kind with advice, before anything is read.

    :raises TypeError: neither a path, a ``gs://`` URI nor a list of request dicts; or requests rendered as text.
    """
    if isinstance(source, Mapping) or not isinstance(source, (str, os.PathLike, Sequence)):
        raise TypeError(f"source must be a path, a gs:// URI or a list of request dicts, not {type(source).__name__}")
    if isinstance(source, str) and source.lstrip()[:1] in ("[", "{"):
        raise TypeError(
            "source looks like requests rendered as text, not a path: pass the upstream task's .output "
            "(an XComArg) instead of an xcom_pull template, or set render_template_as_native_obj=True on the DAG"
        )


def rendered_rejects_uri(destination_uri: str, rejects_uri: str | None) -> str:
    """The rejects file's URI (by default beside the destination), the destination and it checked once rendered.

    :raises GeminiBatchConfigurationError: one is not a ``gs://`` URI (a retry would not change that).
    """
    rejects = rejects_uri or rejects_uri_for(destination_uri)
    for name, uri in (("destination_uri", destination_uri), ("rejects_uri", rejects)):
        try:
            parse_gs_uri(uri)
        except (ValueError, TypeError) as err:
            raise GeminiBatchConfigurationError(f"{name}: {err}") from None
    return rejects


def is_literal_source(source: object) -> bool:
    """Whether the unrendered ``source`` is the DAG author's own text: no template (``{{``, ``{%``), no XCom
    (an ``XComArg``). (A mapped task's ``source`` is judged by :func:`source_was_expanded` too.)"""
    return not (isinstance(source, XComArg) or (isinstance(source, str) and ("{{" in source or "{%" in source)))


def source_was_expanded(operator: Any) -> bool:
    """Whether ``operator`` is a task of a mapped one whose ``source`` came from ``expand`` (its values may come
    from an XCom): ``expand(source=...)``, or ``expand_kwargs``, which may set any argument. A ``source`` given
    to ``partial`` is the DAG author's own."""
    if not getattr(operator, "_BaseOperator__from_mapped", False):
        return False
    mapped = operator.dag.task_dict.get(operator.task_id) if operator.has_dag() else None
    expanded = getattr(getattr(mapped, "expand_input", None), "value", None)
    return not isinstance(expanded, Mapping) or "source" in expanded


def _check_extra_schema(schema: object) -> None:
    if schema is None:
        return
    if not isinstance(schema, Mapping):
        raise TypeError(f"extra_schema must be a JSON Schema (a dict), not {type(schema).__name__}")
    try:
        Draft202012Validator.check_schema(schema)
    except Exception as err:
        raise ValueError(f"extra_schema is not a valid JSON Schema (draft 2020-12): {err}") from err


def _is_number(value: object) -> bool:
    """Whether ``value`` is a number (``True`` and ``False`` are not, though Python counts them as ints)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_whole(value: object) -> bool:
    """Whether ``value`` is an ``int`` (not a ``bool``)."""
    return isinstance(value, int) and not isinstance(value, bool)
