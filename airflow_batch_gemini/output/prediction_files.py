"""Which files under a job's Cloud Storage output directory hold its output rows. Pure."""

from __future__ import annotations

from collections.abc import Iterable

#: The folder where the service writes copies of rows while the job runs.
INCREMENTAL_DIRECTORY = "incremental_predictions"


def select_prediction_files(names: Iterable[str]) -> list[str]:
    """Pick the output files to read among object names relative to the output directory.

    Every ``*.jsonl`` is taken, in sorted order.

    Files under an ``incremental_predictions`` folder repeat rows of the final files, so they are
    left out as soon as one final (non-incremental) file exists.
    """
    jsonl = sorted(name for name in names if name.endswith(".jsonl"))
    final = [name for name in jsonl if INCREMENTAL_DIRECTORY not in name.split("/")[:-1]]
    return final or jsonl
