"""A local emulator of the Vertex AI ``batchPredictionJobs`` REST API for Gemini batch prediction.

Run it with ``python -m airflow_batch_gemini.emulator``; see ``docs/emulator.md``.
"""

from __future__ import annotations
