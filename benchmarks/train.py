"""One training run: config → data → (stage 1 π_ref) → updates with periodic evaluation →
run directory (config.yaml, metrics.csv, eval.csv, final.json, checkpoint.pt)."""

from __future__ import annotations

import dataclasses
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from curatedrl.algos import ALGOS, config_from_dict
from curatedrl.benchmarks.reference import get_reference
from curatedrl.benchmarks.rundir import write_csv, write_json, write_yaml
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
          progress: bool = True) -> dict[str, Any]:
    """Train ``algo`` on ``dataset``; returns the contents of ``final.json``."""
    cls = resolve_algo(algo)
    cfg = config_from_dict(cls.config_cls, {**(overrides or {}), "seed": seed,
                                            "dataset": dataset})
    run_dir = Path(out) if out is not None else default_run_dir(algo, dataset, seed)
    if (run_dir / "final.json").exists():
        raise CuratedRLError(f"{run_dir} already holds a finished run; pass another --out or "
                             f"delete that directory to run again")
    ds = load(cfg.dataset)
    check_dataset_env(ds)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    run_dir.mkdir(parents=True, exist_ok=True)
    commit = git_commit()
    resolved = {"algo": algo, "dataset_hash": ds.content_hash, "git_commit": commit,
                **dataclasses.asdict(cfg)}
    resolved = {k: list(v) if isinstance(v, tuple) else v for k, v in resolved.items()}
    write_yaml(run_dir / "config.yaml", resolved)

    meta = ds.metadata
    full = to_device(ds, cfg.device)
    agent = cls(cfg, meta.obs_dim, meta.act_dim)
    agent.prepare(ds)
    start = time.time()
    ref_info: dict[str, Any] = {}
    if cls.needs_reference:
        state, key, cached = get_reference(ds, full, cfg, progress)
        agent.set_reference(state)
        ref_info = {"reference_key": key, "reference_cached": cached}
    buffer = full.restrict(agent.select(ds))
    gen = make_generator(cfg.seed, cfg.device)
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

    metrics_rows: list[dict[str, Any]] = []
    eval_rows: list[dict[str, Any]] = []
    bar = tqdm(range(1, cfg.steps + 1), desc=f"{algo} {dataset} seed {seed}",
               disable=not progress)
    for step in bar:
        if agent.batch_kind == "episodes":
            batch = buffer.sample_episodes(cfg.batch_size, gen, **sample_kwargs)
        else:
            batch = buffer.sample_transitions(cfg.batch_size, gen)
        m = agent.update(batch)
        if not all(np.isfinite(v) for v in m.values()):
            raise CuratedRLError(f"non-finite training metric at step {step}: {m}")
        if step % LOG_EVERY == 0 or step == cfg.steps:
            row = {"step": step, **{f"train/{k}": v for k, v in m.items()},
                   "time/elapsed_s": round(time.time() - start, 3)}
            metrics_rows.append(row)
            if run is not None:
                run.log({k: v for k, v in row.items() if k != "step"}, step=step)
        if cfg.eval_every and step % cfg.eval_every == 0 and step != cfg.steps:
            eval_rows.append(run_eval(step, cfg.eval_episodes))
            bar.set_postfix(score=f"{eval_rows[-1]['normalized_mean']:.1f}")
    eval_rows.append(run_eval(cfg.steps, cfg.final_eval_episodes))
    wall = time.time() - start

    torch.save(agent.state_dict(), run_dir / ".checkpoint.pt.tmp")
    os.replace(run_dir / ".checkpoint.pt.tmp", run_dir / "checkpoint.pt")
    write_csv(run_dir / "metrics.csv", metrics_rows)
    write_csv(run_dir / "eval.csv", eval_rows)
    last = eval_rows[-1]
    final = {
        "algo": algo, "dataset": dataset, "dataset_hash": ds.content_hash, "seed": seed,
        "status": "finished", "steps": cfg.steps,
        "normalized_score_last": last["normalized_mean"],
        "normalized_score_last_std": last["normalized_std"],
        "normalized_score_best": max(r["normalized_mean"] for r in eval_rows),
        "return_last": last["return_mean"], "final_eval_episodes": cfg.final_eval_episodes,
        "git_commit": commit, "device": cfg.device, "hardware": hardware(),
        "wall_time_s": round(wall, 2), **ref_info,
    }
    write_json(run_dir / "final.json", final)
    if run is not None:
        run.summary.update({k: v for k, v in final.items() if isinstance(v, (int, float, str))})
        run.finish()
    final["run_dir"] = str(run_dir)
    return final


def _wandb_run(enabled: bool, group: str | None, algo: str, config: dict, run_dir: Path):
    if not enabled:
        return None
    import wandb

    mode = os.environ.get("WANDB_MODE", "offline")
    return wandb.init(project=os.environ.get("WANDB_PROJECT", "curatedrl"), mode=mode,
                      config=config, dir=str(run_dir), group=group,
                      name=f"{algo}-{config['dataset']}-s{config['seed']}", reinit=True)
