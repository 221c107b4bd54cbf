"""Validate a batch input and upload it to Cloud Storage, ready for a Gemini batch prediction job."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_batch_gemini.exceptions import GeminiBatchInputError
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook, parse_gs_uri
from airflow_batch_gemini.validation import build_validator, limit_problems, scan_lines

if TYPE_CHECKING:
    from airflow.sdk import Context

ON_INVALID_CHOICES = ("fail", "skip")


def request_line(item: Any) -> bytes:
    """Serialize one request given as a dict into an input line (compact JSON and ``\\n``).

    A dict with a ``request`` key is taken as a whole line (with its extra keys, e.g. ``key``); any
    other dict is a bare request and is wrapped as ``{"request": item}``.

    :raises GeminiBatchInputError: if the value holds something JSON cannot represent.
    """
    line = item if isinstance(item, Mapping) and "request" in item else {"request": item}
    try:
        text = json.dumps(line, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise GeminiBatchInputError("source", [f"a request holds a value JSON cannot represent: {err}"]) from None
    return text.encode("utf-8") + b"\n"


class GeminiBatchPrepareInputOperator(BaseOperator):
    """Validate batch requests and upload them as one JSON Lines file to Cloud Storage.

    Every line is checked against the request schema (``{"request": {GenerateContentRequest}}``) and
    the service's limits before anything is sent. The upload writes only to an absent object; an
    object already holding exactly this input is re-used (so a retry is harmless), and one holding
    other content is left alone with an error unless ``overwrite`` is set.

    Returns (XCom) ``{"input_uris": [uri], "input_uri": uri, "row_count": n, "reused": bool,
    "skipped_count": k}``.

    :param source: the requests: a local file path, a ``gs://`` object, or a list of dicts (e.g. a
        task's ``.output``). A dict is either a whole line (with ``request`` and extra keys such as
        ``key``) or a bare request, which is wrapped as ``{"request": ...}``. (templated)
    :param destination_uri: where to upload, ``gs://bucket/path.jsonl``. (templated)
    :param on_invalid: ``"fail"`` (default) raises :class:`GeminiBatchInputError` listing the first
        problems and uploads nothing; ``"skip"`` uploads only the valid lines and logs the others.
    :param max_problems: how many problems to list in the error and the log. (templated)
    :param extra_schema: a JSON Schema (draft 2020-12) every line must satisfy too, on top of the
        packaged one, e.g. ``{"required": ["key"]}``.
    :param overwrite: replace a destination object that holds other content (it is replaced only
        if it did not change since it was looked at).
    :param local_base_dir: if set, a local ``source`` must lie inside this folder (after ``..`` and
        symbolic links are resolved), and a relative one is taken from it: a templated path such as
        ``{{ params.path }}`` cannot then reach other files of the worker. Not templated.
    :param gcp_conn_id: the Airflow connection to Google Cloud. (templated)
    :param impersonation_chain: a service account, or a chain of them, to impersonate. (templated)
    """

    template_fields: Sequence[str] = (
        "source",
        "destination_uri",
        "max_problems",
        "gcp_conn_id",
        "impersonation_chain",
    )
    template_fields_renderers = {"source": "json"}
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        source: str | os.PathLike[str] | Sequence[Mapping[str, Any]],
        destination_uri: str,
        on_invalid: str = "fail",
        max_problems: int = 20,
        extra_schema: Mapping[str, Any] | None = None,
        overwrite: bool = False,
        local_base_dir: str | os.PathLike[str] | None = None,
        gcp_conn_id: str = "google_cloud_default",
        impersonation_chain: str | Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if on_invalid not in ON_INVALID_CHOICES:
            raise ValueError(f"on_invalid must be one of {ON_INVALID_CHOICES}, not {on_invalid!r}")
        self.source = source
        self.destination_uri = destination_uri
        self.on_invalid = on_invalid
        self.max_problems = max_problems
        self.extra_schema = extra_schema
        self.overwrite = overwrite
        self.local_base_dir = local_base_dir
        self.gcp_conn_id = gcp_conn_id
        self.impersonation_chain = impersonation_chain

    @property
    def source_label(self) -> str:
        """The source as messages name it."""
        if isinstance(self.source, (str, os.PathLike)):
            return os.fspath(self.source)
        return f"{len(self.source)} request dict(s)"

    def _check_source(self) -> None:
        """Refuse a source of the wrong kind with advice, before anything is read."""
        if isinstance(self.source, Mapping) or not isinstance(self.source, (str, os.PathLike, Sequence)):
            raise TypeError(
                f"source must be a path, a gs:// URI or a list of request dicts, not {type(self.source).__name__}"
            )
        if isinstance(self.source, str) and self.source.lstrip()[:1] in ("[", "{"):
            raise TypeError(
                "source looks like requests rendered as text, not a path: pass the upstream task's .output "
                "(an XComArg) instead of an xcom_pull template, or set render_template_as_native_obj=True "
                "on the DAG"
            )

    def _local_path(self) -> Path | None:
        """Return the local file to read (``None`` for other sources), kept inside ``local_base_dir``.

        :raises PermissionError: the path leads outside ``local_base_dir``.
        """
        if not isinstance(self.source, (str, os.PathLike)) or os.fspath(self.source).startswith("gs://"):
            return None
        if self.local_base_dir is None:
            return Path(self.source)
        base = Path(self.local_base_dir).resolve()
        path = (base / self.source).resolve()
        if not path.is_relative_to(base):
            raise PermissionError(
                f"source {os.fspath(self.source)!r} leads outside local_base_dir {os.fspath(base)!r}; "
                "give a path inside that folder"
            )
        return path

    def _lines(self, hook: GeminiBatchStorageHook, generation: int | None, local: Path | None) -> Iterator[bytes]:
        """Yield the input lines as bytes: read from the file or the object, or serialized from dicts."""
        if local is not None:
            with local.open("rb") as handle:
                yield from handle
        elif isinstance(self.source, (str, os.PathLike)):
            yield from hook.read_lines(os.fspath(self.source), generation=generation)
        else:
            yield from (request_line(item) for item in self.source)

    def _source_generation(self, hook: GeminiBatchStorageHook) -> int | None:
        """Pin a ``gs://`` source's generation so both passes read the same bytes."""
        if not (isinstance(self.source, str) and self.source.startswith("gs://")):
            return None
        stored = hook.stat(self.source)
        if stored is None:
            raise FileNotFoundError(f"the source {self.source} does not exist")
        return stored.generation

    def execute(self, context: Context) -> dict[str, Any]:
        parse_gs_uri(self.destination_uri)
        self._check_source()
        local = self._local_path()
        hook = GeminiBatchStorageHook(gcp_conn_id=self.gcp_conn_id, impersonation_chain=self.impersonation_chain)
        generation = self._source_generation(hook)
        scan = scan_lines(
            self._lines(hook, generation, local), build_validator(self.extra_schema), int(self.max_problems)
        )
        shown = [str(problem) for problem in scan.problems]
        # in "fail" mode the invalid lines count towards the limits: fixing them must not break one
        counted = scan.row_count + (len(scan.invalid_lines) if self.on_invalid == "fail" else 0)
        whole_file = limit_problems(counted, scan.digest.size)
        if whole_file or (scan.problem_count and self.on_invalid == "fail"):
            raise GeminiBatchInputError(self.source_label, whole_file + shown, scan.problem_count + len(whole_file))
        if scan.problem_count:
            self.log.warning(
                "Skipping %d invalid line(s) of %s (%d problem(s)); the first:\n  %s",
                len(scan.invalid_lines), self.source_label, scan.problem_count, "\n  ".join(shown),
            )
        for warning in scan.columns.warnings():
            self.log.warning("%s: %s", self.source_label, warning)
        valid = (
            raw for number, raw in enumerate(self._lines(hook, generation, local), start=1)
            if number not in scan.invalid_lines
        )
        result = hook.upload_lines(self.destination_uri, valid, scan.digest, overwrite=self.overwrite)
        return {
            "input_uris": [result.uri],
            "input_uri": result.uri,
            "row_count": scan.row_count,
            "reused": result.reused,
            "skipped_count": len(scan.invalid_lines),
        }
