"""The checks before a batch job is created: what would make a job fail after it was queued, or be paid for
only to fail when its results are written. Pure: the hooks look things up, the submit operator gathers the
lookups, and these functions decide, each problem said with what to change.

- the model path agrees with the location (:func:`check_model_location`; that the location is well formed is
  :func:`~airflow_batch_gemini.job.names.check_location`'s, beside the other names);
- every input URI names objects that exist and can be read, a wildcard matches at least one, and none of
  them is a file the package wrote that is no job input, e.g. a rejects file (:func:`input_problems`);
- the output kind is one the downstream tasks can read (:func:`output_kind_problem`);
- the output bucket and the downstream tasks' result buckets exist (:func:`bucket_problems`). A bucket
  that cannot be looked up (403: the connection may not get buckets, ``storage.buckets.get``, common for
  least-privilege service accounts that may still write objects) does not block the job: it is said in
  the log, and a missing one then shows when it is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from airflow_batch_gemini.job.identity import InputContent
from airflow_batch_gemini.job.names import InvalidNameError, model_location
from airflow_batch_gemini.package_files import may_be_job_input, package_file_kind

#: What a bucket lookup found: there, not there, or not allowed to tell (403).
BucketState = Literal["exists", "missing", "forbidden"]

#: How many objects a message names at most.
_SHOWN = 10


class StoredContent(InputContent, Protocol):
    """What pre-flight and the fingerprint read of a stored object
    (:class:`~airflow_batch_gemini.hooks.storage.StoredObject` is one)."""

    @property
    def metadata(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class InputLookup:
    """What one input URI names now, as the storage hook found it.

    :param uri: the URI as given (with wildcards, if any).
    :param objects: the objects it names now: the object itself, or those its wildcard matches.
    :param denied: the permission a 403 said the connection lacks (``storage.objects.get`` or
        ``storage.objects.list``), if the lookup was refused.
    :param bucket_missing: the URI's bucket does not exist.
    """

    uri: str
    objects: Sequence[StoredContent] = ()
    denied: str | None = None
    bucket_missing: bool = False

    @property
    def is_wildcard(self) -> bool:
        """Whether the URI has wildcards (``*``, ``**``) in its object name."""
        return "*" in self.uri.partition("://")[2].partition("/")[2]


@dataclass(frozen=True)
class BucketUse:
    """A bucket a job or a downstream task will write to, and who says so.

    :param bucket: the bucket's name.
    :param uri: the URI that names it, e.g. the output prefix.
    :param what: who writes there, for messages, e.g. ``output_uri_prefix`` or ``split_results's destination_prefix``.
    :param change: what to change if it is wrong, e.g. ``output_uri_prefix``.
    """

    bucket: str
    uri: str
    what: str
    change: str


def check_model_location(model: str, location: str) -> None:
    """Raise :class:`InvalidNameError` when ``model`` (a resource name) lives in another location than the job.

    A tuned model ``projects/P/locations/L/models/M`` (or a publisher model named through
    ``projects/P/locations/L/publishers/...``) must be in the job's location; ``publishers/P/models/M``
    is served everywhere.
    """
    where = model_location(model)
    if where is not None and where != location:
        raise InvalidNameError(
            f"model {model} is in location {where!r} but the job's location is {location!r}; a batch job runs "
            f"where its model is: set location={where!r}, or give a model of {location}"
        )


def input_problems(lookups: Iterable[InputLookup], connection: str) -> list[str]:
    """What is wrong with the input, one line per problem (empty when a job may read it).

    :param lookups: what each input URI names now.
    :param connection: the Airflow connection the lookups used, for messages.
    """
    problems: list[str] = []
    for lookup in lookups:
        if lookup.bucket_missing:
            bucket = lookup.uri.partition("://")[2].partition("/")[0]
            problems.append(f"{lookup.uri}: the bucket gs://{bucket} does not exist; check input_uris")
        elif lookup.denied is not None:
            problems.append(
                f"{lookup.uri} cannot be read with connection {connection!r} (403: it lacks {lookup.denied}); "
                "grant it roles/storage.objectViewer on the bucket, or set impersonation_chain to a service "
                "account that has it. The input is looked at before the job so that a job is never created "
                "for input that cannot be read, and so that a changed input gets a new job"
            )
        elif not lookup.objects and lookup.is_wildcard:
            problems.append(
                f"{lookup.uri} matches no object now; a job would fail after it was queued. Check the wildcard, "
                "or that the upstream task wrote its files"
            )
        elif not lookup.objects:
            problems.append(
                f"{lookup.uri} does not exist; a job would fail after it was queued. Check input_uris, or pass "
                "the prepare task's output"
            )
        else:
            problems.extend(_package_file_problem(lookup))
    return problems


def _package_file_problem(lookup: InputLookup) -> list[str]:
    """The objects of ``lookup`` the package wrote as something else than a job's input (e.g. rejects)."""
    foreign = [item for item in lookup.objects if not may_be_job_input(item.metadata)]
    if not foreign:
        return []
    named = ", ".join(f"{item.uri} ({package_file_kind(item.metadata)})" for item in foreign[:_SHOWN])
    more = f" and {len(foreign) - _SHOWN} more" if len(foreign) > _SHOWN else ""
    if lookup.is_wildcard:
        return [
            f"{lookup.uri} matches {len(foreign)} file(s) this package wrote that are no job input: {named}{more}. "
            "Narrow the wildcard so that it matches only input (e.g. requests*.jsonl), or pass the prepare "
            "task's output"
        ]
    return [f"{named} is a file this package wrote that is no job input; give the input file instead"]


