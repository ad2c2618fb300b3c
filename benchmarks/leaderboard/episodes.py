"""A run's per-episode returns: ``episodes.csv`` beside its final.json, read defensively.

Header ``step,phase,episode,return,normalized_score,length``; ``phase`` is ``eval`` (a periodic
evaluation at gradient step ``step``) or ``final`` (the final evaluation). The tuning-budget view
(``tuning_view.py``) draws its bandit's pulls from the ``final`` rows' normalised scores.

Results are untrusted data: a missing file means the run is not covered (runs made before the
file existed); an unreadable or malformed one is skipped with one ``ResultsFileWarning`` that
names it and the problem, and the pages list it, never a crash (as ``results.py`` does for
unusable runs).
"""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path

import numpy as np

from curatedrl.benchmarks.leaderboard.results import MAX_ABS_SCORE, Run
from curatedrl.run.records.rundir import ResultsFileWarning

EPISODES_FILE = "episodes.csv"
COLUMNS = ("step", "phase", "episode", "return", "normalized_score", "length")
PHASES = ("eval", "final")


def _number(row: dict[str, str], key: str, line: int, whole: bool = False) -> float:
    """A finite number of the row (an integer value if ``whole``); ValueError naming it."""
    raw = row.get(key)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"line {line}: field {key!r} must be a number, got {raw!r}") from None
    if not math.isfinite(value) or (whole and value != int(value)):
        raise ValueError(f"line {line}: field {key!r} must be a finite "
                         f"{'whole ' if whole else ''}number, got {raw!r}")
    return value


def parse_final_scores(rows: list[dict[str, str]], fields: list[str] | None
                       ) -> tuple[np.ndarray | None, str | None]:
    """The ``final`` rows' normalised scores of an episodes.csv's rows, or the problem."""
    missing = [c for c in COLUMNS if c not in (fields or [])]
    if missing:
        return None, f"its header lacks {', '.join(missing)} (want {','.join(COLUMNS)})"
    final = []
    try:
        for line, row in enumerate(rows, start=2):  # line 1 is the header
            if row.get("phase") not in PHASES:
                raise ValueError(f"line {line}: field 'phase' must be eval or final, "
                                 f"got {row.get('phase')!r}")
            for key in ("step", "episode", "length"):
                _number(row, key, line, whole=True)
            _number(row, "return", line)
            score = _number(row, "normalized_score", line)
            if abs(score) > MAX_ABS_SCORE:
                raise ValueError(f"line {line}: a normalized_score beyond ±{MAX_ABS_SCORE:g}")
            if row["phase"] == "final":
                final.append(score)
    except ValueError as exc:
        return None, str(exc)
    if not final:
        return None, "it has no final rows (the final evaluation's episodes)"
    return np.asarray(final, dtype=float), None


def read_final_scores(run_dir: Path) -> tuple[np.ndarray | None, str | None]:
    """(scores of the final evaluation's episodes, None); (None, None) without an
    episodes.csv; (None, the problem) when it cannot be used."""
    path = Path(run_dir) / EPISODES_FILE
    if not path.exists():
        return None, None
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            fields = reader.fieldnames
    except (OSError, ValueError, UnicodeDecodeError, csv.Error) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return parse_final_scores(rows, fields)


def episode_scores(runs: list[Run]) -> tuple[list[tuple[Run, np.ndarray]],
                                             list[tuple[Run, str]]]:
    """The runs with a usable episodes.csv, each with its final episodes' normalised scores,
    and the runs whose episodes.csv is skipped, with why (one warning each). Runs without the
    file are in neither list."""
    covered, bad = [], []
    for run in runs:
        if run.path is None:
            continue
        scores, problem = read_final_scores(run.path)
        if problem is not None:
            warnings.warn(f"ignoring {str(run.path / EPISODES_FILE)!r}: {problem}",
                          ResultsFileWarning, stacklevel=2)
            bad.append((run, f"{EPISODES_FILE}: {problem}"))
        elif scores is not None:
            covered.append((run, scores))
    return covered, bad
