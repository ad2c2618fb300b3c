"""The files of one run directory while it trains, shared by the single-seed trainer
(``train.py``) and the stacked-seed one (``train_stacked.py``): opening the run directory under
its lock (a failed final.json set aside, config.yaml, the resume checkpoint), the metrics,
evaluation and per-episode rows (``episodes.csv``: every evaluation episode's return) and their
journal, evaluation with the seed's own evaluation seed, resume
checkpoints, the W&B mirror, and final.json (finished or failed). One ``RunRecord`` per seed:
a stacked process keeps N of them, each writing exactly what a single-seed run writes."""

from __future__ import annotations

import math

import os
import time
from pathlib import Path
from typing import Any, Callable

from curatedrl.run.records.checkpoint import (FORMAT_VERSION as CHECKPOINT_VERSION, RESUME_FILE,
                                              rng_state, save_state)
from curatedrl.run.records.journal import JOURNAL_FILE, RowJournal
from curatedrl.run.records.rundir import write_csv, write_json, write_yaml
from curatedrl.run.records.runstate import check_config, previous_failure, resume_point
from curatedrl.envs import EVAL_KEYS, evaluate
from curatedrl.fileio import remove_stale_temporaries
from curatedrl.provenance import hardware

EVAL_SEED = 1_000_000  # evaluation episodes use seeds EVAL_SEED + 1000 * seed + i
LOG_EVERY = 10
EPISODES_FILE = "episodes.csv"
# episodes.csv's columns (results/README.md): one row per evaluation episode
EPISODE_COLUMNS = ("step", "phase", "episode", "return", "normalized_score", "length")


def open_checks(run_dir: Path, resolved: dict[str, Any], allow_thread_change: bool
                ) -> tuple[int | None, str | None, dict[str, Any] | None]:
    """Under the run directory's lock, before writing: (failed step of a previous run, thread
    change let through, resume checkpoint). Raises if another writer finished it meanwhile."""
    failure = previous_failure(run_dir)
    thread_change = check_config(run_dir, resolved, allow_thread_change)
    return failure, thread_change, resume_point(run_dir, resolved["steps"])


def open_run_dir(run_dir: Path, resolved: dict[str, Any],
                 checks: tuple[int | None, str | None, dict[str, Any] | None]
                 ) -> dict[str, Any] | None:
    """Write what a run starts with (``checks`` from ``open_checks``): a failed final.json moved
    to ``failed-step<N>.json``, config.yaml for a fresh run, a thread change into the resume
    checkpoint; temporaries that a killed writer left are removed. Returns the resume checkpoint
    (None: a fresh run)."""
    failure, thread_change, ckpt = checks
    remove_stale_temporaries(run_dir)
    if failure is not None:
        os.replace(run_dir / "final.json", run_dir / f"failed-step{failure}.json")
    if ckpt is None:
        write_yaml(run_dir / "config.yaml", resolved)
    elif thread_change:
        ckpt["thread_changes"] = [*ckpt.get("thread_changes", []),
                                  f"{thread_change} at step {ckpt['step']}"]
    return ckpt


