"""A run folder's training summary (``train_metrics.csv``, results/README.md): metrics.csv's
header and its rows at the run's evaluation steps and its last step
(``run/records/train_summary.py``), ``step`` first, then the algorithm's ``train/*`` columns and
``time/elapsed_s``.

Results come from pull requests: the file is untrusted data. A folder without it (results made
before it was exported) gives None, silently; a file that cannot be read or does not hold that
table gives None with one ``ResultsFileWarning`` naming it and the problem (as ``episodes.py``
does for episodes.csv), and the run's other files still count. Nothing in it is ever run or
shown as markup: only numbers of known columns reach the pages."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

from curatedrl.benchmarks.leaderboard.csv_file import read_csv_file
from curatedrl.run.records.rundir import ResultsFileWarning
from curatedrl.run.records.train_summary import TRAIN_METRICS_FILE

MAX_BYTES = 1024 * 1024  # a few rows per run; a whole metrics.csv is not this file
MAX_ABS_VALUE = 1e12
ESS = "train/weight_ess"  # iw-BC's effective sample size, a fraction of the batch
BOUNDS = {ESS: (0.0, 1.0 + 1e-9)}  # columns with a known range (ESS: rounding above 1)
_NAME = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")
_INT = re.compile(r"[0-9]+")

Rows = list[dict[str, float | None]]  # "step" an int


def _value(text: str, key: str) -> float | None:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"field {key!r} must be a number, got {text[:40]!r}") from None
    low, high = BOUNDS.get(key, (-MAX_ABS_VALUE, MAX_ABS_VALUE))
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"field {key!r} must be a finite number in [{low:g}, {high:g}], "
                         f"got {text[:40]!r}")
    return value


def _header_problem(header: list[str] | None) -> str | None:
    if not header or header[0] != "step":
        return f"its header must start with step, got {','.join(header or [])[:80]!r}"
    for name in header[1:]:
        if not _NAME.fullmatch(name):
            return f"column name {name[:40]!r} is not a metric name (letters, digits, _ . - /)"
    if len(set(header)) != len(header):
        return "its header names a column twice"
    return None


def read_train_metrics(path: Path) -> tuple[Rows | None, str | None]:
    """(the rows, None) or (None, the problem): one dict per row, ``step`` an int and every
    metric a float (None for an empty field), in file order."""
    header, lines, problem = read_csv_file(
        path, MAX_BYTES, f"{MAX_BYTES // 1024} KiB (a summary holds a few rows)")
    problem = problem or _header_problem(header)
    if problem:
        return None, problem
    rows: Rows = []
    for i, fields in enumerate(lines, start=2):
        if len(fields) != len(header):
            return None, f"line {i}: {len(fields)} fields, expected {len(header)}"
        if not _INT.fullmatch(fields[0]):
            return None, f"line {i}: field 'step' must be an integer >= 0, got " \
                f"{fields[0][:40]!r}"
        step = int(fields[0])
        if rows and step <= rows[-1]["step"]:
            return None, f"line {i}: step {step} does not come after step " \
                f"{rows[-1]['step']}"
        try:
            values = {k: _value(v, k) for k, v in zip(header[1:], fields[1:])}
        except ValueError as exc:
            return None, f"line {i}: {exc}"
        rows.append({"step": step, **values})
    return (rows, None) if rows else (None, "it holds no rows")


def load_train_metrics(run_dir: Path) -> Rows | None:
    """The training summary of a run folder (``read_train_metrics``); None without the file,
    or, with one warning naming it, when it is unusable."""
    path = Path(run_dir) / TRAIN_METRICS_FILE
    if not path.is_file():
        return None
    rows, problem = read_train_metrics(path)
    if rows is None:
        warnings.warn(f"ignoring the training summary {str(path)!r}: {problem}",
                      ResultsFileWarning, stacklevel=2)
    return rows
