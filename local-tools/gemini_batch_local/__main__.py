"""``python -m gemini_batch_local -- COMMAND``: the same as the ``gemini-batch-local`` command."""

from __future__ import annotations

import sys

from gemini_batch_local.cli import main

sys.exit(main())