def output_kind_problem(output_uri: str, readers: Sequence[str]) -> str | None:
    """Why the job's output cannot be read by the downstream tasks that read it, if it cannot.

    :param output_uri: the job's ``output_uri_prefix``.
    :param readers: the downstream tasks that read the job's output, e.g. ``["split_results
        (GeminiBatchSplitOutputOperator)"]``; they read Cloud Storage output only.
    """
    if not output_uri.startswith("bq://") or not readers:
        return None
    return (
        f"output_uri_prefix {output_uri} is a BigQuery table, but {', '.join(readers)} downstream read(s) the "
        "job's output from Cloud Storage only: give a gs:// output_uri_prefix, or read the table with a task of "
        "your own instead"
    )


def bucket_problems(
    uses: Iterable[BucketUse], states: Mapping[str, BucketState], connection: str
) -> tuple[list[str], list[str]]:
    """The problems (a missing bucket) and the warnings (a bucket that could not be looked up) of ``uses``.

    :param uses: the buckets the job and its downstream tasks write to.
    :param states: what the lookup of each bucket found.
    :param connection: the Airflow connection the lookups used, for messages.
    :return: ``(problems, warnings)``, one line each.
    """
    problems: list[str] = []
    warnings: list[str] = []
    for use in uses:
        state = states.get(use.bucket, "exists")
        if state == "missing":
            problems.append(
                f"{use.what} {use.uri}: the bucket gs://{use.bucket} does not exist; create it, or change "
                f"{use.change}. (Checked before the job is created, so that no job is paid for whose results "
                "cannot be written.)"
            )
        elif state == "forbidden":
            warnings.append(
                f"Cannot tell whether the bucket gs://{use.bucket} of {use.what} {use.uri} exists: connection "
                f"{connection!r} may not look up buckets (403, storage.buckets.get). Going on; if it does not "
                "exist, that shows only when it is written"
            )
    return problems, warnings


def distinct_buckets(uses: Iterable[BucketUse]) -> list[str]:
    """The buckets of ``uses``, each once, in order (so that each is looked up once)."""
    return list(dict.fromkeys(use.bucket for use in uses))
