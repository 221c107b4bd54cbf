"""What the example DAGs share: the DAG author's settings, and the folder of one run's files.

The settings are read from the environment when a DAG file is parsed (set them for the dag-processor and
the workers alike), never from a run's trigger form: a person who triggers a run chooses its input and
model, not where the files go or which of the workers' files it may read.

- ``GEMINI_BATCH_BUCKET``: the bucket of every file the DAGs write and of their Assets (default
  ``gemini-batch-demo``).
- ``GEMINI_BATCH_INPUT_DIR``: the one folder a local ``input_source`` may be in (the prepare operator's
  ``local_base_dir``: a relative path is taken from it, ``..`` and links cannot leave it). Default: the
  sample folder shipped with the package (``data/``), whose ``requests.jsonl`` is the default input.
- ``GEMINI_BATCH_POLL_INTERVAL``: seconds between two looks at a job (default 30).

The DAGs' tasks read from and write to :data:`BUCKET` only (:data:`ALLOWED_PREFIXES`, their
``allowed_source_prefixes`` and ``allowed_destination_prefixes``), and the prepare reads a ``gs://`` input from
its ``incoming/`` folder only (:data:`INPUT_PREFIXES`), which no task writes: a trigger form's ``input_source``
can name neither another team's object nor another run's files (its prompts, its answers).

Each run writes under a folder of its own, :func:`run_folder`: its run id, which every run has (one
triggered with ``logical_date: null`` from the REST API or the UI's trigger form has no ``ds``), which
no other run of the DAG has (two runs of one date, a scheduled one and a manual one, do not share
files), and which a run keeps when it is cleared or re-run by a backfill (so a re-run finds its files
and its job again). A backfill's runs are one per date: ``backfill__2026-01-01T00:00:00+00:00``.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

BUCKET = os.environ.get("GEMINI_BATCH_BUCKET", "gemini-batch-demo")
POLL_INTERVAL = float(os.environ.get("GEMINI_BATCH_POLL_INTERVAL", "30"))
#: The only locations the DAGs' tasks read from and write to: the bucket.
ALLOWED_PREFIXES = [f"gs://{BUCKET}/"]
#: Where the prepare reads a ``gs://`` input from: a folder of the bucket that no task writes.
INPUT_PREFIXES = [f"gs://{BUCKET}/incoming/"]
#: The sample input shipped with the package: ten requests, two of which ask for more output tokens than
#: the model gives (the service fails those rows, so a run shows both result files).
SAMPLE_FOLDER = Path(__file__).resolve().parent / "data"
INPUT_DIR = os.environ.get("GEMINI_BATCH_INPUT_DIR", str(SAMPLE_FOLDER))
#: The default ``input_source``: ``requests.jsonl`` of :data:`INPUT_DIR` (the sample unless it is set).
DEFAULT_INPUT = "requests.jsonl"
#: Characters of a run id kept as they are in an object name: those of Airflow's default
#: ``allowed_run_id_pattern`` (letters, digits, ``_.~:+-``), which Cloud Storage and gcloud read as plain text.
_KEPT_IN_NAMES = ":+"


def run_folder(run_id: str) -> str:
    """The folder of one run's files below a DAG's prefix: its run id as one part of an object name.

    Airflow's default run id characters are kept; any other one (``/``, ``*``, ``#``, ``[`` ... that a
    custom ``allowed_run_id_pattern`` may allow) is %-escaped, ``%`` itself included, so that two run ids
    never share a folder; a run id of dots only is escaped whole.
    """
    if not run_id.strip("."):
        return run_id.replace(".", "%2E")
    return quote(run_id, safe=_KEPT_IN_NAMES)


#: The DAGs' ``user_defined_macros``: :func:`run_folder` for their templates.
MACROS = {"run_folder": run_folder}


def partition(prefix: str) -> str:
    """The templated ``gs://`` folder of one run's files under ``prefix`` in :data:`BUCKET`, for operator
    arguments: ``gs://{BUCKET}/{prefix}/{run id}``. The DAG needs ``user_defined_macros=MACROS``."""
    return f"gs://{BUCKET}/{prefix}/{{{{ run_folder(run_id) }}}}"
