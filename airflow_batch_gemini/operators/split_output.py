"""Split a batch job's output rows into a success file and a failure file, then branch on them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.bases.branch import BranchMixIn

from airflow_batch_gemini.exceptions import GeminiBatchOutputError
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook, parse_gs_uri
from airflow_batch_gemini.rows import TokenUsage, classify_line

if TYPE_CHECKING:
    from airflow.sdk import Context

SUCCEEDED_FILE = "succeeded.jsonl"
FAILED_FILE = "failed.jsonl"
#: The key of the job manifest (the submit task's XCom) that holds the output directory.
MANIFEST_OUTPUT_KEY = "output_directory"
#: Failure categories counted one by one; the rarer ones beyond this are counted under ``OTHER``.
MAX_FAILURE_CATEGORIES = 20
OTHER_CATEGORY = "OTHER"


def task_id_list(task_ids: str | Iterable[str] | None) -> list[str]:
    """Return task ids given as one id, several, or none, as a list."""
    if task_ids is None:
        return []
    if isinstance(task_ids, str):
        return [task_ids]
    return list(task_ids)


def choose_branches(
    succeeded: int, failed: int, success_task_ids: Sequence[str], failure_task_ids: Sequence[str]
) -> list[str]:
    """Return the task ids to follow: the success branch if any row succeeded, the failure one if any failed."""
    return (list(success_task_ids) if succeeded else []) + (list(failure_task_ids) if failed else [])


def join_uri(prefix: str, name: str) -> str:
    """Return ``prefix/name`` for a ``gs://`` prefix, with or without its trailing slash."""
    return f"{prefix.rstrip('/')}/{name}"


