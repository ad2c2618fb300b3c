"""Per-episode evaluation returns of one run folder (``episodes.csv``, results/README.md):
``step,phase,episode,return,normalized_score,length``, one row per evaluation episode, ``phase``
``eval`` (a periodic evaluation at gradient step ``step``) or ``final`` (the final evaluation, at
the run's last step), ``episode`` 0..n-1 within its evaluation, ``normalized_score`` empty for a
dataset without reference returns.

Results come from pull requests: the file is untrusted data. A folder without it (results made
before it was kept) gives None, silently; a file that cannot be read or does not hold that table
gives None with one ``ResultsFileWarning`` naming it and the problem, as ``results.py`` does for
a damaged eval.csv. Nothing in it is ever run or shown as markup."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path
from typing import Any

from curatedrl.benchmarks.leaderboard.csv_file import read_csv_file
from curatedrl.run.records.rundir import ResultsFileWarning
from curatedrl.run.records.runrecord import EPISODES_FILE, EPISODE_COLUMNS

MAX_BYTES = 64 * 1024 * 1024  # ~20,000 evaluations of 10 episodes take ~1.5 MB
MAX_ABS_VALUE = 1e9  # a return or score beyond this is no result (results.MAX_ABS_SCORE: 1e6)
PHASES = ("eval", "final")
_INT = re.compile(r"[0-9]+")


def episodes_path(run_dir: Path) -> Path | None:
    """The folder's ``episodes.csv``, or None when it has none."""
    path = Path(run_dir) / EPISODES_FILE
    return path if path.is_file() else None


def _number(text: str, key: str, empty_ok: bool = False) -> float | None:
    if empty_ok and text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"field {key!r} must be a number, got {text!r}") from None
    if not math.isfinite(value) or abs(value) > MAX_ABS_VALUE:
        raise ValueError(f"field {key!r} must be a finite number within ±{MAX_ABS_VALUE:g}, "
                         f"got {text!r}")
    return value


def _count(text: str, key: str) -> int:
    if not _INT.fullmatch(text):
        raise ValueError(f"field {key!r} must be an integer >= 0, got {text!r}")
    return int(text)


def _row(raw: dict[str, Any]) -> dict[str, Any]:
    phase = raw["phase"]
    if phase not in PHASES:
        raise ValueError(f"field 'phase' must be one of {', '.join(PHASES)}, got {phase!r}")
    return {"step": _count(raw["step"], "step"), "phase": phase,
            "episode": _count(raw["episode"], "episode"),
            "return": _number(raw["return"], "return"),
            "normalized_score": _number(raw["normalized_score"], "normalized_score", True),
            "length": _count(raw["length"], "length")}


def _order_problem(rows: list[dict[str, Any]]) -> str | None:
    """Whether the rows are evaluations in step order, each numbering its episodes 0..n-1,
    with at most one final evaluation, the last one."""
    previous = None
    for i, row in enumerate(rows, start=2):
        key = (row["step"], row["phase"])
        start = previous is None or key != previous[1]
        if start and previous is not None and previous[0] == "final":
            return f"line {i}: an evaluation after the final one"
        want = 0 if start else previous[2] + 1
        if row["episode"] != want:
            return f"line {i}: episode {row['episode']}, expected {want}"
        if start and previous is not None and row["step"] < previous[1][0]:
            return f"line {i}: step {row['step']} comes after step {previous[1][0]}"
        previous = (row["phase"], key, row["episode"])
    return None


def read_episodes(path: Path) -> tuple[list[dict[str, Any]] | None, str | None]:
    """(the rows of an episodes.csv, None) or (None, the problem)."""
    header, lines, problem = read_csv_file(path, MAX_BYTES, f"{MAX_BYTES // 2**20} MiB")
    if problem:
        return None, problem
    if header != list(EPISODE_COLUMNS):
        return None, (f"its header must be {','.join(EPISODE_COLUMNS)}, got "
                      f"{','.join(header or [])!r}")
    rows = []
    for i, fields in enumerate(lines, start=2):
        if len(fields) != len(EPISODE_COLUMNS):
            return None, f"line {i}: {len(fields)} fields, expected {len(EPISODE_COLUMNS)}"
        try:
            rows.append(_row(dict(zip(EPISODE_COLUMNS, fields))))
        except ValueError as exc:
            return None, f"line {i}: {exc}"
    if not rows:
        return None, "it holds no episodes"
    problem = _order_problem(rows)
    return (None, problem) if problem else (rows, None)


def load_episodes(run_dir: Path) -> list[dict[str, Any]] | None:
    """The evaluation episodes of a run folder: one dict per row of its ``episodes.csv``
    (``step`` int, ``phase`` "eval" | "final", ``episode`` int, ``return`` float,
    ``normalized_score`` float or None, ``length`` int), in file order. None when the folder
    has no such file, or (with one warning naming it) when the file is unusable."""
    path = episodes_path(run_dir)
    if path is None:
        return None
    rows, problem = read_episodes(path)
    if rows is None:
        warnings.warn(f"ignoring the episode returns {str(path)!r}: {problem}",
                      ResultsFileWarning, stacklevel=2)
    return rows


def read_final_scores(run_dir: Path) -> tuple[Any, str | None]:
    """(normalised scores of the final evaluation's episodes as an array, None); (None, None)
    without an episodes.csv; (None, the problem) when it cannot be used (the tuning view's
    bandit draws its pulls from these)."""
    import numpy as np

    path = episodes_path(run_dir)
    if path is None:
        return None, None
    rows, problem = read_episodes(path)
    if rows is None:
        return None, problem
    final = [r["normalized_score"] for r in rows if r["phase"] == "final"]
    if not final:
        return None, "it has no final rows (the final evaluation's episodes)"
    if any(score is None for score in final):
        return None, "its final rows have no normalized_score (a dataset without references)"
    return np.asarray(final, dtype=float), None


def episode_scores(runs: list) -> tuple[list, list]:
    """The runs (results.Run) with a usable episodes.csv, each with its final episodes'
    normalised scores, and the runs whose episodes.csv is skipped, with why (one warning
    each). Runs without the file are in neither list."""
    covered, bad = [], []
    for run in runs:
        if run.path is None:
            continue
        scores, problem = read_final_scores(run.path)
        if problem is not None:
            warnings.warn(f"ignoring {str(Path(run.path) / EPISODES_FILE)!r}: {problem}",
                          ResultsFileWarning, stacklevel=2)
            bad.append((run, f"{EPISODES_FILE}: {problem}"))
        elif scores is not None:
            covered.append((run, scores))
    return covered, bad
