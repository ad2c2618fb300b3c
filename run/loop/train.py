"""One training run: config → data → (stage 1 π_ref) → updates with periodic evaluation →
run directory (config.yaml, metrics.csv, eval.csv, final.json, checkpoint.pt; resume.pt while
the run is unfinished). One process at a time writes a run directory (``lock.DirLock``); the
torch thread count is part of the recorded config. docs/reliability.md describes resuming,
failures, interrupts and determinism."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from curatedrl.algos import ALGOS, config_from_dict
from curatedrl.algos.variants import check_variant
from curatedrl.run.records.checkpoint import RESUME_FILE, restoring, set_rng_state
from curatedrl.run.safety.determinism import deterministic_mode, nonfinite
from curatedrl.run.safety.lock import DirLock, check_output_dir
from curatedrl.run.loop.progress import progress as progress_display
from curatedrl.run.loop.reference import ReferenceCache
from curatedrl.run.safety.resources import check_batch_fits, check_device
from curatedrl.run.records.runrecord import (EVAL_SEED, LOG_EVERY, RunRecord,  # noqa: F401
                                             open_checks, open_run_dir, wandb_run)
from curatedrl.run.records.runstate import (RunInterrupted, check_config, check_data,
                                            check_finished, finished_run, previous_failure,
                                            resolved_config)
from curatedrl.datasets import load, make_generator, to_device
from curatedrl.datasets.ids import dataset_slug, dataset_source
from curatedrl.envs import evaluation_record
from curatedrl.datasets.validate import check_dataset_env
from curatedrl.errors import CuratedRLError, did_you_mean


def resolve_algo(name: str):
    if name not in ALGOS:
        raise CuratedRLError(f"unknown algorithm {name!r}{did_you_mean(name, list(ALGOS))} "
                             f"(known: {', '.join(ALGOS)})")
    return ALGOS[name]


def default_run_dir(algo: str, dataset: str, seed: int, root: Path = Path("runs"),
                    variant: str | None = None) -> Path:
    """``runs/<source>/<algo>/<dataset slug>/seed<N>``: the data source (``ids.dataset_source``:
    curatedrl, d4rl, minari) first, so a D4RL file and the project's dataset of the same slug
    never share a run directory; the slug is that of the sweep's cells and results. A variant
    (``algos/variants.py``) has a folder of its own before the seed's."""
    parent = root / dataset_source(dataset) / algo / dataset_slug(dataset)
    return (parent / variant if variant else parent) / f"seed{seed}"


