"""What the submit operator looks at before it creates a job, and the jobs of its earlier tries it stops:
the I/O and the DAG walking around the pure decisions of :mod:`airflow_batch_gemini.job.preflight`.

- :func:`checked_input`: what the input URIs name now (the objects, a wildcard's matches), refused when
  missing, unreadable or a file of the package that is no input; the objects are what the job's
  fingerprint covers.
- :func:`check_destinations`: the output bucket, and the result buckets of the split and resubmit tasks
  downstream (their ``destination_prefix`` rendered with the submit task's context), exist; the output
  kind is one those tasks can read.
- :func:`cancel_stale_jobs`: a job of this task instance that was asked for something else (its input
  changed since, say) and still runs is cancelled, so that it bills no more for answers nobody will read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from airflow_batch_gemini.exceptions import GeminiBatchApiError, GeminiBatchPreflightError
from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.job.identity import IDENTITY_LABEL, REQUEST_LABEL
from airflow_batch_gemini.job.preflight import (
    BucketUse,
    StoredContent,
    bucket_problems,
    distinct_buckets,
    input_problems,
    output_kind_problem,
)
from airflow_batch_gemini.job.states import TERMINAL_STATES
from airflow_batch_gemini.uris import parse_gs_uri

#: The attribute of the split and resubmit operators that names their result folder.
RESULTS_FIELD = "destination_prefix"


class Log(Protocol):
    """What these checks log to: a :class:`logging.Logger`, or a task's ``self.log``."""

    def info(self, message: str, /, *args: object) -> object:
        """Log a message at INFO level."""
        ...

    def warning(self, message: str, /, *args: object) -> object:
        """Log a message at WARNING level."""
        ...


@dataclass
class Downstream:
    """The tasks downstream of a submit task that read its job's output and write results.

    :param readers: ``task_id (Class)`` of each, for messages.
    :param uses: the bucket each writes its results to, where it could be worked out.
    :param notes: the result folders that could not be worked out before the job, and why.
    """

    readers: list[str] = field(default_factory=list)
    uses: list[BucketUse] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def checked_input(storage: GeminiBatchStorageHook, uris: Sequence[str], connection: str) -> list[StoredContent]:
    """Every object the input URIs name now, wildcards expanded.

    :raises GeminiBatchPreflightError: an object is missing or cannot be read, a wildcard matches nothing,
        or an object is a file the package wrote that is no job input (a rejects file, say).
    """
    lookups = [storage.lookup_input(uri) for uri in uris]
    problems = input_problems(lookups, connection)
    if problems:
        raise GeminiBatchPreflightError(problems)
    return [item for lookup in lookups for item in lookup.objects]


def check_destinations(
    task: Any, context: Mapping[str, Any], storage: GeminiBatchStorageHook, output_uri: str, log: Log
) -> None:
    """Refuse a job whose output, or whose downstream tasks' results, cannot be written or read.

    :param task: the submit task (its DAG gives the downstream tasks).
    :param context: the submit task's context, to render the downstream ``destination_prefix`` with.
    :param storage: the hook that looks the buckets up.
    :param output_uri: the job's rendered ``output_uri_prefix``.
    :raises GeminiBatchPreflightError: a ``bq://`` output read by a split downstream, a missing bucket.
    """
    downstream = downstream_results(task, context)
    problems: list[str] = []
    kind = output_kind_problem(output_uri, downstream.readers)
    if kind is not None:
        problems.append(kind)
    uses = [*_output_use(output_uri), *downstream.uses]
    states = {bucket: storage.bucket_state(bucket) for bucket in distinct_buckets(uses)}
    missing, warnings = bucket_problems(uses, states, storage.gcp_conn_id)
    for text in warnings:
        log.warning("%s", text)
    for text in downstream.notes:
        log.info("%s", text)
    if problems or missing:
        raise GeminiBatchPreflightError([*problems, *missing])


def _output_use(output_uri: str) -> list[BucketUse]:
    if not output_uri.startswith("gs://"):
        return []  # a BigQuery table: no bucket
    return [BucketUse(parse_gs_uri(output_uri)[0], output_uri, "output_uri_prefix", "output_uri_prefix")]


def downstream_results(task: Any, context: Mapping[str, Any]) -> Downstream:
    """The split and resubmit tasks downstream of ``task`` (at any depth), and their result buckets.

    A mapped task counts with its partial ``destination_prefix``. A folder that cannot be rendered before
    the job (it needs the XCom of a task that has not run, say) is left to that task, with a note.
    """
    found = Downstream()
    for other in task.get_flat_relatives(upstream=False):
        operator_class = getattr(other, "operator_class", type(other))  # a mapped task: the class it maps
        if not (isinstance(operator_class, type) and getattr(operator_class, "reads_job_output", False)):
            continue
        label = f"{other.task_id} ({operator_class.__name__})"
        found.readers.append(label)
        partial: Mapping[str, Any] = getattr(other, "partial_kwargs", None) or {}
        prefix = partial.get(RESULTS_FIELD) if partial else getattr(other, RESULTS_FIELD, None)
        rendered = _rendered(other, prefix, context)
        if rendered is None:
            found.notes.append(
                f"The results folder of {label} is only known when it runs ({prefix!r}); its bucket is not "
                "checked before the job"
            )
            continue
        try:
            bucket = parse_gs_uri(rendered)[0]
        except ValueError:
            continue  # not a gs:// folder: that task refuses it itself
        what = f"{other.task_id}'s destination_prefix"
        found.uses.append(BucketUse(bucket, rendered, what, f"the destination_prefix of {other.task_id}"))
    return found


def _rendered(other: Any, value: object, context: Mapping[str, Any]) -> str | None:
    """``value`` (a downstream task's field) rendered with the submit task's context, or ``None`` when it
    is no string (an XComArg) or cannot be rendered yet."""
    if not isinstance(value, str):
        return None
    if "{{" not in value and "{%" not in value:
        return value
    try:
        rendered = other.render_template(value, {**context, "task": other})
    except Exception:  # an undefined variable, an XCom not there yet: that task renders it when it runs
        return None
    return rendered if isinstance(rendered, str) else None


def stale_jobs(jobs: Iterable[Mapping[str, Any]], fingerprint: str) -> list[str]:
    """The names of the jobs, among those of one task instance, that were asked for something else than
    ``fingerprint`` and have not ended."""
    return [
        str(job["name"])
        for job in jobs
        if (job.get("labels") or {}).get(REQUEST_LABEL) != fingerprint and job.get("state") not in TERMINAL_STATES
    ]


def cancel_stale_jobs(
    hook: GeminiBatchHook, identity: Mapping[str, str], fingerprint: str, project: str, log: Log
) -> list[str]:
    """Cancel the jobs of this task instance (``identity``'s key) that were asked for something else and still
    wait or run: their answers are stale, and would be paid for in vain. Each is named in a warning; a
    cancel that fails is warned about and does not stop the new job.

    :return: the names of the jobs asked to cancel.
    """
    key = {IDENTITY_LABEL: identity[IDENTITY_LABEL]}
    names = stale_jobs(hook.find_jobs(key, project), fingerprint)
    for name in names:
        log.warning(
            "Cancelling batch job %s, which an earlier try of this task created for other input (it changed "
            "since), another model or another output: its answers would be stale", name,
        )
        try:
            hook.cancel_job(name)
        except GeminiBatchApiError as err:
            log.warning("Could not cancel %s (%s); cancel it in the console if it still runs", name, err)
    return names
