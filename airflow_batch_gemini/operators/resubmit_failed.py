"""Send a batch job's retryable failed rows (and missing rows) again, round by round, and merge the results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from airflow_batch_gemini.bounds import DEFAULT_MAX_ROW_BYTES
from airflow_batch_gemini.confinement import allowed_prefixes, check_allowed_uri, check_allowed_uris
from airflow_batch_gemini.exceptions import GeminiBatchJobFailedError, GeminiBatchOutputError, GeminiBatchTimeoutError
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.hooks.storage_rows import CloudStorageRows
from airflow_batch_gemini.job.identity import identity_labels
from airflow_batch_gemini.job.states import TERMINAL_STATES, job_manifest
from airflow_batch_gemini.manifests import (
    JobManifest,
    PendingRound,
    ResubmitManifest,
    RoundRecord,
    SplitManifest,
    UnfinishedRound,
)
from airflow_batch_gemini.operators.failures import fails_fast
from airflow_batch_gemini.operators.output_checks import check_gs_folder, check_max_row_bytes
from airflow_batch_gemini.operators.split_output import GeminiBatchResultsMixin
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from airflow_batch_gemini.operators.writer_identity import result_writer
from airflow_batch_gemini.output.merge import final_sources, resubmit_manifest
from airflow_batch_gemini.output.policy import check_failure_ratio
from airflow_batch_gemini.output.results import result_uris
from airflow_batch_gemini.output.round_state import ROUND_STATE_KEY, round_state, stale_state
from airflow_batch_gemini.output.rounds import check_max_rounds, prepare_round
from airflow_batch_gemini.output.row_identity import DEFAULT_KEY_FIELDS, key_field_names
from airflow_batch_gemini.output.split import split_job_output

if TYPE_CHECKING:
    from airflow.sdk import Context

#: Label telling the jobs of the rounds of one task instance apart.
ROUND_LABEL = "airflow_round"
#: Submit parameters each round sets itself (not templated here).
ROUND_SET_FIELDS = ("input_uris", "output_uri_prefix")
#: Keys the split manifest (round 0) must hold.
SPLIT_KEYS = ("succeeded", "failed", "succeeded_uri", "failed_uri", "missing_uri")
#: The rounds run so far: round 0 is the split's manifest, each later one a round's record.
Rounds = list[SplitManifest | RoundRecord]


class GeminiBatchResubmitFailedOperator(GeminiBatchSubmitJobOperator, GeminiBatchResultsMixin):
    """Resubmit the rows of a split whose error is retryable, in bounded rounds, and merge all results.

    Round 0 is the split's manifest (from
    :class:`~airflow_batch_gemini.operators.split_output.GeminiBatchSplitOutputOperator`). Each round
    builds an input from the previous round's failed rows whose error is retryable (429
    RESOURCE_EXHAUSTED, 5xx, deadline exceeded; never 400 INVALID_ARGUMENT) plus its missing rows,
    submits a follow-up job, waits for it (deferred, or in the worker), and splits its output reconciled
    with that input. It stops when nothing is left to resend or after ``max_rounds``. Then
    ``succeeded.jsonl``, ``failed.jsonl`` and ``missing.jsonl`` under ``destination_prefix`` hold the
    final rows over all rounds; every input row of the first job is in exactly one of them.

    Each round's job has its own identity (task instance and round number in its labels), so a retry of
    this task re-attaches to the job of each round instead of creating a second one. Round files are
    kept under ``destination_prefix/rounds/N/`` (``input.jsonl``, marked as a job's ``input``;
    ``kept_failed.jsonl``, ``output/``, ``results/``, marked as ``result`` like the final files). A round's
    job that ends FAILED, CANCELLED or EXPIRED, or outlives ``timeout``, does not fail the task: the rows
    it finished count and the others are resent by the next round (see :meth:`resume_round`); the
    manifest lists it under ``unfinished_rounds``.

    Before it defers, the task pushes the round's state (the rounds so far, the pending round, its job
    and the try) as the XCom ``round_state``; :meth:`resume_round` reads it back, since ``airflow dags
    test`` resumes a deferred task with the event alone. A state of another try or job is never resumed:
    the rounds start over, each round's job re-attached by its labels.

    Every file the task writes (round inputs, kept failures, round results, the final files) is marked with
    its task instance (``dag_id/run_id/task_id``) and written with a precondition: a retry replaces its own
    files, a file of another run is never replaced
    (:class:`~airflow_batch_gemini.exceptions.GeminiBatchUploadConflictError`; the final files are checked
    before anything is read). A failed row nested deeper than 64 levels is kept, never resent.

    Settings that cannot work raise :class:`~airflow_batch_gemini.exceptions.GeminiBatchConfigurationError`
    when the DAG is parsed (``max_rounds`` outside 0 to 10, a ``max_failure_ratio`` outside 0 to 1, a
    ``key_fields`` that names no field, a written-out ``destination_prefix`` not on ``gs://``), or before
    anything is read when the task runs (the bucket of ``destination_prefix`` does not exist). That error,
    a policy crossed and an output that cannot be split fail the task at once, without its retries.

    Returns (XCom) one manifest across all rounds: ``job_name`` (the first job), ``job_names``,
    ``rounds``, ``input_rows``, ``succeeded``, ``failed``, ``missing``, the three URIs,
    ``failures_by_status``, ``failures_by_code``, ``token_usage`` and ``model_versions`` summed over
    all rounds, ``round_summaries`` (counts per round), ``unfinished_rounds`` (``round``, ``job_name``,
    ``state``, ``error``), ``disagreements``.

    :param split_manifest: the split task's XCom dict (e.g. ``split.output``). (templated)
    :param destination_prefix: ``gs://`` folder for the rounds and the final files; not the split's
        own folder. (templated)
    :param model: the model of the follow-up jobs; by default the split manifest's ``model``. (templated)
    :param max_rounds: at most this many follow-up jobs, from 0 (only merges) to 10.
    :param key_fields: the top-level field, or fields, that identify a row, as for the split.
    :param success_task_ids: task id(s) to follow when at least one row succeeded. (templated)
    :param failure_task_ids: task id(s) to follow when a row failed or is missing in the end. (templated)
    :param fail_on_partial: raise :class:`~airflow_batch_gemini.exceptions.GeminiBatchPartialFailureError`
        (after the final files and the manifest) if any row failed or is missing in the end.
    :param max_failure_ratio: raise the same error when more than this share (0 to 1) of the input rows
        failed or is missing in the end; ``None`` for no limit.
    :param max_row_bytes: the longest row read (each round's output, failed and missing rows), in bytes, its line
        break included (default 80 MiB, the package's own: a row echoes its request, up to 32 MiB, and adds the
        response; Google documents no limit). A longer row is never held, nor resent: it is kept failed as
        ``ROW_TOO_LARGE``, as a record of its size, SHA-256, part and line (and its key, if in its first or last
        64 KiB).
    :param allowed_source_prefixes: ``gs://`` buckets or folders the split manifest's files (succeeded, failed,
        missing) must lie in, checked before anything is read; ``None`` allows any. Not templated: the DAG
        author sets it.
    :param allowed_destination_prefixes: ``gs://`` buckets or folders ``destination_prefix`` (the rounds' files,
        their jobs' output, the final files) must lie in, checked before anything is read or written; ``None``
        allows any. Not templated.
    :param kwargs: every other parameter of
        :class:`~airflow_batch_gemini.operators.submit_job.GeminiBatchSubmitJobOperator` (``labels``,
        ``display_name``, ``project_id``, ``location``, ``gcp_conn_id``, ``impersonation_chain``,
        ``api_endpoint``, ``deferrable``, ``poll_interval``, ``timeout`` per round, ...) except
        ``input_uris`` and ``output_uri_prefix``, which each round sets.
    """

    template_fields: Sequence[str] = (
        "split_manifest",
        "destination_prefix",
        *(name for name in GeminiBatchSubmitJobOperator.template_fields if name not in ROUND_SET_FIELDS),
        "success_task_ids",
        "failure_task_ids",
    )
    template_fields_renderers = {"split_manifest": "json", "labels": "json"}
    inherits_from_skipmixin = True
    ui_color = "#fce8b2"

    def __init__(
        self,
        *,
        split_manifest: Mapping[str, Any],
        destination_prefix: str,
        model: str | None = None,
        max_rounds: int = 2,
        key_fields: str | Sequence[str] = DEFAULT_KEY_FIELDS,
        success_task_ids: str | Sequence[str] | None = None,
        failure_task_ids: str | Sequence[str] | None = None,
        fail_on_partial: bool = False,
        max_failure_ratio: float | None = None,
        max_row_bytes: int = DEFAULT_MAX_ROW_BYTES,
        allowed_source_prefixes: Sequence[str] | None = None,
        allowed_destination_prefixes: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(input_uris=[], output_uri_prefix=destination_prefix, model=model or "", **kwargs)
        self.allowed_source_prefixes = allowed_prefixes(allowed_source_prefixes)
        self.allowed_destination_prefixes = allowed_prefixes(allowed_destination_prefixes)
        check_gs_folder("destination_prefix", destination_prefix)
        self.split_manifest = split_manifest
        self.destination_prefix = destination_prefix
        self.max_rounds = check_max_rounds(max_rounds)
        self.key_fields = key_field_names(key_fields)
        self.success_task_ids = success_task_ids
        self.failure_task_ids = failure_task_ids
        self.fail_on_partial = fail_on_partial
        self.max_failure_ratio = check_failure_ratio(max_failure_ratio)
        self.max_row_bytes = check_max_row_bytes(max_row_bytes)
        self.round_number = 0

    @cached_property
    def storage(self) -> CloudStorageRows:
        """The rounds' rows and results: Cloud Storage objects, on this task's connection."""
        return CloudStorageRows(
            GeminiBatchStorageHook(gcp_conn_id=self.gcp_conn_id, impersonation_chain=self.impersonation_chain),
            max_row_bytes=self.max_row_bytes,
        )

    def _identity(self, context: Context, fingerprint: str) -> dict[str, str]:
        """Identity labels of this round's job: a retry of the task re-attaches to each round's job."""
        ti = context["ti"]
        task = f"{ti.task_id}.round-{self.round_number}"
        labels = identity_labels(ti.dag_id, task, ti.run_id, getattr(ti, "map_index", -1), fingerprint)
        return {**labels, ROUND_LABEL: str(self.round_number)}

    def _check_locations(self) -> None:
        """A round's job reads and writes only the resubmission's own files, under ``destination_prefix``: its
        input and its output are checked against ``allowed_destination_prefixes`` (``allowed_source_prefixes``
        is the split's files')."""
        check_allowed_uris([*self._input_uri_list(), self.output_uri_prefix], self.allowed_destination_prefixes,
                           "destination_prefix")

    def check_locations(self, context: Context, split: Mapping[str, Any]) -> None:
        """Before anything is read or written: the split's files and ``destination_prefix`` against the allow-lists,
        and this task instance as the writer of the files.

        :raises GeminiBatchAccessRefusedError: a location outside its allow-list.
        """
        check_allowed_uri(self.destination_prefix, self.allowed_destination_prefixes, "destination_prefix")
        check_allowed_uris([str(split[name]) for name in ("succeeded_uri", "failed_uri", "missing_uri")],
                           self.allowed_source_prefixes, "split_manifest")
        self.storage.writer = result_writer(context)

    def round_zero(self) -> SplitManifest:
        """The split's manifest, checked.

        :raises GeminiBatchOutputError: it is not the split's dict, or shares its folder with the rounds.
        """
        manifest = self.split_manifest
        if not isinstance(manifest, Mapping) or any(key not in manifest for key in SPLIT_KEYS):
            raise GeminiBatchOutputError(
                f"split_manifest must be the split task's dict with {', '.join(SPLIT_KEYS)}; got "
                f"{type(manifest).__name__}. Pass split.output of a GeminiBatchSplitOutputOperator."
            )
        if manifest["succeeded_uri"] == result_uris(self.destination_prefix)["succeeded_uri"]:
            raise GeminiBatchOutputError(
                f"destination_prefix {self.destination_prefix} is the split's own folder: the final files "
                "would replace the split's before a retry could read them. Give the resubmission its own folder."
            )
        self.use_model_of(manifest)
        return cast("SplitManifest", dict(manifest))

    def use_model_of(self, split: Mapping[str, Any]) -> None:
        """Give the follow-up jobs ``model``, else the model the split manifest names (also after a resume,
        which builds the task afresh).

        :raises GeminiBatchOutputError: neither names a model.
        """
        if not self.model:
            if not split.get("model"):
                raise GeminiBatchOutputError("No model: set model=, or give a split manifest that names it")
            self.model = str(split["model"])

    # it submits jobs as the submit operator does, but returns the merged results, not a job's manifest
    @fails_fast
    def execute(self, context: Context) -> ResubmitManifest:  # type: ignore[override]
        check_gs_folder("destination_prefix", self.destination_prefix)  # rendered by now
        rounds: Rounds = [self.round_zero()]
        self.check_locations(context, rounds[0])
        finals = result_uris(self.destination_prefix)
        self.storage.require_destinations([finals["succeeded_uri"], finals["failed_uri"], finals["missing_uri"]])
        return self.next_round(context, rounds)

    def next_round(self, context: Context, rounds: Rounds) -> ResubmitManifest:
        """Run the next round if one is allowed and has rows to resend, else merge and finish."""
        number = len(rounds)
        if number <= self.max_rounds:
            pending = prepare_round(self.storage, self.storage, rounds[-1], number, self.destination_prefix)
            if pending["input_rows"]:
                return self.run_round(context, rounds, pending)
            self.log.info("Round %d: no retryable failed row and no missing row; nothing to resend", number)
        return self.merge(context, rounds)

    def run_round(self, context: Context, rounds: Rounds, pending: PendingRound) -> ResubmitManifest:
        """Submit the round's job (or re-attach to it) and wait: deferred, or in this worker."""
        self.round_number = int(pending["round"])
        self.input_uris = [pending["input_uri"]]
        self.output_uri_prefix = pending["output_prefix"]
        self.log.info("Round %d: resending %d row(s) from %s", self.round_number, pending["input_rows"],
                      pending["input_uri"])
        job = self.submit(context)
        watch = self.new_watch(context, str(job["name"]))
        event = watch.observe(job).event
        if event is None and self.deferrable:
            ti = context["ti"]
            ti.xcom_push(key=ROUND_STATE_KEY, value=round_state(ti.try_number, watch.job_name, rounds, pending))
            self.defer(
                trigger=self.job_trigger(watch.job_name, self.poll_interval, watch.deadline, self.cancel_on_kill),
                method_name="resume_round",
            )
        return self.end_round(context, event or self.wait(watch), rounds, pending)

    @fails_fast
    def resume_round(
        self,
        context: Context,
        event: dict[str, Any],
        round_number: int | None = None,
        rounds: Rounds | None = None,
        pending: PendingRound | None = None,
    ) -> ResubmitManifest:
        """Called by Airflow with the event of the round's trigger: go on with the round's state.

        The state is the XCom ``round_state`` the deferral pushed. One of another try or another job than the
        event's is not resumed (Airflow 3.0 to 3.2 hand a retry the earlier try's deferral and event): the
        rounds start over as a new try's ``execute`` does, each round's job re-attached by its identity
        labels.

        :param event: the trigger's event.
        :param round_number: the round, ``rounds`` and ``pending`` are the kwargs of a deferral by an earlier
            version of this package, which passed the state so; they are used when given.
        :param rounds: the rounds before the pending one.
        :param pending: the round waited on.
        """
        self.check_locations(context, self.round_zero())
        if rounds is not None and pending is not None:
            return self.end_round(context, event, rounds, pending)
        ti = context["ti"]
        state = ti.xcom_pull(task_ids=ti.task_id, key=ROUND_STATE_KEY, map_indexes=ti.map_index)
        problem = stale_state(state, str(event.get("job_name")), ti.try_number)
        if problem is not None:
            self.log.warning("Not resuming the deferred round: %s. Starting the rounds over; each round's job "
                             "is re-attached by its identity labels", problem)
            return self.execute(context)
        return self.end_round(context, event, state["rounds"], state["pending"])

    def end_round(
        self, context: Context, event: dict[str, Any], rounds: Rounds, pending: PendingRound
    ) -> ResubmitManifest:
        """Split the round's output once its job's wait has ended (``event``), then go on.

        A round whose job ends FAILED, CANCELLED or EXPIRED, or whose wait times out (the job is then
        cancelled), does not fail the task: the rows its job finished count (its output is split like
        any other), the rest are missing from it and are resent by the next round if one is left. If
        the job wrote no output at all (or is still being cancelled), the rounds stop there and the
        earlier rounds' files are merged (the rows it was to resend keep their earlier errors). Either
        way the manifest lists the round under ``unfinished_rounds``.
        """
        self.round_number = int(pending["round"])
        self.use_model_of(rounds[0])
        try:
            job = self.job_result(event)
        except (GeminiBatchJobFailedError, GeminiBatchTimeoutError) as err:
            return self.round_unfinished(context, rounds, pending, err)
        return self.next_round(context, [*rounds, self.split_round(job, pending)])

    def split_round(self, job: JobManifest, pending: PendingRound) -> RoundRecord:
        """The round's record: what it resent, and its job's output split and reconciled with that input.

        :raises GeminiBatchOutputError: the job's output directory holds no ``*.jsonl`` file.
        """
        summary = split_job_output(
            self.storage,
            self.storage,
            output_directory=str(job["output_directory"]),
            results=result_uris(str(pending["results_prefix"])),
            input_uris=[str(pending["input_uri"])],
            key_fields=self.key_fields,
            completion_stats=job.get("completion_stats"),
            log=self.log,
        )
        return {**pending, **summary, "job_name": job.get("job_name")}

    def round_unfinished(
        self, context: Context, rounds: Rounds, pending: PendingRound, error: Exception
    ) -> ResubmitManifest:
        """Keep what an unfinished round's job wrote, then go on (or stop and merge if it wrote nothing)."""
        job = job_manifest(self.hook.get_job(str(self.job_name)))
        unfinished: UnfinishedRound = {"round": self.round_number, "job_name": job["job_name"], "state": job["state"],
                      "error": str(error)}
        self.log.warning("Round %d did not finish: %s", self.round_number, error)
        if job["output_directory"] and job["state"] in TERMINAL_STATES:  # a job still cancelling may write more
            try:
                record = self.split_round(job, pending)
            except GeminiBatchOutputError:
                self.log.warning("Round %d's job wrote no output under %s", self.round_number, job["output_directory"])
            else:
                self.log.warning("Round %d: keeping the %d row(s) its job finished; %d row(s) have no result",
                                 self.round_number, record["succeeded"] + record["failed"], record["missing"])
                return self.next_round(context, [*rounds, {**record, "unfinished": unfinished}])
        self.log.warning("Round %d: merging the earlier rounds; the %d row(s) it resent keep their earlier errors",
                         self.round_number, pending["input_rows"])
        return self.merge(context, rounds, [unfinished])

    def merge(
        self, context: Context, rounds: Rounds, stopped: Sequence[UnfinishedRound] = ()
    ) -> ResubmitManifest:
        """Write the final files from the rounds' files, then log, push, check the policy and branch.

        :param stopped: the unfinished round that ended the rounds without output, if any.
        """
        finals = result_uris(self.destination_prefix)
        destinations = cast("Mapping[str, str]", finals)  # by the keys final_sources gives
        for name, sources in final_sources(rounds).items():
            self.storage.concatenate(sources, destinations[name])
        return self.finish(context, resubmit_manifest(rounds, stopped, finals))
