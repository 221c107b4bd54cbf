"""The triggerer imports trigger classes on its event loop: ours must not drag in the Google provider."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("airflow.providers.google.common", "googleapiclient", "airflow_batch_gemini.hooks")


def test_loading_the_trigger_class_does_not_import_the_google_provider() -> None:
    code = (
        "import sys\n"
        "from airflow_batch_gemini.triggers.batch_job import GeminiBatchJobTrigger\n"
        f"print(','.join(m for m in sys.modules if m.startswith({HEAVY!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"imported on the event loop: {result.stdout}"
