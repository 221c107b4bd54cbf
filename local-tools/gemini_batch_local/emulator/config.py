"""The settings of the emulator's job service (``python -m gemini_batch_local.emulator --help``)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from .faults import Behaviour
from .validation import KNOWN_MODELS


@dataclass
class ServiceConfig:
    """Settings of the job service (see ``python -m gemini_batch_local.emulator --help``)."""

    seed: int = 0
    defaults: Behaviour = field(default_factory=Behaviour)
    known_models: Collection[str] = KNOWN_MODELS
    tick_seconds: float = 0.05
    incremental_seconds: float = 0.0
    state_file: Path | None = None
    bigquery_mirror: str | None = None