def train(algo: str, dataset: str, seed: int = 0, overrides: dict[str, Any] | None = None,
          out: Path | None = None, use_wandb: bool = False, wandb_group: str | None = None,
          progress: bool = True, allow_thread_change: bool = False, env: str | None = None,
          variant: str | None = None) -> dict[str, Any]:
    """Train ``algo`` on ``dataset``; returns the contents of ``final.json``.

    ``env`` names the env family of a D4RL-format file whose name does not say it (recorded in
    config.yaml). ``variant``: the canonical name of the knobs this run's config changes
    (``algos/variants.py``; checked against the config), recorded in config.yaml and final.json.
    A dataset without reference scores trains and evaluates; its normalised scores
    are ``null`` in ``final.json``.

    Every check of the input (algorithm, config, dataset, env, filter, run directory) runs before
    anything is written. A run directory that holds ``resume.pt`` (the run was killed, or failed)
    and the same resolved config resumes from it; one with a finished run of the same config
    (whatever its thread count) returns that run's final.json with ``"reused": True`` and trains
    nothing; another config (another torch thread count included, unless
    ``allow_thread_change``) is refused, and so is one that another process is writing. A
    non-finite training metric marks the run failed in ``final.json``, keeps the last good
    ``resume.pt`` and raises ``CuratedRLError``; Ctrl-C raises ``RunInterrupted`` saying how to
    resume.
    """
    cls = resolve_algo(algo)
    cfg = config_from_dict(cls.config_cls, {**(overrides or {}), "seed": seed,
                                            "dataset": dataset})
    if variant is not None:
        check_variant(variant, cfg)
    check_device(cfg.device)
    run_dir = Path(out) if out is not None else default_run_dir(algo, dataset, seed,
                                                                variant=variant)
    check_output_dir(run_dir, "run directory")
    check_data(run_dir, cfg.dataset)
    finished = finished_run(run_dir)
    if finished is None:
        previous_failure(run_dir)
    ds = load(cfg.dataset, env=env)
    check_dataset_env(ds)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    agent = cls(cfg, ds.metadata.obs_dim, ds.metadata.act_dim)
    view = agent.select(ds)
    check_batch_fits(cfg.batch_size, agent.batch_rows(view), ds.metadata.obs_dim,
                     ds.metadata.act_dim, cfg.device)
    resolved = resolved_config(algo, cfg, ds.content_hash,
                               evaluation=evaluation_record(ds.metadata), variant=variant)
    if env:
        resolved["env"] = env
    if finished is not None:  # the same command again: its result, nothing trained
        check_finished(run_dir, resolved)
        return {**finished, "reused": True}
    check_config(run_dir, resolved, allow_thread_change)
    # Every check has passed: from here on the run directory is written, by this process only.
    run_dir.mkdir(parents=True, exist_ok=True)
    with DirLock(run_dir, "run directory",
                 hint="; wait for it to end, or pass another --out") as lock:
        # again: another writer may have finished meanwhile
        ckpt = open_run_dir(run_dir, resolved, open_checks(run_dir, resolved,
                                                           allow_thread_change))
        with deterministic_mode(cfg.deterministic, cfg.device):
            final = _run(cls, cfg, ds, agent, view, run_dir, resolved, ckpt, use_wandb,
                         wandb_group, progress)
        lock.remove = True  # finished: the directory keeps no lock file
        return final


def _run(cls, cfg, ds, agent, view, run_dir: Path, resolved: dict[str, Any],
         ckpt: dict[str, Any] | None, use_wandb: bool, wandb_group: str | None,
         progress: bool) -> dict[str, Any]:
    full = to_device(ds, cfg.device)
    rec = RunRecord(run_dir, resolved, cfg, ds.metadata, ds.content_hash, ckpt)
    rec.ref_info = agent.prepare(ds, ReferenceCache(ds, full, progress), rec.ref_info)
    gen = make_generator(cfg.seed, cfg.device)
    if ckpt is not None:
        with restoring(str(run_dir / RESUME_FILE), str(run_dir)):
            agent.load_state_dict(ckpt["agent"])
            gen.set_state(ckpt["sampler"])
            set_rng_state(ckpt["rng"])
    buffer = full.restrict(view)
    rec.wandb = wandb_run(use_wandb, wandb_group, resolved, run_dir)

    step = rec.first - 1
    try:
        bar = progress_display(range(rec.first, cfg.steps + 1), initial=rec.first - 1,
                               total=cfg.steps, enabled=progress,
                               desc=f"{resolved['algo']} {cfg.dataset} seed {cfg.seed}")
        for step in bar:
            m = agent.update(agent.sample(buffer, gen))
            bad = nonfinite(m)
            if bad:
                raise CuratedRLError(rec.fail(step, m, bad))
            rec.log(step, m)
            if cfg.eval_every and step % cfg.eval_every == 0 and step != cfg.steps:
                row = rec.evaluate(agent.act, step, cfg.eval_episodes)
                bar.set_postfix(score=f"{row['normalized_mean']:.1f}")
            if step == cfg.steps or (cfg.checkpoint_every and step % cfg.checkpoint_every == 0):
                rec.checkpoint(step, agent.state_dict(), gen.get_state())
        rec.evaluate(agent.act, cfg.steps, cfg.final_eval_episodes, phase="final")
    except KeyboardInterrupt:
        raise RunInterrupted(rec.interrupted(step)) from None
    return rec.finish(agent.state_dict())
