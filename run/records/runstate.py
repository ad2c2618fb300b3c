"""The state of a run directory, checked before a run writes to it: the resolved config it was
started with (thread count included), a finished, failed or damaged ``final.json``, and the
resume checkpoint. ``train`` runs these checks once before any work and again under the run
directory's lock."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch
import yaml

from curatedrl.algos import config_from_dict
from curatedrl.datasets.ids import canonical_name
from curatedrl.envs import EVAL_KEYS
from curatedrl.run.records.checkpoint import (FORMAT_VERSION as CHECKPOINT_VERSION, RESUME_FILE,
                                              config_differences, load_state)
from curatedrl.run.records.rundir import read_json_object, read_yaml
from curatedrl.run.safety.schema import config_problem, final_problem, resume_problem
from curatedrl.errors import CuratedRLError
from curatedrl.provenance import git_commit


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM under ``curatedrl train``) stopped a run; the message says how to
    resume it. A KeyboardInterrupt, so code that stops on Ctrl-C still stops."""


# config.yaml beyond the algorithm's config
RECORD_KEYS = ("algo", "dataset_hash", "git_commit", "threads", "variant", *EVAL_KEYS)
DATA_KEYS = ("dataset", "dataset_hash", *EVAL_KEYS)  # what the run trains and is scored on


def resolved_config(algo: str, cfg, dataset_hash: str | None, threads: int | None = None,
                    commit: str | None = None, evaluation: dict[str, Any] | None = None,
                    variant: str | None = None) -> dict[str, Any]:
    """What config.yaml records: the algorithm's full config with the dataset as every machine
    names it (``ids.canonical_name``: a D4RL file by its name, never the folder it was found
    in), the data's content hash, what the scores are measured against (``evaluation``:
    ``envs.evaluation_record``, the evaluation env and the reference returns), the code version
    and the torch thread count (float reductions, and so results, depend on it); a variant's
    name (``algos/variants.py``) when the run is one, else no ``variant`` key."""
    resolved = {"algo": algo, "dataset_hash": dataset_hash, "git_commit": commit or git_commit(),
                "threads": torch.get_num_threads() if threads is None else threads,
                **(evaluation or {}), **dataclasses.asdict(cfg)}
    resolved["dataset"] = canonical_name(cfg.dataset)
    if variant is not None:
        resolved["variant"] = variant
    return yaml.safe_load(yaml.safe_dump(
        {k: list(v) if isinstance(v, tuple) else v for k, v in resolved.items()}))


def config_of(config_cls, resolved: dict[str, Any]):
    """The algorithm config a run's config.yaml (``resolved_config``) records."""
    return config_from_dict(config_cls, {k: v for k, v in resolved.items()
                                         if k not in RECORD_KEYS})


def finished_run(run_dir: Path) -> dict[str, Any] | None:
    """The valid ``final.json`` of a finished run in ``run_dir`` (with its ``run_dir``), else
    None (no run, a failed or a damaged one: ``previous_failure`` says which)."""
    path = run_dir / "final.json"
    if not path.exists():
        return None
    final, problem = read_json_object(path)
    if problem or final_problem(final, scores_required=False) or final["status"] != "finished":
        return None
    return {**final, "run_dir": str(run_dir)}


def check_finished(run_dir: Path, resolved: dict[str, Any]) -> None:
    """Refuse a finished run in ``run_dir`` made with another config than ``resolved`` (its
    torch thread count aside: a finished run with another count is a draw of the same cell)."""
    old = read_yaml(run_dir / "config.yaml") if (run_dir / "config.yaml").exists() else {}
    diff = [d for d in config_differences({"threads": resolved["threads"], **old}, resolved)
            if not d.startswith("threads:")]
    if diff:
        raise CuratedRLError(f"{run_dir} already holds a finished run with another config "
                             f"({'; '.join(diff)}); pass another --out, or delete that "
                             f"directory to run again")


