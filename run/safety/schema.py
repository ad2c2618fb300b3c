"""What every file the project reads back must hold, checked before it is used.

- YAML (configs, schedules, ``config.yaml``): at most ``MAX_YAML_BYTES`` bytes, read with YAML's
  safe loader (a ``!!python/object`` tag is refused in one line), and at most ``MAX_YAML_NODES``
  values once anchors and aliases are expanded (a "billion laughs" file of a few hundred bytes
  would otherwise expand to gigabytes when a sweep writes it out per cell).
- ``final.json``: the fields below with their types; scores are finite numbers (``true``, ``"n/a"``,
  ``null`` and ``NaN`` are refused, never averaged). A failure record (status ``failed``: a
  non-finite training metric) has no scores; in a table it names the step it failed at.
- ``eval.csv``: an integer ``step`` and a finite ``normalized_mean`` on every row.
- ``config.yaml`` of a run: a mapping with ``algo``, ``dataset`` (strings) and ``seed`` (an int).
- ``rows.jsonl``: each line one object ``{"metrics" | "eval": {"step": int, ...}}``.
- ``resume.pt``: the step it was taken after lies in [1, the run's steps]; the journal size,
  training time and earlier resume steps are of their types and ranges (a tampered step
  would mark a run finished early, or train it past its steps).

Each check returns a problem (naming the field) or None; callers decide what a problem costs: the
leaderboard skips the file with one warning, a run stops with one line naming the file and the
fix.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import yaml

from curatedrl.errors import CuratedRLError

MAX_YAML_BYTES = 1 << 20
MAX_YAML_NODES = 100_000


def load_yaml(text: str, source: str) -> Any:
    """Safe-load YAML text (a file's, or a ``--set`` value), bounded in size and in alias
    expansion; ``source`` names it in messages, which never echo the text."""
    if len(text.encode()) > MAX_YAML_BYTES:
        raise CuratedRLError(f"{source} is {len(text.encode())} bytes; YAML files the suite "
                             f"reads are limited to {MAX_YAML_BYTES} bytes (so are --set values)")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise CuratedRLError(f"{source} is not plain YAML ({detail[:200]}); configs hold plain "
                             f"keys, numbers, strings and lists only") from None
    nodes = expanded_size(data, MAX_YAML_NODES)
    if nodes > MAX_YAML_NODES:
        raise CuratedRLError(f"{source}: its anchors and aliases expand to more than "
                             f"{MAX_YAML_NODES} values; write the values out instead of nesting "
                             f"aliases")
    return data


def read_yaml_file(path: Path) -> dict[str, Any]:
    """A YAML mapping from ``path`` (empty file: ``{}``), or one line naming the file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise CuratedRLError(f"{path} is {size} bytes; YAML files the suite reads are "
                                 f"limited to {MAX_YAML_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CuratedRLError(f"cannot read {path} ({type(exc).__name__}: {exc})") from None
    data = load_yaml(text, str(path))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CuratedRLError(f"{path} holds a YAML {type(data).__name__}, not a mapping of keys")
    return data


def expanded_size(data: Any, limit: int) -> int:
    """Values in ``data`` counting every alias again (stops counting past ``limit``)."""
    count, stack = 0, [data]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return count


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_finite_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_str(v: Any) -> bool:
    return isinstance(v, str) and bool(v)


INT, NUMBER, STR = ("an integer", is_int), ("a finite number", is_finite_number), \
    ("a non-empty string", _is_str)
Field = tuple[str, Callable[[Any], bool]]

FINAL_COMMON: dict[str, Field] = {"algo": STR, "dataset": STR, "seed": INT, "status": STR}
FINAL_FINISHED: dict[str, Field] = {
    "normalized_score_last": NUMBER, "normalized_score_best": NUMBER}
FINAL_OPTIONAL: dict[str, Field] = {
    "steps": INT, "normalized_score_last_std": NUMBER, "return_last": NUMBER,
    "dataset_hash": STR, "threads": INT, "final_eval_episodes": INT}
FINAL_FAILED: dict[str, Field] = {"failed_step": INT}  # in a table (results/)
CONFIG: dict[str, Field] = {"algo": STR, "dataset": STR, "seed": INT}


def _fields(data: Any, required: dict[str, Field], optional: dict[str, Field] | None = None
            ) -> str | None:
    if not isinstance(data, dict):
        return f"holds a {type(data).__name__}, not an object"
    for key, (what, ok) in {**required, **(optional or {})}.items():
        if key not in data:
            if key in required:
                return f"field {key!r} is missing"
            continue
        if not ok(data[key]):
            return f"field {key!r} must be {what}, got {data[key]!r}"
    return None


NUMBER_OR_NULL = ("a finite number or null (no reference scores)",
                  lambda v: v is None or is_finite_number(v))


def final_problem(data: Any, scores_required: bool = True) -> str | None:
    """What is wrong with a ``final.json`` object, or None. Without ``scores_required`` (a run
    directory rather than a table) the normalised scores may be null: a dataset without
    reference scores has none, and a failure record need not name its failed step."""
    problem = _fields(data, FINAL_COMMON)
    if problem is not None:
        return problem
    if data["status"] == "failed":
        return _fields(data, FINAL_FAILED if scores_required else {},
                       {"steps": INT, **FINAL_FAILED})
    if data["status"] != "finished":
        return f"field 'status' must be 'finished' or 'failed', got {data['status']!r}"
    required = FINAL_FINISHED if scores_required else {k: NUMBER_OR_NULL for k in FINAL_FINISHED}
    optional = FINAL_OPTIONAL if scores_required else {
        **FINAL_OPTIONAL, "normalized_score_last_std": NUMBER_OR_NULL}
    return _fields(data, required, optional)


def config_problem(data: Any) -> str | None:
    """What is wrong with a run's ``config.yaml`` mapping, or None."""
    return _fields(data, CONFIG)


def eval_rows_problem(rows: list[dict[str, str]]) -> str | None:
    """What is wrong with the rows of an ``eval.csv`` (read as strings), or None."""
    for i, row in enumerate(rows, start=2):  # line 1 is the header
        for key, parse in (("step", int), ("normalized_mean", float)):
            try:
                value = parse(row.get(key))
            except (TypeError, ValueError):
                return f"line {i}: field {key!r} must be a number, got {row.get(key)!r}"
            if not math.isfinite(value):
                return f"line {i}: field {key!r} must be finite, got {row.get(key)!r}"
    return None


def journal_line_problem(obj: Any, tables: tuple[str, ...]) -> str | None:
    """What is wrong with one decoded line of ``rows.jsonl``, or None."""
    if not isinstance(obj, dict) or len(obj) != 1:
        return "a line must be one object with a single key"
    (name, row), = obj.items()
    if name not in tables:
        return f"unknown table {name!r} (expected one of {', '.join(tables)})"
    if not isinstance(row, dict) or not is_int(row.get("step")):
        return f"a {name} row needs an integer 'step'"
    return None


def resume_problem(ckpt: Any, steps: int) -> str | None:
    """What is wrong with a loaded ``resume.pt`` of a run of ``steps`` steps, or None (the
    format version is checked before; whether its tensors fit the agent, when they are
    loaded)."""
    if not isinstance(ckpt, dict):
        return f"holds a {type(ckpt).__name__}, not a checkpoint"
    for key in ("agent", "sampler", "rng", "ref_info"):
        if key not in ckpt:
            return f"entry {key!r} is missing"
    step = ckpt.get("step")
    if not is_int(step) or not 1 <= step <= steps:
        return f"its step must be an integer in [1, {steps}] (the run's steps), got {step!r}"
    size = ckpt.get("journal_bytes")
    if not is_int(size) or size < 0:
        return f"its journal size must be an integer >= 0, got {size!r}"
    elapsed = ckpt.get("elapsed_s")
    if not is_finite_number(elapsed) or elapsed < 0:
        return f"its training time must be a finite number >= 0, got {elapsed!r}"
    resumed = ckpt.get("resumed_at")
    if not isinstance(resumed, list) or not all(is_int(s) and 1 <= s <= step for s in resumed):
        return f"its earlier resume steps must be integers in [1, {step}], got {resumed!r}"
    if not isinstance(ckpt["ref_info"], dict):
        return "its reference-policy info must be a mapping"
    return None
