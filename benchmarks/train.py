"""One training run: config → data → (stage 1 π_ref) → updates with periodic evaluation →
run directory (config.yaml, metrics.csv, eval.csv, final.json, checkpoint.pt; resume.pt while
the run is unfinished). docs/reliability.md describes resuming, failures and determinism."""

from __future__ import annotations

import dataclasses
import os
import re
import time
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import torch
import yaml
from tqdm.auto import tqdm

from curatedrl.algos import ALGOS, config_from_dict
from curatedrl.benchmarks.checkpoint import (FORMAT_VERSION as CHECKPOINT_VERSION, RESUME_FILE,
                                             config_differences, load_state, rng_state,
                                             save_state, set_rng_state)
from curatedrl.benchmarks.determinism import deterministic_mode, nonfinite
from curatedrl.benchmarks.journal import JOURNAL_FILE, RowJournal
from curatedrl.benchmarks.reference import get_reference
from curatedrl.benchmarks.rundir import (read_json_or_warn, read_yaml, write_csv, write_json,
                                         write_yaml)
from curatedrl.datasets import load, make_generator, to_device
from curatedrl.envs import check_dataset_env, evaluate
from curatedrl.errors import CuratedRLError
from curatedrl.provenance import git_commit, hardware

EVAL_SEED = 1_000_000  # evaluation episodes use seeds EVAL_SEED + 1000 * seed + i
LOG_EVERY = 10


