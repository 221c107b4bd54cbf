"""Validate a batch input and upload it to Cloud Storage, ready for a Gemini batch prediction job."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_batch_gemini.bounds import DEFAULT_MAX_LINE_BYTES
from airflow_batch_gemini.confinement import allowed_prefixes, check_allowed_uri, confined_local_path
from airflow_batch_gemini.exceptions import GeminiBatchInputError
from airflow_batch_gemini.hooks.background_upload import BackgroundUpload
from airflow_batch_gemini.hooks.owned_objects import OwnedObjects
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook, UploadResult
from airflow_batch_gemini.input.destinations import shard_uri
from airflow_batch_gemini.input.refusal import upload_refusal
from airflow_batch_gemini.input.repairs import EmptyToolRepairs
from airflow_batch_gemini.input.request_lines import request_line_blocks
from airflow_batch_gemini.input.row_keys import DEFAULT_ROW_KEY_FIELD, row_key_transform
from airflow_batch_gemini.input.scanner import InputScan, scan_blocks
from airflow_batch_gemini.input.schema import build_validator
from airflow_batch_gemini.input.sharding import MAX_INPUT_BYTES, MAX_REQUESTS_PER_JOB, shard_lines
from airflow_batch_gemini.lines import OverlongLine, iter_line_blocks, read_line_blocks, stream_lines
from airflow_batch_gemini.manifests import PreparedInput
from airflow_batch_gemini.operators import prepare_arguments as arguments
from airflow_batch_gemini.operators.failures import fails_fast
from airflow_batch_gemini.operators.security_settings import configured_local_base_dir, show_row_values
from airflow_batch_gemini.operators.writer_identity import result_writer
from airflow_batch_gemini.package_files import INPUT_KIND, REJECTS_KIND, package_file_metadata

if TYPE_CHECKING:
    from airflow.sdk import Context

#: The custom metadata of the files a job reads (see package_files).
INPUT_METADATA = package_file_metadata(INPUT_KIND)


class GeminiBatchPrepareInputOperator(BaseOperator):
    """Validate batch requests and upload them as JSON Lines files to Cloud Storage.

    Every line is checked against the request schema (``{"request": {GenerateContentRequest}}``) and
    the batch importer's rules before any object appears; every invalid line goes, with its line number
    and problems, to a rejects file beside the destination. An input beyond the service's limits of
    one job (200,000 requests, 1 GB) is cut into several files, ``requests-00000-of-00003.jsonl``, so
    that one job per file can be mapped over ``input_uris``. The files it writes carry the custom metadata
    of :mod:`airflow_batch_gemini.package_files` (``input``, ``rejects``), so that a rejects file is never
    taken for a job's input. Each upload writes only to an absent
    object; an object already holding exactly that content is re-used (so a retry is harmless), and
    one holding other content is left alone with an error unless ``overwrite`` is set.

    One pass when the destination is absent: the valid lines are streamed to it by a background thread
    while the next ones are validated, and the upload completes only once every line passed (it is
    cancelled otherwise). An existing destination, or an input cut into several files, takes a second
    pass that reads the source again and uploads the planned files.

    Returns (XCom) ``{"input_uris": [uri, ...], "input_uri": first uri, "row_count": n, "row_counts":
    [n per file], "reused": bool (every file), "skipped_count": k, "rejects_uri": uri or None,
    "note_count": warnings on valid lines, "repaired_count": lines repaired}``.

    :param source: the requests: a local file path, a ``gs://`` object, or a list of dicts (e.g. a
        task's ``.output``). A dict is either a whole line (with ``request`` and extra keys such as
        ``key``) or a bare request, which is wrapped as ``{"request": ...}``. (templated)
    :param destination_uri: where to upload, ``gs://bucket/path.jsonl``; several files get
        ``-00000-of-0000N`` after the name's stem. (templated)
    :param on_invalid: ``"fail"`` (default) raises :class:`GeminiBatchInputError` listing the first
        problems and uploads no request; ``"skip"`` uploads only the valid lines. Either way the
        invalid lines are written to ``rejects_uri``.
    :param max_problems: how many problems to list in the error and the log. (templated)
    :param max_rejected_ratio: with ``on_invalid="skip"``, fail as ``"fail"`` does when more than this
        share of the lines (0 to 1) is invalid. ``None``: no bound.
    :param rejects_uri: where the rejected lines go, one JSON object per line: ``line`` (its number),
        ``problems`` (JSON pointer and message of each) and ``error`` (the same as one text), ``size`` (bytes)
        and ``sha256`` (hex, of the line without its line break), and as much of its content as
        ``rejects_content`` says (none by default; see :mod:`airflow_batch_gemini.input.rejects`). Written
        only when a line is rejected, and deleted when no line is (it holds an earlier run's rejects then);
        only a rejects file this task wrote is replaced or deleted (a retry, a re-run after a clear), or one
        of another run with ``overwrite``; any other object there fails the task before anything is read
        (:mod:`airflow_batch_gemini.hooks.owned_objects`).
        Default: in a folder beside the destination, ``rejects/requests.rejects.jsonl`` for
        ``requests.jsonl``, where a ``*`` wildcard over the input's folder does not reach. (templated)
    :param extra_schema: a JSON Schema (draft 2020-12) every line must satisfy too, on top of the
        packaged one, e.g. ``{"required": ["key"]}``.
    :param allow_unknown_fields: accept field names Google's discovery documents do not know. By default
        such a field is refused, naming the closest known one ("did you mean generationConfig?"): a
        misspelled field is otherwise ignored by the service, silently. Set it for a field newer than the
        packaged schema. Not templated.
    :param repair_empty_tools: before validation, rewrite each empty tool that has a known workaround in
        batch (``"googleSearch": {}`` becomes ``"googleSearch": {"excludeDomains": null}``, the same request),
        which the batch importer would otherwise fail the whole job for. The repaired bytes are the ones
        validated, uploaded and digested (a re-run of identical input finds the same files); the log names
        the first repairs and ``repaired_count`` counts the lines. Tools with no known workaround
        (``urlContext``, ``codeExecution``) are still refused. Not templated.
    :param add_row_keys: give every line without a ``row_key_field`` a stable key, ``r`` and its
        8-digit line number in the source (``"r00001204"``), so that output rows can be joined back.
    :param row_key_field: the top-level field of the row key (a valid column name).
    :param max_rows_per_file: at most this many requests per uploaded file (the service's limit).
    :param max_bytes_per_file: at most this many bytes per uploaded file (the service's limit); a line larger
        than that alone is an invalid line (no file over the limit is written).
    :param max_line_bytes: the longest line taken, in bytes, its line break included (default 32 MiB: Google
        documents no limit for one request of a batch input, only the 1 GB of a file). A longer line is an
        invalid line, found while it is read: at most this many bytes of it are held, and its rejects record
        gives its size and SHA-256 instead of its content. Not templated.
    :param overwrite: replace a destination object that holds other content (it is replaced only
        if it did not change since it was looked at), and another run's rejects file at ``rejects_uri``.
    :param local_base_dir: the folder a local ``source`` must lie inside (after ``..`` and symbolic links
        are resolved); a relative one is taken from it, so that a templated path such as
        ``{{ params.path }}`` cannot reach other files of the worker. Default: the deployment's
        ``[gemini_batch] local_base_dir``. With neither set, a local path written as it is in the DAG file
        is read as given, and one that comes from a template, an XCom or ``expand`` is refused. Not templated.
    :param gcp_conn_id: the Airflow connection to Google Cloud. (templated)
    :param impersonation_chain: a service account, or a chain of them, to impersonate. (templated)
    :param rejects_content: how much of a rejected line its record in ``rejects_uri`` holds: ``"hash"``
        (the default: its size and SHA-256 only, so that no row content is copied), ``"excerpt"`` (its first
        200 bytes too) or ``"full"`` (the whole line as written). Not templated.
    :param allowed_source_prefixes: the ``gs://`` buckets or folders a ``gs://`` ``source`` may be read
        from (``["gs://team-a/", "gs://shared/batch/"]``); any other is refused before anything is read.
        ``None`` (the default) allows every bucket the connection can read. A local source is confined by
        ``local_base_dir`` instead. Not templated.
    :param allowed_destination_prefixes: the ``gs://`` buckets or folders ``destination_uri`` and
        ``rejects_uri`` may be in; any other is refused before anything is read or written. ``None`` (the
        default) allows every bucket. Not templated.
    """

    template_fields: Sequence[str] = (
        "source",
        "destination_uri",
        "rejects_uri",
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
        max_rejected_ratio: float | None = None,
        rejects_uri: str | None = None,
        extra_schema: Mapping[str, Any] | None = None,
        allow_unknown_fields: bool = False,
        repair_empty_tools: bool = False,
        add_row_keys: bool = False,
        row_key_field: str = DEFAULT_ROW_KEY_FIELD,
        max_rows_per_file: int = MAX_REQUESTS_PER_JOB,
        max_bytes_per_file: int = MAX_INPUT_BYTES,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        overwrite: bool = False,
        local_base_dir: str | os.PathLike[str] | None = None,
        gcp_conn_id: str = "google_cloud_default",
        impersonation_chain: str | Sequence[str] | None = None,
        rejects_content: str = "hash",
        allowed_source_prefixes: Sequence[str] | None = None,
        allowed_destination_prefixes: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.destination_uri = destination_uri
        self.on_invalid = on_invalid
        self.max_problems = max_problems
        self.max_rejected_ratio = max_rejected_ratio
        self.rejects_uri = rejects_uri
        self.extra_schema = extra_schema
        self.allow_unknown_fields = allow_unknown_fields
        self.repair_empty_tools = repair_empty_tools
        self.add_row_keys = add_row_keys
        self.row_key_field = row_key_field
        self.max_rows_per_file = max_rows_per_file
        self.max_bytes_per_file = max_bytes_per_file
        self.max_line_bytes = max_line_bytes
        self.overwrite = overwrite
        self.local_base_dir = local_base_dir
        self.gcp_conn_id = gcp_conn_id
        self.impersonation_chain = impersonation_chain
        self.rejects_content = rejects_content
        self.allowed_source_prefixes = allowed_prefixes(allowed_source_prefixes)
        self.allowed_destination_prefixes = allowed_prefixes(allowed_destination_prefixes)
        #: ``source`` is the DAG author's own text, no template or XCom (a mapped value: see :meth:`_local_path`)
        self.source_is_literal = arguments.is_literal_source(source)
        arguments.check_arguments(self)

    @property
    def source_label(self) -> str:
        """The source as messages name it."""
        if isinstance(self.source, (str, os.PathLike)):
            return os.fspath(self.source)
        return f"{len(self.source)} request dict(s)"

    def _check_locations(self, rejects_uri: str) -> None:
        """Refuse a ``gs://`` source outside ``allowed_source_prefixes``, and a destination or rejects file
        outside ``allowed_destination_prefixes``, before anything is read or written.

        :raises GeminiBatchAccessRefusedError: naming the parameter, the URI and the allow-list.
        """
        if isinstance(self.source, str) and self.source.startswith("gs://"):
            check_allowed_uri(self.source, self.allowed_source_prefixes, "source")
        check_allowed_uri(self.destination_uri, self.allowed_destination_prefixes, "destination_uri")
        check_allowed_uri(rejects_uri, self.allowed_destination_prefixes, "rejects_uri")

    def _local_path(self) -> Path | None:
        """Return the local file to read (``None`` for other sources), kept inside the base folder: the task's
        ``local_base_dir``, else the deployment's ``[gemini_batch] local_base_dir``.

        :raises GeminiBatchAccessRefusedError: the path leads outside the base folder, or came from a template
            or an XCom while no base folder is set.
        """
        if not isinstance(self.source, (str, os.PathLike)) or os.fspath(self.source).startswith("gs://"):
            return None
        base, setting = ((self.local_base_dir, "local_base_dir") if self.local_base_dir is not None
                         else (configured_local_base_dir(), "[gemini_batch] local_base_dir"))
        literal = self.source_is_literal and not arguments.source_was_expanded(self)
        return confined_local_path(os.fspath(self.source), base, setting, literal)

    def _blocks(
        self, hook: GeminiBatchStorageHook, generation: int | None, local: Path | None
    ) -> Iterator[bytes | OverlongLine]:
        """Yield the input as blocks of whole lines: read from the file or the object chunk by chunk, or
        serialized from dicts; a line longer than ``max_line_bytes`` as an
        :class:`~airflow_batch_gemini.lines.OverlongLine`, never held whole."""
        if local is not None:
            with local.open("rb") as handle:
                yield from read_line_blocks(handle, self.max_line_bytes)
        elif isinstance(self.source, (str, os.PathLike)):
            chunks = hook.read_chunks(os.fspath(self.source), generation=generation)
            yield from iter_line_blocks(chunks, self.max_line_bytes)
        else:
            yield from request_line_blocks(self.source, self.max_line_bytes)

    def _repaired(
        self, blocks: Iterable[bytes | OverlongLine], repairs: EmptyToolRepairs | None = None
    ) -> Iterable[bytes | OverlongLine]:
        """``blocks`` with their empty tools repaired when ``repair_empty_tools`` is set (counted in
        ``repairs``), else unchanged: both passes read the input through it, so they see the same bytes."""
        if not self.repair_empty_tools:
            return blocks
        return (repairs if repairs is not None else EmptyToolRepairs(int(self.max_problems))).blocks(blocks)

    def _source_generation(self, hook: GeminiBatchStorageHook) -> int | None:
        """Pin a ``gs://`` source's generation so that a second pass reads the same bytes."""
        if not (isinstance(self.source, str) and self.source.startswith("gs://")):
            return None
        stored = hook.stat(self.source)
        if stored is None:
            raise FileNotFoundError(f"the source {self.source} does not exist")
        return stored.generation

    def _row_key_field(self) -> str | None:
        return self.row_key_field if self.add_row_keys else None

    def _scan(
        self, blocks: Iterable[bytes | OverlongLine],
        open_rejects: Callable[[], contextlib.AbstractContextManager[IO[bytes]]], upload: BackgroundUpload | None,
    ) -> tuple[InputScan, bool]:
        """Validate every line and plan the files (with their digests); stream the rejected lines to the
        rejects file ``open_rejects`` opens and the valid ones (row keys included) to ``upload``, if given,
        while the input may be uploaded whole.

        The upload is cancelled at the first invalid line with ``on_invalid="fail"`` (nothing of a failing
        input is sent on), and when a second file starts: the files are uploaded after the scan then, by
        :meth:`_upload_files`. Returns the scan and whether a rejects file was written.
        """
        with contextlib.ExitStack() as stack:
            writer: IO[bytes] | None = None

            def reject(record: bytes) -> None:
                nonlocal writer
                if upload is not None and self.on_invalid == "fail":
                    upload.cancel()
                if writer is None:
                    writer = stack.enter_context(open_rejects())
                writer.write(record)

            def rows(index: int, data: bytes) -> None:
                if upload is None or not upload.open:
                    return
                if index == 0:
                    upload.write(data)
                    return
                self.log.info("%s needs more than one file; they are uploaded once it is validated",
                              self.source_label)
                upload.cancel()

            validator = build_validator(
                self.extra_schema, allow_unknown_fields=self.allow_unknown_fields, show_values=show_row_values()
            )
            scan = scan_blocks(
                blocks, validator, int(self.max_problems),
                row_key_field=self._row_key_field(), max_rows_per_file=self.max_rows_per_file,
                max_bytes_per_file=self.max_bytes_per_file, digest=True, on_reject=reject,
                on_rows=rows if upload is not None else None, rejects_content=self.rejects_content,
            )
            return scan, writer is not None

    def _upload_files(
        self, scan: InputScan, hook: GeminiBatchStorageHook, generation: int | None, local: Path | None
    ) -> list[UploadResult]:
        """The second pass: read the input again and upload each planned file, re-used, refused or
        replaced as :meth:`GeminiBatchStorageHook.upload_lines` decides from the digests of the scan."""
        blocks = self._repaired(self._blocks(hook, generation, local))
        numbered = enumerate(stream_lines(blocks), start=1)
        transform = row_key_transform(self._row_key_field())
        return [
            hook.upload_lines(
                shard_uri(self.destination_uri, index, len(scan.shards)),
                shard_lines(numbered, shard, scan.invalid_lines, transform), shard.digest, overwrite=self.overwrite,
                metadata=INPUT_METADATA,
            )
            for index, shard in enumerate(scan.shards)
        ]

    def _log_repairs_and_notes(self, repairs: EmptyToolRepairs, scan: InputScan) -> None:
        """Log how many lines were repaired and the first repairs, then the first notes (warnings on valid
        lines: pointers and messages, as problems are logged, never a line's content)."""
        if repairs.line_count:
            self.log.info(
                "Repaired %d line(s) of %s (%d empty tool(s) rewritten to their known workaround); the first:\n  %s",
                repairs.line_count, self.source_label, repairs.repair_count,
                "\n  ".join(str(repair) for repair in repairs.repairs),
            )
        if scan.note_count:
            self.log.warning(
                "%d note(s) (warnings) on valid lines of %s, which are uploaded; the first:\n  %s",
                scan.note_count, self.source_label, "\n  ".join(str(note) for note in scan.notes),
            )

    @fails_fast
    def execute(self, context: Context) -> PreparedInput:
        """Validate and upload; a permanent error (an invalid input, a conflict at the destination) fails the
        task without its retries (see :mod:`airflow_batch_gemini.operators.failures`)."""
        rejects_uri = arguments.rendered_rejects_uri(self.destination_uri, self.rejects_uri)
        arguments.check_source_kind(self.source)
        self._check_locations(rejects_uri)
        local = self._local_path()
        hook = GeminiBatchStorageHook(gcp_conn_id=self.gcp_conn_id, impersonation_chain=self.impersonation_chain)
        generation = self._source_generation(hook)
        rejects = OwnedObjects(hook, result_writer(context), REJECTS_KIND, overwrite=self.overwrite)
        rejects_generation = rejects.precondition(rejects_uri)
        with contextlib.ExitStack() as stack:
            # one pass when the destination is absent: the upload goes on while the lines are validated
            upload = None
            if hook.stat(self.destination_uri) is None:
                upload = stack.enter_context(hook.background_upload(self.destination_uri, metadata=INPUT_METADATA))
            repairs = EmptyToolRepairs(int(self.max_problems))
            blocks = self._repaired(self._blocks(hook, generation, local), repairs)
            scan, wrote_rejects = self._scan(
                blocks, functools.partial(rejects.open_writer, rejects_uri, rejects_generation), upload
            )
            self._log_repairs_and_notes(repairs, scan)
            shown_rejects = rejects_uri if wrote_rejects else None
            if not wrote_rejects and rejects.delete(rejects_uri, rejects_generation):
                self.log.info("Deleted %s: the rejects of an earlier run, none of which is in this input", rejects_uri)
            refusal, total = upload_refusal(scan, self.on_invalid, self.max_rejected_ratio)
            if refusal:
                raise GeminiBatchInputError(self.source_label, refusal, total, rejects_uri=shown_rejects)
            if scan.problem_count:
                self.log.warning(
                    "Skipping %d invalid line(s) of %s (%d problem(s); all in %s); the first:\n  %s",
                    len(scan.invalid_lines), self.source_label, scan.problem_count, rejects_uri,
                    "\n  ".join(str(problem) for problem in scan.problems),
                )
            for warning in scan.columns.warnings():
                self.log.warning("%s: %s", self.source_label, warning)
            if upload is not None and upload.open:
                results = [upload.commit(scan.shards[0].digest)]
            else:
                results = self._upload_files(scan, hook, generation, local)
        if len(results) > 1:
            self.log.info("%s: %d requests in %d files (at most %d requests and %d bytes each)",
                          self.source_label, scan.row_count, len(results), self.max_rows_per_file,
                          self.max_bytes_per_file)
        return {
            "input_uris": [result.uri for result in results],
            "input_uri": results[0].uri,
            "row_count": scan.row_count,
            "row_counts": [shard.row_count for shard in scan.shards],
            "reused": all(result.reused for result in results),
            "skipped_count": len(scan.invalid_lines),
            "rejects_uri": shown_rejects,
            "note_count": scan.note_count,
            "repaired_count": repairs.line_count,
        }

