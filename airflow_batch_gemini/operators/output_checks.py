"""Where the split and the resubmission read and write, checked when the DAG is parsed: a DAG whose split can
never read its job's output, or whose results can go nowhere, shows an import error instead of a failed run.

Only what is written out is checked: a value with Jinja in it (``{{ ... }}``, ``{% ... %}``) is known at run
time only, when the operators check it again. Also the longest row they read (:func:`check_max_row_bytes`).
"""

from __future__ import annotations

from airflow_batch_gemini.bounds import DEFAULT_MAX_ROW_BYTES
from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from airflow_batch_gemini.uris import parse_gs_uri

#: The XCom key of an operator's return value: a submit task's manifest.
RETURN_KEY = "return_value"


def written_out(value: object) -> str | None:
    """``value`` if it is a string without Jinja, else ``None`` (a template, an XComArg, ...)."""
    if isinstance(value, str) and "{{" not in value and "{%" not in value:
        return value
    return None


def on_cloud_storage(uri: str) -> bool:
    """Whether ``uri`` is a ``gs://BUCKET/...`` URI."""
    try:
        parse_gs_uri(uri)
    except ValueError:
        return False
    return True


def unsplittable_output(where: str, output: str) -> GeminiBatchConfigurationError:
    """The error of a split given an output that is not on Cloud Storage (``where`` says whose it is)."""
    return GeminiBatchConfigurationError(
        f"{where} {output!r} is not a gs:// directory: the split reads Cloud Storage output only. A job that "
        "writes to BigQuery (bq://...) has its rows in a table: query it instead, or give the job a gs:// "
        "output_uri_prefix."
    )


def check_gs_folder(name: str, value: object) -> None:
    """Check a parameter that names a Cloud Storage folder, when it is written out.

    :raises GeminiBatchConfigurationError: it is not a ``gs://BUCKET/PATH`` URI.
    """
    text = written_out(value)
    if text is not None and not on_cloud_storage(text):
        raise GeminiBatchConfigurationError(
            f"{name} is {text!r}, not a Cloud Storage folder: give gs://BUCKET/PATH (e.g. with {{{{ run_id }}}} in it)"
        )


def check_output_directory(output_directory: object) -> None:
    """Check the ``output_directory`` a split is given, when it is written out.

    :raises GeminiBatchConfigurationError: it is not on Cloud Storage (e.g. a ``bq://`` table).
    """
    text = written_out(output_directory)
    if text is not None and not on_cloud_storage(text):
        raise unsplittable_output("output_directory", text)


def check_submitted_output(job_manifest: object) -> None:
    """Check the output of the job a split reads, when ``job_manifest`` is a submit task's XComArg
    (``submit.output``) and that task's ``output_uri_prefix`` is written out.

    :raises GeminiBatchConfigurationError: the job writes elsewhere than Cloud Storage (e.g. ``bq://``).
    """
    operator = getattr(job_manifest, "operator", None)
    if not isinstance(operator, GeminiBatchSubmitJobOperator) or getattr(job_manifest, "key", None) != RETURN_KEY:
        return
    output = written_out(operator.output_uri_prefix)
    if output is not None and not on_cloud_storage(output):
        raise unsplittable_output(f"job_manifest is the output of task {operator.task_id!r}, whose output_uri_prefix",
                                  output)


def check_max_row_bytes(max_row_bytes: object) -> int:
    """``max_row_bytes`` as given, once checked: a whole number of bytes, 1 or more.

    :raises GeminiBatchConfigurationError: anything else (a ``bool``, a float, text, zero or less).
    """
    if isinstance(max_row_bytes, bool) or not isinstance(max_row_bytes, int) or max_row_bytes < 1:
        raise GeminiBatchConfigurationError(
            f"max_row_bytes is {max_row_bytes!r}; give the longest output row to read, a whole number of bytes of 1 "
            f"or more (default {DEFAULT_MAX_ROW_BYTES:,}): a longer row is not read, it fails as ROW_TOO_LARGE"
        )
    return max_row_bytes
