"""A run's compact training summary, ``train_metrics.csv``: the header of its ``metrics.csv``
and the rows whose step is one of its evaluation steps (eval.csv), plus its last row, each line
exactly as metrics.csv holds it (no value re-read or re-written). The sweep exports it with the
run's other small files (results/README.md); the full metrics.csv (a row every 10 steps: MBs
for a long run) stays in the run directory."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable

TRAIN_METRICS_FILE = "train_metrics.csv"


def _step(line: bytes, column: int) -> int | None:
    """The integer in field ``column`` of one CSV line, or None."""
    try:
        fields = next(csv.reader([line.decode("utf-8")]))
        return int(fields[column])
    except (UnicodeDecodeError, csv.Error, IndexError, ValueError, StopIteration):
        return None


def summary_rows(metrics: bytes, steps: Iterable[int]) -> bytes | None:
    """The header of ``metrics`` (a metrics.csv's bytes) and, in file order, its rows whose
    ``step`` is one of ``steps``, plus its last row; each line as it is, line ending included.
    None when it has no header with a ``step`` column or no row."""
    lines = [ln for ln in metrics.splitlines(keepends=True) if ln.strip()]
    if len(lines) < 2:
        return None
    try:
        header = next(csv.reader([lines[0].decode("utf-8")]))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    if "step" not in header:
        return None
    column, wanted = header.index("step"), set(steps)
    rows = lines[1:]
    kept = [ln for ln in rows[:-1] if _step(ln, column) in wanted] + [rows[-1]]
    return b"".join([lines[0], *kept])


def eval_steps(eval_csv: Path) -> list[int]:
    """The steps of a run's evaluations (its eval.csv's ``step`` column; [] if unreadable)."""
    try:
        with open(eval_csv, newline="", encoding="utf-8") as f:
            return [int(row["step"]) for row in csv.DictReader(f)]
    except (OSError, UnicodeDecodeError, csv.Error, KeyError, TypeError, ValueError):
        return []


def train_summary(run_dir: Path) -> bytes | None:
    """The ``train_metrics.csv`` of a run directory (``summary_rows`` of its metrics.csv at its
    eval.csv's steps), or None when it has no usable metrics.csv."""
    metrics = Path(run_dir) / "metrics.csv"
    if not metrics.is_file():
        return None
    return summary_rows(metrics.read_bytes(), eval_steps(Path(run_dir) / "eval.csv"))
