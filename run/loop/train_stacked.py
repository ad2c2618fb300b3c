"""N seeds of one algorithm on one dataset trained in one process (``curatedrl train --seeds``),
each written to its own run directory exactly as ``train.py`` writes a single-seed run.

The seeds train together through ``algos.stacked`` (the algorithm's own update, vmapped over a
leading seed dimension); everything a run directory holds goes through the same pieces as a
single-seed run (``runrecord.RunRecord``: config.yaml, rows and their journal, resume.pt,
eval.csv, final.json; ``lock.DirLock`` per run directory, all held for the whole process). So:

- each seed's config.yaml is the one ``curatedrl train --seed N`` would write (a sweep's cell
  identity and ``--skip-exported`` see no difference), and its final.json has the same fields
  plus ``stacked_seeds`` (the seeds trained in the process; ``wall_time_s`` is the process's);
- each seed is evaluated with its own actor and its own evaluation seed, as train.py does;
- the numbers equal N separate runs up to float rounding (tests/test_sweep_stacked.py);
- every seed resumes from its own resume.pt (also one written by a single-seed run, and the
  other way round); seeds whose checkpoints stand at different steps train as separate stacks,
  the furthest first;
- a non-finite metric marks that seed failed (final.json, last good resume.pt kept, as
  train.py does); the other seeds go on in a stack without it, and the process ends with one
  error naming the failed seeds.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from curatedrl.algos import config_from_dict
from curatedrl.algos.stacked import stack, stack_problem
from curatedrl.algos.variants import check_variant
from curatedrl.run.records.checkpoint import RESUME_FILE, restoring, set_rng_state
from curatedrl.run.safety.determinism import deterministic_mode
from curatedrl.run.safety.lock import DirLock, check_output_dir
from curatedrl.run.loop.progress import progress as progress_display
from curatedrl.run.safety.resources import check_batch_fits, check_device
from curatedrl.run.records.runrecord import (LOG_EVERY, RunRecord, open_checks, open_run_dir,
                                             wandb_run)
from curatedrl.run.records.runstate import (RunInterrupted, check_config, check_data, finished_run,
                                            previous_failure, resolved_config)
from curatedrl.run.loop.train import default_run_dir, resolve_algo
from curatedrl.datasets import load, to_device
from curatedrl.datasets.validate import check_dataset_env
from curatedrl.envs import evaluation_record
from curatedrl.errors import CuratedRLError


def seed_run_dirs(algo: str, dataset: str, seeds: Sequence[int], out: Path | None,
                  variant: str | None = None) -> list[Path]:
    """``<out>/seed<N>`` for every seed (default out: ``runs/<source>/<algo>/<dataset>``, the
    parent of ``train``'s default run directories)."""
    parent = Path(out) if out is not None else \
        default_run_dir(algo, dataset, 0, variant=variant).parent
    return [parent / f"seed{s}" for s in seeds]


def train_seeds(algo: str, dataset: str, seeds: Sequence[int],
                overrides: dict[str, Any] | None = None, out: Path | None = None,
                use_wandb: bool = False, wandb_group: str | None = None, progress: bool = True,
                allow_thread_change: bool = False, variant: str | None = None
                ) -> list[dict[str, Any]]:
    """Train ``seeds`` of ``algo`` stacked in this process; each seed's ``final.json``
    (``variant``: as ``train.train``'s).

    Every check (algorithm, stackability, config, dataset, every run directory) runs before
    anything is written; then every run directory is locked for the whole process."""
    cls = resolve_algo(algo)
    seeds = list(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise CuratedRLError(f"--seeds needs distinct seeds, at least one, got {seeds}")
    cfgs = [config_from_dict(cls.config_cls, {**(overrides or {}), "seed": s,
                                              "dataset": dataset}) for s in seeds]
    if variant is not None:
        check_variant(variant, cfgs[0])
    problem = stack_problem(algo, cfgs[0])
    if problem is not None:
        raise CuratedRLError(f"{problem}; train its seeds one per process (--seed N)")
    check_device(cfgs[0].device)
    dirs = seed_run_dirs(algo, dataset, seeds, out, variant)
    for d in dirs:
        check_output_dir(d, "run directory")
        check_data(d, dataset)
        previous_failure(d)
    ds = load(dataset)
    check_dataset_env(ds)
    single = cls(cfgs[0], ds.metadata.obs_dim, ds.metadata.act_dim)
    check_batch_fits(cfgs[0].batch_size, single.batch_rows(single.select(ds)),
                     ds.metadata.obs_dim, ds.metadata.act_dim, cfgs[0].device, len(seeds))
    evaluation = evaluation_record(ds.metadata)
    resolved = [resolved_config(algo, cfg, ds.content_hash, evaluation=evaluation,
                                variant=variant) for cfg in cfgs]
    for d, r in zip(dirs, resolved):
        check_config(d, r, allow_thread_change)
    # Every check has passed: from here on the run directories are written, by this process.
    with contextlib.ExitStack() as locks:
        held = []
        for d in dirs:
            d.mkdir(parents=True, exist_ok=True)
            held.append(locks.enter_context(DirLock(
                d, "run directory", hint="; wait for it to end, or pass another --out")))
        locks.callback(_unlock_finished, held)
        checks = [open_checks(d, r, allow_thread_change) for d, r in zip(dirs, resolved)]
        ckpts = [open_run_dir(d, r, c) for d, r, c in zip(dirs, resolved, checks)]
        records = [RunRecord(d, r, cfg, ds.metadata, ds.content_hash, ckpt)
                   for d, r, cfg, ckpt in zip(dirs, resolved, cfgs, ckpts)]
        for rec in records:
            rec.extra = {"stacked_seeds": seeds}
            rec.wandb = wandb_run(use_wandb, wandb_group, rec.resolved, rec.run_dir)
        with deterministic_mode(cfgs[0].deterministic, cfgs[0].device):
            return _train_all(algo, cfgs[0], ds, records, ckpts, progress)


def _unlock_finished(held: list[DirLock]) -> None:
    """Each seed that finished (the others too, even when one failed) keeps no lock file."""
    for lock in held:
        lock.remove = finished_run(lock.path.parent) is not None


def _train_all(algo, cfg, ds, records: list[RunRecord], ckpts, progress: bool
               ) -> list[dict[str, Any]]:
    full = to_device(ds, cfg.device)
    finals: dict[int, dict[str, Any]] = {}
    failures: list[str] = []
    by_step: dict[int, list[int]] = {}
    for i, rec in enumerate(records):
        by_step.setdefault(rec.first, []).append(i)
    for first in sorted(by_step, reverse=True):  # the furthest checkpoints first
        idx = by_step[first]
        states = [ckpts[i] for i in idx] if ckpts[idx[0]] is not None else None
        _train_stack(algo, cfg, ds, full, [records[i] for i in idx], states, progress,
                     finals, failures)
    if failures:
        raise CuratedRLError(f"{len(failures)} of {len(records)} stacked seeds failed: "
                             + " | ".join(failures))
    return [finals[rec.cfg.seed] for rec in records]


def _make_stack(algo, cfg, ds, seeds, states=None, samplers=None,
                loading=contextlib.nullcontext()):
    """The stack of ``seeds``, from ``states`` and ``samplers`` if given (loaded inside
    ``loading``: ``checkpoint.restoring`` when they come from resume files)."""
    torch.manual_seed(seeds[0])
    np.random.seed(seeds[0])
    agents = stack(algo, cfg, seeds, ds.metadata.obs_dim, ds.metadata.act_dim)
    agents.prepare(ds)
    if states is not None:
        with loading:
            agents.load(states)
            for g, s in zip(agents.data_generators, samplers):
                g.set_state(s)
    return agents


def _train_stack(algo, cfg, ds, full, records: list[RunRecord], ckpts, progress: bool,
                 finals: dict, failures: list) -> None:
    """Train ``records``' seeds (all at the same step) to the end, in one stack."""
    dirs = ", ".join(str(r.run_dir) for r in records)
    agents = _make_stack(algo, cfg, ds, [r.cfg.seed for r in records],
                         [c["agent"] for c in ckpts] if ckpts else None,
                         [c["sampler"] for c in ckpts] if ckpts else None,
                         restoring(f"{RESUME_FILE} of {dirs}", dirs))
    if ckpts:
        with restoring(f"{RESUME_FILE} of {dirs}", dirs):
            set_rng_state(ckpts[0]["rng"])  # global RNGs: no update or evaluation draws from them
    buffer = full.restrict(agents.singles[0].select(ds))
    first = records[0].first
    step = first - 1
    try:
        names = ",".join(str(r.cfg.seed) for r in records)
        bar = progress_display(range(first, cfg.steps + 1), initial=first - 1,
                               total=cfg.steps, enabled=progress,
                               desc=f"{algo} {cfg.dataset} seeds {names}")
        for step in bar:
            m = agents.update(agents.sample(buffer))
            values = torch.stack([v.float() for v in m.values()])  # (metrics, N): one sync
            bad_seeds = (~torch.isfinite(values)).any(0).tolist()
            if any(bad_seeds):
                agents, records, keep = _drop_failed(algo, cfg, ds, agents, records, m,
                                                     bad_seeds, step, failures)
                if not records:
                    return
                m, values = {k: v[keep] for k, v in m.items()}, values[:, keep]
            if step % LOG_EVERY == 0 or step == cfg.steps:
                rows = values.tolist()
                for i, rec in enumerate(records):
                    rec.log(step, {k: rows[j][i] for j, k in enumerate(m)})
            evaluating = cfg.eval_every and step % cfg.eval_every == 0 and step != cfg.steps
            saving = step == cfg.steps or (cfg.checkpoint_every and
                                           step % cfg.checkpoint_every == 0)
            if evaluating or saving:
                singles = agents.export()
            if evaluating:
                scores = [rec.evaluate(a.act, step, cfg.eval_episodes)["normalized_mean"]
                          for rec, a in zip(records, singles)]
                bar.set_postfix(score=f"{np.mean(scores):.1f}")
            if saving:
                for rec, a, g in zip(records, singles, agents.data_generators):
                    rec.checkpoint(step, a.state_dict(), g.get_state())
        singles = agents.export()
        for rec, a in zip(records, singles):
            rec.evaluate(a.act, cfg.steps, cfg.final_eval_episodes, phase="final")
    except KeyboardInterrupt:
        raise RunInterrupted(" | ".join(rec.interrupted(step) for rec in records)) from None
    for rec, a in zip(records, singles):
        finals[rec.cfg.seed] = rec.finish(a.state_dict())


def _drop_failed(algo, cfg, ds, agents, records, metrics, bad_seeds, step, failures):
    """Mark the seeds with a non-finite metric failed; the others go on in a new stack built
    from their state after ``step`` (each seed's own, so their numbers do not change)."""
    singles = agents.export()
    keep = []
    for i, (rec, bad) in enumerate(zip(records, bad_seeds)):
        if not bad:
            keep.append(i)
            continue
        m = {k: float(v[i]) for k, v in metrics.items()}
        failures.append(rec.fail(step, m, [k for k, v in m.items() if not np.isfinite(v)]))
        if rec.wandb is not None:
            rec.wandb = None
    if not keep:
        return agents, [], keep
    survivors = [records[i] for i in keep]
    rebuilt = _make_stack(algo, cfg, ds, [r.cfg.seed for r in survivors],
                          [singles[i].state_dict() for i in keep],
                          [agents.data_generators[i].get_state() for i in keep])
    return rebuilt, survivors, keep
