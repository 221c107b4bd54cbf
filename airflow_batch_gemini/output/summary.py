"""The results of a split or of all resubmission rounds as a small text table for the task log. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def summary_table(manifest: Mapping[str, Any]) -> str:
    """The result counts, failures and token usage as a small text table for the task log."""
    lines = [f"{'rows':<28}{'count':>12}  file"]
    for name in ("succeeded", "failed", "missing"):
        lines.append(f"{name:<28}{manifest.get(name, 0):>12,}  {manifest.get(f'{name}_uri', '')}")
    if manifest.get("input_rows") is not None:
        lines.append(f"{'input rows':<28}{manifest['input_rows']:>12,}")
    for status, count in (manifest.get("failures_by_status") or {}).items():
        lines.append(f"{'  failed: ' + status:<28}{count:>12,}")
    for name, count in (manifest.get("token_usage") or {}).items():
        if count:
            lines.append(f"{'tokens: ' + name:<28}{count:>12,}")
    lines.extend(f"DISAGREEMENT: {text}" for text in manifest.get("disagreements") or [])
    return "\n".join(lines)
