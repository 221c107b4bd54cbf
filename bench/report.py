"""The bench's outputs: the printed table, ``results.json`` and ``results.png``."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from bench.registry import Row, Sizes

COLUMNS = ("row", "size", "ours", "baseline", "ratio", "target", "verdict")


def table_lines(rows: Sequence[Row]) -> list[str]:
    """The table as aligned text lines, one per row, then each row's baseline name and note."""
    cells = [
        (row.name, row.size, str(row.subject), str(row.baseline), f"{row.ratio:.2f}x",
         row.target.describe(row.subject.unit), row.verdict())
        for row in rows
    ]
    widths = [max(len(header), *(len(cell[index]) for cell in cells)) for index, header in enumerate(COLUMNS)]

    def line(values: Sequence[str]) -> str:
        return " | ".join(value.ljust(width) for value, width in zip(values, widths, strict=True)).rstrip()

    out = [line(COLUMNS), "-+-".join("-" * width for width in widths)]
    out.extend(line(cell) for cell in cells)
    out.append("")
    out.extend(f"{row.name} [{row.size}]: baseline = {row.baseline_name}; {row.note}" for row in rows)
    met = sum(row.met for row in rows)
    out.append(f"{met} of {len(rows)} rows meet their target")
    return out


def write_json(path: Path, rows: Sequence[Row], sizes: Sizes, seconds: float) -> None:
    """``results.json``: the rows with ratios and verdicts, the sizes, the machine, the run time."""
    payload = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine()},
        "sizes": asdict(sizes),
        "seconds": seconds,
        "rows": [row.as_dict() for row in rows],
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def target_use(row: Row) -> float:
    """How much of its target a row uses: measured over limit (below 1 is within the target)."""
    measured = row.ratio if row.target.on == "ratio" else row.subject.value
    return measured / row.target.limit


def write_chart(path: Path, rows: Sequence[Row]) -> None:
    """``results.png``: one bar per row, measured / target on a log scale; the line at 1 is the target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{row.name}\n[{row.size}]" for row in rows]
    uses = [max(target_use(row), 1e-3) for row in rows]
    colours = ["#2e7d32" if row.met else "#c62828" for row in rows]
    figure, axes = plt.subplots(figsize=(11, 0.55 * len(rows) + 1.8))
    positions = list(range(len(rows)))[::-1]
    axes.barh(positions, uses, color=colours)
    axes.axvline(1.0, color="black", linewidth=1)
    axes.set_xscale("log")
    axes.set_xlim(min(0.5, min(uses) / 2), max(2.0, max(uses)) * 12)  # room for the labels right of the bars
    axes.set_yticks(positions, labels, fontsize=7)
    axes.set_xlabel("measured / target  (bars left of the line meet their target)")
    for position, row, use in zip(positions, rows, uses, strict=True):
        text = f"{row.ratio:.2f}x ({row.subject})  target {row.target.describe(row.subject.unit)}"
        axes.text(use, position, "  " + text, va="center", fontsize=7)
    axes.set_title("airflow-batch-gemini: make bench (green met, red gap)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