class RunRecord:
    """Rows, checkpoints and final files of one seed's run directory (``ckpt``: resuming)."""

    def __init__(self, run_dir: Path, resolved: dict[str, Any], cfg, meta, dataset_hash: str,
                 ckpt: dict[str, Any] | None, wandb_run=None):
        self.run_dir, self.resolved, self.cfg, self.meta = Path(run_dir), resolved, cfg, meta
        self.dataset_hash, self.wandb = dataset_hash, wandb_run
        self.journal = RowJournal(self.run_dir / JOURNAL_FILE)
        self.tables: dict[str, list[dict[str, Any]]] = {"metrics": [], "eval": [],
                                                        "episodes": []}
        self.ref_info: dict[str, Any] = {}
        self.first, elapsed = 1, 0.0
        self.resumed_at: list[int] = []
        self.thread_changes: list[str] = []
        self.extra: dict[str, Any] = {}  # more final.json fields (the trainer's own)
        if ckpt is None:
            self.journal.reset()
        else:
            self.tables = self.journal.restore(ckpt["journal_bytes"])
            self.ref_info = ckpt["ref_info"]
            self.first, elapsed = ckpt["step"] + 1, ckpt["elapsed_s"]
            self.resumed_at = [*ckpt["resumed_at"], ckpt["step"]]
            self.thread_changes = list(ckpt.get("thread_changes", []))
        self.last_saved = ckpt["step"] if ckpt is not None else None
        self.start = time.time() - elapsed
        self.eval_seed = EVAL_SEED + 1000 * cfg.seed

    def log(self, step: int, metrics: dict[str, float]) -> None:
        """The train/* row of ``step`` (every LOG_EVERY steps and the last)."""
        if step % LOG_EVERY and step != self.cfg.steps:
            return
        row = {"step": step, **{f"train/{k}": v for k, v in metrics.items()},
               "time/elapsed_s": round(time.time() - self.start, 3)}
        self.tables["metrics"].append(row)
        if self.wandb is not None:
            self.wandb.log({k: v for k, v in row.items() if k != "step"}, step=step)

    def evaluate(self, act: Callable, step: int, episodes: int, phase: str = "eval"
                 ) -> dict[str, Any]:
        """Evaluate ``act`` with this seed's evaluation seed; the eval row, also kept, and one
        ``episodes`` row per episode (``phase``: "eval" periodic, "final" the last one)."""
        res = evaluate(act, self.meta, episodes, self.eval_seed, num_envs=min(episodes, 10))
        row = {"step": step, "episodes": episodes, **res.summary(),
               "time_s": round(time.time() - self.start, 2)}
        if self.wandb is not None:
            self.wandb.log({f"eval/{k}": v for k, v in res.summary().items()}, step=step)
        self.tables["eval"].append(row)
        self.tables["episodes"] += [
            {"step": step, "phase": phase, "episode": i, "return": float(r),
             "normalized_score": finite_or_none(float(n)), "length": int(n_steps)}
            for i, (r, n, n_steps) in enumerate(zip(res.returns, res.normalized, res.lengths))]
        return row

    def write_episodes(self) -> None:
        """``episodes.csv``, when its rows cover every evaluation in eval.csv (a run resumed from
        a checkpoint written before episodes were kept lacks the earlier ones: no file then,
        rather than a partial one)."""
        rows = self.tables["episodes"]
        if len(rows) != sum(int(r["episodes"]) for r in self.tables["eval"]):
            (self.run_dir / EPISODES_FILE).unlink(missing_ok=True)
            return
        write_csv(self.run_dir / EPISODES_FILE, rows, EPISODE_COLUMNS)

    def summary(self, status: str) -> dict[str, Any]:
        cfg, resolved = self.cfg, self.resolved
        out = {"algo": resolved["algo"], "dataset": resolved["dataset"],
               **({"variant": resolved["variant"]} if "variant" in resolved else {}),
               **{k: resolved[k] for k in EVAL_KEYS if k in resolved},
               "dataset_hash": self.dataset_hash, "seed": cfg.seed, "status": status,
               "steps": cfg.steps, "git_commit": resolved["git_commit"], "device": cfg.device,
               "threads": resolved["threads"], "hardware": hardware(),
               "wall_time_s": round(time.time() - self.start, 2), **self.ref_info, **self.extra}
        if self.thread_changes:
            out["thread_changes"] = self.thread_changes
        return {**out, "resumed_at_steps": self.resumed_at} if self.resumed_at else out

    def checkpoint(self, step: int, agent_state: dict[str, Any], sampler_state) -> None:
        """``resume.pt`` after ``step`` (with the rows so far appended to the journal)."""
        size = self.journal.append(self.tables)
        save_state(self.run_dir / RESUME_FILE, {
            "version": CHECKPOINT_VERSION, "step": step, "agent": agent_state,
            "sampler": sampler_state, "rng": rng_state(), "journal_bytes": size,
            "elapsed_s": time.time() - self.start, "ref_info": self.ref_info,
            "resumed_at": self.resumed_at, "thread_changes": self.thread_changes})
        self.last_saved = step

    def interrupted(self, step: int) -> str:
        kept = (f"its last checkpoint (step {self.last_saved}) is kept: run the same command to "
                f"resume" if self.last_saved is not None else
                "no checkpoint was written yet: the same command starts over")
        return f"interrupted at step {step} of {self.cfg.steps}; {self.run_dir}: {kept}"

    def fail(self, step: int, metrics: dict[str, Any], bad: list[str]) -> str:
        """Mark the run failed in final.json (keeping the last good resume.pt); the message."""
        values = ", ".join(f"train/{k} = {float(metrics[k])}" for k in bad)
        kept = (f"{RESUME_FILE} keeps the last good state (step {self.last_saved}); running the "
                f"same command again resumes from it" if self.last_saved is not None else
                "no checkpoint was written before it, so running again starts over")
        what = f"non-finite training metric at step {step}: {values}"
        write_csv(self.run_dir / "metrics.csv", self.tables["metrics"])
        write_csv(self.run_dir / "eval.csv", self.tables["eval"])
        self.write_episodes()
        write_json(self.run_dir / "final.json", {  # no path of this machine: results carry it
            **self.summary("failed"), "error": f"{what}; {kept}", "failed_step": step,
            "last_checkpoint_step": self.last_saved})
        message = f"{what}; run marked failed in {self.run_dir / 'final.json'}; {kept}"
        if self.wandb is not None:
            self.wandb.finish(exit_code=1)
        return message

    def finish(self, agent_state: dict[str, Any]) -> dict[str, Any]:
        """checkpoint.pt, metrics.csv, eval.csv and final.json of the finished run (the final
        evaluation is the last eval row); resume.pt and the journal go."""
        save_state(self.run_dir / "checkpoint.pt", agent_state)
        rows = self.tables["eval"]
        write_csv(self.run_dir / "metrics.csv", self.tables["metrics"])
        write_csv(self.run_dir / "eval.csv", rows)
        self.write_episodes()
        last = rows[-1]
        final = {
            **self.summary("finished"),
            "normalized_score_last": finite_or_none(last["normalized_mean"]),
            "normalized_score_last_std": finite_or_none(last["normalized_std"]),
            "normalized_score_best": finite_or_none(max(
                (r["normalized_mean"] for r in rows if math.isfinite(r["normalized_mean"])),
                default=None)),
            "return_last": last["return_mean"],
            "final_eval_episodes": self.cfg.final_eval_episodes,
        }
        write_json(self.run_dir / "final.json", final)
        (self.run_dir / RESUME_FILE).unlink(missing_ok=True)  # a finished run is never resumed
        self.journal.reset()
        if self.wandb is not None:
            self.wandb.summary.update({k: v for k, v in final.items()
                                       if isinstance(v, (int, float, str))})
            self.wandb.finish()
        final["run_dir"] = str(self.run_dir)
        return final


def finite_or_none(x: float | None) -> float | None:
    """None for a score that does not exist (a dataset without reference scores): strict JSON
    parsers reject NaN."""
    return None if x is None or not math.isfinite(x) else float(x)


def wandb_run(enabled: bool, group: str | None, config: dict, run_dir: Path):
    """A W&B run mirroring one run directory (several may be open in one process)."""
    if not enabled:
        return None
    import wandb

    mode = os.environ.get("WANDB_MODE", "offline")
    return wandb.init(project=os.environ.get("WANDB_PROJECT", "curatedrl"), mode=mode,
                      config=config, dir=str(run_dir), group=group,
                      name=f"{config['algo']}-{config['dataset']}-s{config['seed']}",
                      reinit="create_new")