def resolve_algo(name: str):
    if name not in ALGOS:
        import difflib

        close = difflib.get_close_matches(name, list(ALGOS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise CuratedRLError(f"unknown algorithm {name!r}{hint} (known: {', '.join(ALGOS)})")
    return ALGOS[name]


def default_run_dir(algo: str, dataset: str, seed: int, root: Path = Path("runs")) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", dataset.replace("/", "__")).strip("_")
    return root / algo / slug / f"seed{seed}"


def train(algo: str, dataset: str, seed: int = 0, overrides: dict[str, Any] | None = None,
          out: Path | None = None, use_wandb: bool = False, wandb_group: str | None = None,
          progress: bool = True, env: str | None = None) -> dict[str, Any]:
    """Train ``algo`` on ``dataset``; returns the contents of ``final.json``.

    ``env`` names the env family of a D4RL-format file whose name does not say it (recorded in
    config.yaml). A dataset without reference scores trains and evaluates; its normalised scores
    are ``null`` in ``final.json``.

    Every check of the input (algorithm, config, dataset, env, filter, run directory) runs before
    anything is written. A run directory that holds ``resume.pt`` (the run was killed, or failed)
    and the same resolved config resumes from it; one with a finished run, or another config, is
    refused. A non-finite training metric marks the run failed in ``final.json``, keeps the last
    good ``resume.pt`` and raises ``CuratedRLError``.
    """
    cls = resolve_algo(algo)
    cfg = config_from_dict(cls.config_cls, {**(overrides or {}), "seed": seed,
                                            "dataset": dataset})
    run_dir = Path(out) if out is not None else default_run_dir(algo, dataset, seed)
    failure = _previous_failure(run_dir)
    ds = load(cfg.dataset, env=env)
    check_dataset_env(ds)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    agent = cls(cfg, ds.metadata.obs_dim, ds.metadata.act_dim)
    view = agent.select(ds)
    resolved = {"algo": algo, "dataset_hash": ds.content_hash, "git_commit": git_commit(),
                **dataclasses.asdict(cfg), **({"env": env} if env else {})}
    resolved = yaml.safe_load(yaml.safe_dump(
        {k: list(v) if isinstance(v, tuple) else v for k, v in resolved.items()}))
    ckpt = _resume_point(run_dir, resolved)
    # Every check has passed: from here on the run directory is written.
    run_dir.mkdir(parents=True, exist_ok=True)
    if failure is not None:
        os.replace(run_dir / "final.json", run_dir / f"failed-step{failure}.json")
    if ckpt is None:
        write_yaml(run_dir / "config.yaml", resolved)
    with deterministic_mode(cfg.deterministic, cfg.device):
        return _run(cls, cfg, ds, agent, view, run_dir, resolved, ckpt, use_wandb, wandb_group,
                    progress)


def _previous_failure(run_dir: Path) -> int | None:
    """The step a failed run in ``run_dir`` stopped at; refuses a finished (or unreadable) one."""
    path = run_dir / "final.json"
    if not path.exists():
        return None
    final = read_json_or_warn(path)
    if final is not None and final.get("status") == "failed":
        return int(final.get("failed_step", 0))
    raise CuratedRLError(f"{run_dir} already holds a finished run; pass another --out or "
                         f"delete that directory to run again")


def _resume_point(run_dir: Path, resolved: dict[str, Any]) -> dict[str, Any] | None:
    """The resume checkpoint of an interrupted run with the same config, if there is one."""
    if (run_dir / "config.yaml").exists():
        diff = config_differences(read_yaml(run_dir / "config.yaml"), resolved)
        if diff:
            raise CuratedRLError(
                f"{run_dir} holds a run with another config ({'; '.join(diff)}); run the same "
                f"command to resume it, or pass another --out")
    path = run_dir / RESUME_FILE
    if not path.exists():
        return None
    ckpt = load_state(path)
    if ckpt.get("version") != CHECKPOINT_VERSION:
        raise CuratedRLError(f"{path} has checkpoint format {ckpt.get('version')}; this version "
                             f"of curatedrl resumes format {CHECKPOINT_VERSION} only; delete "
                             f"the run directory to start over")
    return ckpt


def _run(cls, cfg, ds, agent, view, run_dir: Path, resolved: dict[str, Any],
         ckpt: dict[str, Any] | None, use_wandb: bool, wandb_group: str | None,
         progress: bool) -> dict[str, Any]:
    algo, meta = resolved["algo"], ds.metadata
    full = to_device(ds, cfg.device)
    agent.prepare(ds)
    gen = make_generator(cfg.seed, cfg.device)
    journal = RowJournal(run_dir / JOURNAL_FILE)
    ref_info: dict[str, Any] = {}
    tables: dict[str, list[dict[str, Any]]] = {"metrics": [], "eval": []}
    first, elapsed, resumed_at = 1, 0.0, []
    if ckpt is None:
        journal.reset()
    else:
        tables = journal.restore(ckpt["journal_bytes"])
        agent.load_state_dict(ckpt["agent"])
        gen.set_state(ckpt["sampler"])
        set_rng_state(ckpt["rng"])
        ref_info = ckpt["ref_info"]
        first, elapsed = ckpt["step"] + 1, ckpt["elapsed_s"]
        resumed_at = [*ckpt["resumed_at"], ckpt["step"]]
    metrics_rows, eval_rows = tables["metrics"], tables["eval"]
    start = time.time() - elapsed
    if ckpt is None and cls.needs_reference:
        state, key, cached = get_reference(ds, full, cfg, progress)
        agent.set_reference(state)
        ref_info = {"reference_key": key, "reference_cached": cached}
    buffer = full.restrict(view)
    sample_kwargs = agent.sample_kwargs()

    run = _wandb_run(use_wandb, wandb_group, algo, resolved, run_dir)
    eval_seed = EVAL_SEED + 1000 * cfg.seed

    def run_eval(step: int, episodes: int) -> dict[str, Any]:
        res = evaluate(agent.act, meta, episodes, eval_seed, num_envs=min(episodes, 10))
        row = {"step": step, "episodes": episodes, **res.summary(),
               "time_s": round(time.time() - start, 2)}
        if run is not None:
            run.log({f"eval/{k}": v for k, v in res.summary().items()}, step=step)
        return row

    def summary(status: str) -> dict[str, Any]:
        out = {"algo": algo, "dataset": cfg.dataset, "dataset_hash": ds.content_hash,
               "seed": cfg.seed, "status": status, "steps": cfg.steps,
               "git_commit": resolved["git_commit"], "device": cfg.device,
               "hardware": hardware(), "wall_time_s": round(time.time() - start, 2), **ref_info}
        return {**out, "resumed_at_steps": resumed_at} if resumed_at else out

    def save_checkpoint(step: int) -> None:
        size = journal.append(tables)
        save_state(run_dir / RESUME_FILE, {
            "version": CHECKPOINT_VERSION, "step": step, "agent": agent.state_dict(),
            "sampler": gen.get_state(), "rng": rng_state(), "journal_bytes": size,
            "elapsed_s": time.time() - start, "ref_info": ref_info, "resumed_at": resumed_at})

    last_saved = ckpt["step"] if ckpt is not None else None
    bar = tqdm(range(first, cfg.steps + 1), initial=first - 1, total=cfg.steps,
               desc=f"{algo} {cfg.dataset} seed {cfg.seed}", disable=not progress)
    for step in bar:
        if agent.batch_kind == "episodes":
            batch = buffer.sample_episodes(cfg.batch_size, gen, **sample_kwargs)
        else:
            batch = buffer.sample_transitions(cfg.batch_size, gen)
        m = agent.update(batch)
        bad = nonfinite(m)
        if bad:
            _fail(run_dir, step, m, bad, last_saved, metrics_rows, eval_rows, summary, run)
        if step % LOG_EVERY == 0 or step == cfg.steps:
            row = {"step": step, **{f"train/{k}": v for k, v in m.items()},
                   "time/elapsed_s": round(time.time() - start, 3)}
            metrics_rows.append(row)
            if run is not None:
                run.log({k: v for k, v in row.items() if k != "step"}, step=step)
        if cfg.eval_every and step % cfg.eval_every == 0 and step != cfg.steps:
            eval_rows.append(run_eval(step, cfg.eval_episodes))
            bar.set_postfix(score=f"{eval_rows[-1]['normalized_mean']:.1f}")
        if step == cfg.steps or (cfg.checkpoint_every and step % cfg.checkpoint_every == 0):
            save_checkpoint(step)
            last_saved = step
    eval_rows.append(run_eval(cfg.steps, cfg.final_eval_episodes))

    save_state(run_dir / "checkpoint.pt", agent.state_dict())
    write_csv(run_dir / "metrics.csv", metrics_rows)
    write_csv(run_dir / "eval.csv", eval_rows)
    last = eval_rows[-1]
    final = {
        **summary("finished"),
        "normalized_score_last": _finite(last["normalized_mean"]),
        "normalized_score_last_std": _finite(last["normalized_std"]),
        "normalized_score_best": _finite(max((r["normalized_mean"] for r in eval_rows
                                              if np.isfinite(r["normalized_mean"])),
                                             default=None)),
        "return_last": last["return_mean"], "final_eval_episodes": cfg.final_eval_episodes,
    }
    write_json(run_dir / "final.json", final)
    (run_dir / RESUME_FILE).unlink(missing_ok=True)  # a finished run is never resumed
    journal.reset()
    if run is not None:
        run.summary.update({k: v for k, v in final.items() if isinstance(v, (int, float, str))})
        run.finish()
    final["run_dir"] = str(run_dir)
    return final


def _finite(x: float | None) -> float | None:
    """None for a score that does not exist (no reference scores): strict JSON has no NaN."""
    return None if x is None or not np.isfinite(x) else float(x)


def _fail(run_dir: Path, step: int, metrics: dict[str, Any], bad: list[str],
          last_saved: int | None, metrics_rows: list, eval_rows: list, summary, run) -> NoReturn:
    """Mark the run failed in final.json (keeping the last good resume.pt) and raise."""
    values = ", ".join(f"train/{k} = {float(metrics[k])}" for k in bad)
    kept = (f"{RESUME_FILE} keeps the last good state (step {last_saved}); running the same "
            f"command again resumes from it" if last_saved is not None else
            "no checkpoint was written before it, so running again starts over")
    message = (f"non-finite training metric at step {step}: {values}; run marked failed in "
               f"{run_dir / 'final.json'}; {kept}")
    write_csv(run_dir / "metrics.csv", metrics_rows)
    write_csv(run_dir / "eval.csv", eval_rows)
    write_json(run_dir / "final.json", {**summary("failed"), "error": message,
                                        "failed_step": step, "last_checkpoint_step": last_saved})
    if run is not None:
        run.finish(exit_code=1)
    raise CuratedRLError(message)


def _wandb_run(enabled: bool, group: str | None, algo: str, config: dict, run_dir: Path):
    if not enabled:
        return None
    import wandb

    mode = os.environ.get("WANDB_MODE", "offline")
    return wandb.init(project=os.environ.get("WANDB_PROJECT", "curatedrl"), mode=mode,
                      config=config, dir=str(run_dir), group=group,
                      name=f"{algo}-{config['dataset']}-s{config['seed']}", reinit=True)
