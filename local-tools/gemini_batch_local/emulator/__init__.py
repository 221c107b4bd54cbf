"""A local emulator of the Vertex AI ``batchPredictionJobs`` REST API for Gemini batch prediction.

Run it with ``python -m gemini_batch_local.emulator``; see ``docs/emulator.md``.
"""

from __future__ import annotations
