"""Split a batch job's output rows into success, failure and missing files, reconciled with the input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from airflow.sdk import BaseOperator

try:
    from airflow.sdk.bases.branch import BranchMixIn
except ImportError:  # Airflow 3.0 keeps it in the standard provider
    from airflow.providers.standard.operators.branch import BranchMixIn  # type: ignore[assignment,unused-ignore]

from airflow_batch_gemini.bounds import DEFAULT_MAX_ROW_BYTES
from airflow_batch_gemini.confinement import allowed_prefixes, check_allowed_uri, check_allowed_uris
from airflow_batch_gemini.exceptions import GeminiBatchOutputError, GeminiBatchPartialFailureError
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.hooks.storage_rows import CloudStorageRows
from airflow_batch_gemini.manifests import ResubmitManifest, SplitManifest
from airflow_batch_gemini.operators.failures import fails_fast
from airflow_batch_gemini.operators.output_checks import (
    check_gs_folder,
    check_max_row_bytes,
    check_output_directory,
    check_submitted_output,
    on_cloud_storage,
    unsplittable_output,
)
from airflow_batch_gemini.operators.writer_identity import result_writer
from airflow_batch_gemini.output.branches import choose_branches, task_id_list
from airflow_batch_gemini.output.policy import check_failure_ratio, policy_violation
from airflow_batch_gemini.output.results import result_uris
from airflow_batch_gemini.output.row_identity import DEFAULT_KEY_FIELDS, key_field_names
from airflow_batch_gemini.output.split import split_job_output
from airflow_batch_gemini.output.summary import summary_table
from airflow_batch_gemini.uris import as_uri_list

if TYPE_CHECKING:
    from airflow.sdk import Context

#: The key of the job manifest (the submit task's XCom) that holds the output directory.
MANIFEST_OUTPUT_KEY = "output_directory"
#: The key of the job manifest that holds the job's input URIs (``inputConfig.gcsSource.uris``).
MANIFEST_INPUT_KEY = "input_uris"
#: The manifests :meth:`GeminiBatchResultsMixin.finish` ends a task with.
ResultsManifest = TypeVar("ResultsManifest", SplitManifest, ResubmitManifest)


class GeminiBatchResultsMixin(BranchMixIn):
    """Shared ending of the split and resubmit operators: log, XCom, policy, branches.

    Expects ``success_task_ids``, ``failure_task_ids``, ``fail_on_partial`` and ``max_failure_ratio``.
    """

    #: Tells a submit task's pre-flight that this task reads the job's output and writes under its
    #: ``destination_prefix`` (without an import of this module there, which would be a cycle).
    reads_job_output: ClassVar[bool] = True
    success_task_ids: str | Sequence[str] | None
    failure_task_ids: str | Sequence[str] | None
    fail_on_partial: bool
    max_failure_ratio: float | None
    do_xcom_push: bool
    log: Any  # BaseOperator's logger

    def finish(self, context: Context, manifest: ResultsManifest) -> ResultsManifest:
        """Log the summary table, push the manifest, enforce the policy, then follow the branches."""
        self.log.info("Results:\n%s", summary_table(manifest))
        for text in manifest.get("disagreements") or []:
            self.log.warning("Reconciliation: %s", text)
        if self.do_xcom_push:
            # pushed now: skipping downstream tasks ends execute() before its return value is stored
            context["ti"].xcom_push(key="return_value", value=manifest)
        violation = policy_violation(manifest, self.fail_on_partial, self.max_failure_ratio)
        if violation is not None:
            raise GeminiBatchPartialFailureError(violation, manifest)
        success_ids, failure_ids = task_id_list(self.success_task_ids), task_id_list(self.failure_task_ids)
        if success_ids or failure_ids:
            bad = int(manifest["failed"]) + int(manifest.get("missing", 0))
            self.do_branch(context, choose_branches(int(manifest["succeeded"]), bad, success_ids, failure_ids))
        return manifest


class GeminiBatchSplitOutputOperator(BaseOperator, GeminiBatchResultsMixin):
    """Split a batch job's Cloud Storage output into succeeded, failed and missing rows; reconcile; branch.

    Every ``*.jsonl`` under the output directory is streamed (``incremental_predictions`` copies are
    left out once a final file exists). A row whose ``status`` is ``""`` goes to ``succeeded.jsonl``
    byte for byte; any other row (also a line that is not JSON) goes to ``failed.jsonl``, with the
    error parsed out of its status text added as ``parsed_error`` (``{"code", "status", "message"}``;
    the whole text as message when it embeds no JSON). When the job's input is known (the submit
    manifest's ``input_uris``, or ``input_uris``), every input row ends in exactly one of the three
    files: joined by its key (``key_fields``) or a hash of its normalised request, an input line
    without an output row is copied to ``missing.jsonl``. Each file appears whole or not at all; all
    three are written, even when empty. A row nested deeper than 64 levels is never decoded: it goes
    to ``failed.jsonl`` as ``ROW_TOO_DEEP`` (joined to its input line by its key, if it has one at its top
    level; else its input line counts as missing and the row as unexpected).

    Each file is marked with the task instance that wrote it (``dag_id/run_id/task_id``, custom metadata
    ``airflow-batch-gemini-writer``) and written with a precondition: a retry of the task, or a re-run of
    its DAG run, replaces its own files; a file another run (or anything else) wrote is never replaced:
    :class:`~airflow_batch_gemini.exceptions.GeminiBatchUploadConflictError` is raised before anything is
    read, and that file is left as it was. Counts that do not add up (against
    the input, or the job's ``completionStats``) are logged and listed under ``disagreements``.

    Then the success branch is followed if some row succeeded and the failure branch if some row
    failed or is missing (both, when both happened); other tasks directly downstream are skipped.
    Without branch task ids, nothing is skipped.

    Before it reads anything, the split checks that the bucket of ``destination_prefix`` exists, and that
    no input object is a file this package wrote as something else than a job's input (a result, a
    rejects file: custom metadata ``airflow-batch-gemini-file``); it writes its three files marked as
    ``result``. Settings that cannot work raise
    :class:`~airflow_batch_gemini.exceptions.GeminiBatchConfigurationError`: when the DAG is parsed if they
    are written out (a ``key_fields`` that names no field, a ``max_failure_ratio`` outside 0 to 1, a
    destination or an output directory not on ``gs://``, a ``job_manifest`` of a submit task that writes
    to BigQuery), else when the task runs. That error, a policy crossed and an output that cannot be split
    fail the task at once, without its retries: another try would end the same.

    Returns (XCom, also when branches are skipped) the manifest, counts only, never rows:
    ``job_name``, ``model``, ``succeeded``, ``failed``, ``missing``, ``input_rows``, ``total``,
    ``succeeded_uri``, ``failed_uri``, ``missing_uri``, ``failures_by_status``,
    ``failures_by_code``, ``token_usage``, ``model_versions``, ``reconciled``, ``unexpected_rows``,
    ``duplicate_rows``, ``disagreements``, ``completion_stats``, ``input_uris``,
    ``output_directory``, ``files_read``.

    :param destination_prefix: ``gs://`` folder for the three files (one per job: e.g. with
        ``{{ run_id }}`` in it). (templated)
    :param output_directory: the job's ``gs://`` output directory (``outputInfo.gcsOutputDirectory``).
        Give this or ``job_manifest``. (templated)
    :param job_manifest: the submit task's XCom dict (e.g. ``submit.output``): its
        ``output_directory``, ``input_uris``, ``completion_stats``, ``job_name`` and ``model`` are
        read. Give this or ``output_directory``. (templated)
    :param input_uris: the job's input, one ``gs://`` object or a list, or the prepare task's dict;
        by default the manifest's. A URI with wildcards (``*`` within a path level, ``**`` across) is read
        as the objects it matches when the split runs: the job's input, unless objects were added or
        removed since. Without any, rows are split but not reconciled. (templated)
    :param key_fields: the top-level field, or fields, that identify a row, first present wins; rows
        without any are joined by a hash of their request.
    :param success_task_ids: task id(s) to follow when at least one row succeeded. (templated)
    :param failure_task_ids: task id(s) to follow when a row failed or is missing. (templated)
    :param fail_on_partial: raise :class:`~airflow_batch_gemini.exceptions.GeminiBatchPartialFailureError`
        (after writing the files and pushing the manifest) if any row failed or is missing.
    :param max_failure_ratio: raise the same error when more than this share (0 to 1) of the rows
        failed or is missing; ``None`` for no limit.
    :param max_row_bytes: the longest output row read, in bytes, its line break included (default 80 MiB, the
        package's own: a row echoes its request, up to 32 MiB, and adds the response; Google documents no limit).
        A longer row is never held: it goes to ``failed.jsonl`` as ``ROW_TOO_LARGE``, not retryable, as a record
        of its size, SHA-256, part and line (and its key, if in its first or last 64 KiB); raise this to read it.
    :param gcp_conn_id: the Airflow connection to Google Cloud. (templated)
    :param impersonation_chain: a service account, or a chain of them, to impersonate. (templated)
    :param allowed_source_prefixes: ``gs://`` buckets or folders the job's output directory and its input URIs
        must lie in (checked once rendered, before anything is read); ``None`` allows any. Not templated: the
        DAG author sets it, so that values from the trigger form cannot read other teams' data.
    :param allowed_destination_prefixes: ``gs://`` buckets or folders ``destination_prefix`` must lie in
        (checked before anything is read or written); ``None`` allows any. Not templated.
    """

    template_fields: Sequence[str] = (
        "destination_prefix",
        "output_directory",
        "job_manifest",
        "input_uris",
        "success_task_ids",
        "failure_task_ids",
        "gcp_conn_id",
        "impersonation_chain",
    )
    template_fields_renderers = {"job_manifest": "json"}
    inherits_from_skipmixin = True
    ui_color = "#e6f4ea"

    def __init__(
        self,
        *,
        destination_prefix: str,
        output_directory: str | None = None,
        job_manifest: Mapping[str, Any] | None = None,
        input_uris: str | Sequence[str] | Mapping[str, Any] | None = None,
        key_fields: str | Sequence[str] = DEFAULT_KEY_FIELDS,
        success_task_ids: str | Sequence[str] | None = None,
        failure_task_ids: str | Sequence[str] | None = None,
        fail_on_partial: bool = False,
        max_failure_ratio: float | None = None,
        max_row_bytes: int = DEFAULT_MAX_ROW_BYTES,
        gcp_conn_id: str = "google_cloud_default",
        impersonation_chain: str | Sequence[str] | None = None,
        allowed_source_prefixes: Sequence[str] | None = None,
        allowed_destination_prefixes: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.allowed_source_prefixes = allowed_prefixes(allowed_source_prefixes)
        self.allowed_destination_prefixes = allowed_prefixes(allowed_destination_prefixes)
        if output_directory is None and job_manifest is None:
            raise ValueError("give output_directory or job_manifest (the submit task's output)")
        check_gs_folder("destination_prefix", destination_prefix)
        check_output_directory(output_directory)
        check_submitted_output(job_manifest)
        self.destination_prefix = destination_prefix
        self.output_directory = output_directory
        self.job_manifest = job_manifest
        self.input_uris = input_uris
        self.key_fields = key_field_names(key_fields)
        self.success_task_ids = success_task_ids
        self.failure_task_ids = failure_task_ids
        self.fail_on_partial = fail_on_partial
        self.max_failure_ratio = check_failure_ratio(max_failure_ratio)
        self.max_row_bytes = check_max_row_bytes(max_row_bytes)
        self.gcp_conn_id = gcp_conn_id
        self.impersonation_chain = impersonation_chain

    def _manifest(self) -> Mapping[str, Any]:
        if self.job_manifest is not None and not isinstance(self.job_manifest, Mapping):
            raise GeminiBatchOutputError(
                f"job_manifest must be the submit task's dict, got {type(self.job_manifest).__name__}"
            )
        return self.job_manifest or {}

    def resolve_output_directory(self) -> str:
        """Return the ``gs://`` output directory to read, from ``output_directory`` or ``job_manifest``.

        :raises GeminiBatchOutputError: if it is missing.
        :raises GeminiBatchConfigurationError: if it is not on Cloud Storage (e.g. a BigQuery table).
        """
        directory: Any = self.output_directory or self._manifest().get(MANIFEST_OUTPUT_KEY)
        if not directory or not isinstance(directory, str):
            raise GeminiBatchOutputError(
                f"No output directory: output_directory is {self.output_directory!r} and the manifest has "
                f"no {MANIFEST_OUTPUT_KEY!r}; pass the job's outputInfo.gcsOutputDirectory."
            )
        if not on_cloud_storage(directory):
            raise unsplittable_output("The job's output", directory)
        return directory

    def resolve_input_uris(self) -> list[str]:
        """The input URIs to reconcile with, as given (wildcards and all): ``input_uris``, else the manifest's."""
        given: Any = self.input_uris if self.input_uris else self._manifest().get(MANIFEST_INPUT_KEY)
        if isinstance(given, Mapping):
            given = given.get(MANIFEST_INPUT_KEY)
        return as_uri_list(given) if given else []

    def split(self, writer: str | None = None) -> SplitManifest:
        """Read every output row once, write the three files; return the manifest (see the class doc).

        :param writer: who writes the files (:func:`~airflow_batch_gemini.operators.writer_identity.result_writer`);
            ``None`` writes only files that do not exist yet.
        :raises GeminiBatchAccessRefusedError: a location outside the allow-lists (nothing read or written).
        """
        check_gs_folder("destination_prefix", self.destination_prefix)  # rendered by now
        directory = self.resolve_output_directory()
        manifest = self._manifest()
        input_uris = self.resolve_input_uris()
        check_allowed_uri(self.destination_prefix, self.allowed_destination_prefixes, "destination_prefix")
        check_allowed_uri(directory, self.allowed_source_prefixes, "the job's output directory")
        check_allowed_uris(input_uris, self.allowed_source_prefixes, "input_uris")
        storage = GeminiBatchStorageHook(gcp_conn_id=self.gcp_conn_id, impersonation_chain=self.impersonation_chain)
        rows = CloudStorageRows(storage, writer, max_row_bytes=self.max_row_bytes)
        input_files = storage.expand_uris(input_uris)
        if input_files != input_uris:
            self.log.info("Input %s: %d object(s) match now: %s", input_uris, len(input_files), input_files[:20])
        if not input_files:
            self.log.warning("No input objects: rows are split, not reconciled; missing.jsonl stays empty")
        summary = split_job_output(
            rows,
            rows,
            output_directory=directory,
            results=result_uris(self.destination_prefix),
            input_uris=input_files,
            key_fields=self.key_fields,
            completion_stats=manifest.get("completion_stats"),
            log=self.log,
        )
        return {
            "job_name": manifest.get("job_name"),
            "model": manifest.get("model"),
            "completion_stats": manifest.get("completion_stats"),
            "input_uris": input_uris,
            **summary,
        }

    @fails_fast
    def execute(self, context: Context) -> SplitManifest:
        return self.finish(context, self.split(result_writer(context)))