class GeminiBatchSplitOutputOperator(BaseOperator, BranchMixIn):
    """Split a batch job's Cloud Storage output into ``succeeded.jsonl`` and ``failed.jsonl``, and branch.

    Every ``*.jsonl`` under the output directory is streamed (``incremental_predictions`` copies are
    left out once a final file exists). A row whose ``status`` is ``""`` goes to ``succeeded.jsonl``,
    any other row (also a line that is not JSON) to ``failed.jsonl``, byte for byte. Each file appears
    whole or not at all, and a re-run replaces it; both are written even when empty.

    Then the success branch is followed if some row succeeded and the failure branch if some row
    failed (both, when both happened); any other task directly downstream is skipped.

    Returns (XCom, also when branches are skipped) ``{"succeeded": n, "failed": m, "total": n + m,
    "succeeded_uri": ..., "failed_uri": ..., "failures_by_status": {"INVALID_ARGUMENT": k, ...},
    "token_usage": {"prompt_tokens": ..., ...}, "files_read": f}``: counts only, never rows.

    :param destination_prefix: ``gs://`` folder where ``succeeded.jsonl`` and ``failed.jsonl`` go.
        (templated)
    :param output_directory: the job's ``gs://`` output directory (``outputInfo.gcsOutputDirectory``),
        e.g. ``"{{ ti.xcom_pull(task_ids='submit')['output_directory'] }}"``. Give this or
        ``job_manifest``. (templated)
    :param job_manifest: the submit task's XCom dict (e.g. ``submit.output``); its
        ``output_directory`` key is read. Give this or ``output_directory``. (templated)
    :param success_task_ids: task id(s) to follow when at least one row succeeded. (templated)
    :param failure_task_ids: task id(s) to follow when at least one row failed. (templated)
    :param gcp_conn_id: the Airflow connection to Google Cloud. (templated)
    :param impersonation_chain: a service account, or a chain of them, to impersonate. (templated)
    """

    template_fields: Sequence[str] = (
        "destination_prefix",
        "output_directory",
        "job_manifest",
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
        success_task_ids: str | Sequence[str] | None = None,
        failure_task_ids: str | Sequence[str] | None = None,
        gcp_conn_id: str = "google_cloud_default",
        impersonation_chain: str | Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_directory is None and job_manifest is None:
            raise ValueError("give output_directory or job_manifest (the submit task's output)")
        self.destination_prefix = destination_prefix
        self.output_directory = output_directory
        self.job_manifest = job_manifest
        self.success_task_ids = success_task_ids
        self.failure_task_ids = failure_task_ids
        self.gcp_conn_id = gcp_conn_id
        self.impersonation_chain = impersonation_chain

    def resolve_output_directory(self) -> str:
        """Return the ``gs://`` output directory to read, from ``output_directory`` or ``job_manifest``.

        :raises GeminiBatchOutputError: if it is missing or not on Cloud Storage (e.g. a BigQuery table).
        """
        directory: Any = self.output_directory
        if not directory and self.job_manifest is not None:
            if not isinstance(self.job_manifest, Mapping):
                raise GeminiBatchOutputError(
                    f"job_manifest must be the submit task's dict, got {type(self.job_manifest).__name__}"
                )
            directory = self.job_manifest.get(MANIFEST_OUTPUT_KEY)
        if not directory or not isinstance(directory, str):
            raise GeminiBatchOutputError(
                f"No output directory: output_directory is {self.output_directory!r} and the manifest has "
                f"no {MANIFEST_OUTPUT_KEY!r}; pass the job's outputInfo.gcsOutputDirectory."
            )
        try:
            parse_gs_uri(directory)
        except ValueError:
            raise GeminiBatchOutputError(
                f"The job's output {directory!r} is not a gs:// directory: this operator splits Cloud Storage "
                "output only. A job that wrote to BigQuery (bq://...) has its rows in a table: query it "
                "instead, or give the job a gs:// output prefix."
            ) from None
        return directory

    def split(self) -> dict[str, Any]:
        """Read every output row once and write the two files; return the counts (see the class doc)."""
        directory = self.resolve_output_directory()
        parse_gs_uri(self.destination_prefix)
        succeeded_uri = join_uri(self.destination_prefix, SUCCEEDED_FILE)
        failed_uri = join_uri(self.destination_prefix, FAILED_FILE)
        hook = GeminiBatchStorageHook(gcp_conn_id=self.gcp_conn_id, impersonation_chain=self.impersonation_chain)
        # our own result files may sit under the output directory: never read them back as output
        files = [uri for uri in hook.list_prediction_files(directory) if uri not in (succeeded_uri, failed_uri)]
        if not files:
            raise GeminiBatchOutputError(
                f"No *.jsonl file under {directory}; check that this is the job's outputInfo."
                "gcsOutputDirectory and that the job has ended."
            )
        succeeded = 0
        failures: Counter[str] = Counter()
        usage = TokenUsage()
        with hook.open_writer(succeeded_uri) as succeeded_file, hook.open_writer(failed_uri) as failed_file:
            for uri in files:
                self.log.info("Reading %s", uri)
                for raw in hook.read_lines(uri):
                    if not raw.strip():
                        continue
                    line = raw if raw.endswith(b"\n") else raw + b"\n"
                    outcome = classify_line(line)
                    usage += outcome.usage
                    if outcome.error is None:
                        succeeded += 1
                        succeeded_file.write(line)
                        continue
                    category = outcome.error.category
                    if category not in failures and len(failures) >= MAX_FAILURE_CATEGORIES:
                        category = OTHER_CATEGORY
                    failures[category] += 1
                    failed_file.write(line)
        failed = sum(failures.values())
        self.log.info("%d row(s) succeeded, %d failed: %s", succeeded, failed, dict(failures))
        return {
            "succeeded": succeeded,
            "failed": failed,
            "total": succeeded + failed,
            "succeeded_uri": succeeded_uri,
            "failed_uri": failed_uri,
            "failures_by_status": dict(failures.most_common()),
            "token_usage": usage.as_dict(),
            "files_read": len(files),
        }

    def execute(self, context: Context) -> dict[str, Any]:
        summary = self.split()
        if self.do_xcom_push:
            # pushed now: skipping downstream tasks ends execute() before its return value is stored
            context["ti"].xcom_push(key="return_value", value=summary)
        branches = choose_branches(
            summary["succeeded"],
            summary["failed"],
            task_id_list(self.success_task_ids),
            task_id_list(self.failure_task_ids),
        )
        self.do_branch(context, branches)
        return summary