def previous_failure(run_dir: Path) -> int | None:
    """The step a failed run in ``run_dir`` stopped at; refuses a finished or damaged one."""
    path = run_dir / "final.json"
    if not path.exists():
        return None
    final, problem = read_json_object(path)
    problem = problem or final_problem(final, scores_required=False)
    if problem is not None:
        raise CuratedRLError(f"{path} is damaged ({problem}); delete it and run the same command "
                             f"again (it resumes from resume.pt if there is one, else starts "
                             f"over)")
    if final["status"] == "failed":
        return int(final.get("failed_step", 0))
    raise CuratedRLError(f"{run_dir} already holds a finished run; pass another --out or "
                         f"delete that directory to run again")


def check_config(run_dir: Path, resolved: dict[str, Any], allow_thread_change: bool
                 ) -> str | None:
    """Refuse a run directory whose config.yaml differs from ``resolved``; returns the thread
    change (``"1 -> 2"``) that ``allow_thread_change`` let through, if any."""
    path = run_dir / "config.yaml"
    if not path.exists():
        return None
    try:
        old = read_yaml(path)
    except CuratedRLError as exc:
        raise CuratedRLError(f"{exc}; delete the run directory {run_dir} to start over") from None
    problem = config_problem(old)
    if problem is not None:
        raise CuratedRLError(f"{path} is damaged ({problem}); delete the run directory to start "
                             f"over")
    # written before threads / the evaluation were recorded, or with a D4RL file's path
    old = {"threads": resolved["threads"], **{k: resolved[k] for k in EVAL_KEYS if k in resolved},
           **old, "dataset": canonical_name(old["dataset"])}
    diff = config_differences(old, resolved)
    data = [d for d in diff if d.split(":", 1)[0] in DATA_KEYS]
    if data:
        raise CuratedRLError(
            f"{run_dir} holds a run on other data ({'; '.join(data)}); pass another --out, or "
            f"delete that directory to train on this data there")
    threads = [d for d in diff if d.startswith("threads:")]
    if threads and allow_thread_change:
        diff.remove(threads[0])
    elif threads and len(diff) == 1:
        raise CuratedRLError(
            f"{run_dir} was started with {old['threads']} torch thread(s), this command runs "
            f"{resolved['threads']} (the thread count changes float reductions, so results "
            f"differ from the next step on); resume with --threads {old['threads']}, or pass "
            f"--allow-thread-change to resume anyway (final.json records the change)")
    if diff:
        raise CuratedRLError(
            f"{run_dir} holds a run with another config ({'; '.join(diff)}); run the same "
            f"command to resume it, or pass another --out")
    return f"threads {old['threads']} -> {resolved['threads']}" if threads else None


def check_data(run_dir: Path, dataset: str) -> None:
    """Refuse, before the data is loaded, a run directory that holds a run on another dataset,
    naming it (an unreadable config.yaml is left to ``check_config``)."""
    path = run_dir / "config.yaml"
    try:
        old = read_yaml(path) if path.exists() else {}
    except CuratedRLError:
        return
    had = old.get("dataset")
    if isinstance(had, str) and canonical_name(had) != canonical_name(dataset):
        raise CuratedRLError(
            f"{run_dir} holds a run on other data ({old.get('algo')} on {canonical_name(had)!r}, "
            f"content hash {old.get('dataset_hash')}); this command trains on "
            f"{canonical_name(dataset)!r}: pass another --out, or delete that directory to train "
            f"there")


def resume_point(run_dir: Path, steps: int) -> dict[str, Any] | None:
    """The resume checkpoint of an interrupted run of ``steps`` steps, if there is one; one line
    naming the file when it is of another format or its fields are out of range."""
    path = run_dir / RESUME_FILE
    if not path.exists():
        return None
    ckpt = load_state(path)
    version = ckpt.get("version") if isinstance(ckpt, dict) else None
    if version != CHECKPOINT_VERSION:
        raise CuratedRLError(f"{path} has checkpoint format {version!r}; this version of "
                             f"curatedrl resumes format {CHECKPOINT_VERSION} only; delete the "
                             f"run directory to start over")
    problem = resume_problem(ckpt, steps)
    if problem is not None:
        raise CuratedRLError(f"{path} is damaged ({problem}); delete the run directory "
                             f"{run_dir} to start over")
    return ckpt
