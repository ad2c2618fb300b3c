"""The ``sampled`` figure of ``curatedrl bench``: what the ``paper-sampled`` schedule costs.

- per fine-tuning step on the curated strata (and, for iw-BC(Q), on the quality-weighted view)
  at the paper's batch of 256 episodes: filtered BC's k-step gradient alone, iw-BC's step (the
  exact whole-episode weight pass over the batch's unique episodes + the same k-step gradient),
  and, for scale, iw-BC's step on whole episodes (the published protocol);
- stage 1 (BC, 128 episodes, k steps) per step, and evaluation env-steps/s with the policy in
  the loop;
- all in process CPU seconds (one torch thread), so that the figures hold on a shared machine;
- from those: the CPU time of one iw-BC cell at the schedule, and an estimate of the `paper`
  suite's wall time (9 datasets x 5 seeds x 5 algorithms, 2 workers) against 8 hours.

The suite estimate scales the weight pass by rows: 1000-step curated episodes on halfcheetah and
walker2d (the measured dataset's rows per batch otherwise), evaluation episodes at 1000 steps
(an upper bound: a good policy runs the full episode), the bc cell = stage 1 + its evaluation.
"""

from __future__ import annotations

import time
from typing import Callable

import torch

from curatedrl.algos.bc import BC, BCConfig
from curatedrl.algos.filtered_bc import FilteredBC, FilteredBCConfig
from curatedrl.algos.iw_bc import IWBC, IWBCConfig
from curatedrl.algos.iw_bc_q import IWBCQ
from curatedrl.constants import ENVS
from curatedrl.datasets import EpisodeDataset, make_generator, to_device
from curatedrl.envs import evaluate

STAGE1_STEPS, FT_STEPS, EVALS, FINAL_EVAL = 10_000, 2_000, 3, 100  # paper-sampled
EVAL_EPISODES, EP_LEN = 10, 1000


def cpu_seconds(variants: dict[str, Callable[[], object]], calls: int, repeats: int = 2
                ) -> dict[str, float]:
    """Process CPU seconds per call of each variant (best of ``repeats`` alternating rounds of
    ``calls`` calls, after one warm-up call). CPU time, not wall time: on a machine shared
    with other busy processes, one thread's CPU time is what the call costs on a free core."""
    for fn in variants.values():
        fn()
    best = {name: float("inf") for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            start = time.process_time()
            for _ in range(calls):
                fn()
            best[name] = min(best[name], (time.process_time() - start) / calls)
    return best


def _agents(ds: EpisodeDataset, k: int):
    m = ds.metadata
    state = None
    out = {}
    for name, cls, cfg_cls in (("fbc", FilteredBC, FilteredBCConfig), ("iw", IWBC, IWBCConfig),
                               ("iwq", IWBCQ, IWBCConfig)):
        agent = cls(cfg_cls(steps_per_episode=k), m.obs_dim, m.act_dim)
        agent.prepare(ds)
        state = state or {n: v.clone() for n, v in agent.actor.state_dict().items()}
        agent.set_reference(state)
        out[name] = agent
    return out


def bench_sampled(ds: EpisodeDataset, machine: str, k: int = 8, batch: int = 256,
                  calls: int = 5, repeats: int = 2, eval_episodes: int = EVAL_EPISODES
                  ) -> list[str]:
    torch.manual_seed(0)
    a = _agents(ds, k)
    full = to_device(ds)
    strata, quality = full.restrict(a["iw"].select(ds)), full.restrict(a["iwq"].select(ds))
    gen = make_generator(0)
    probe = strata.sample_episodes(batch, gen)
    rows = int(probe.lengths.sum())
    uniq = torch.unique(probe.episodes)
    uniq_rows = int((full.offsets[uniq + 1] - full.offsets[uniq]).sum())
    bc = BC(BCConfig(batch_size=128, steps_per_episode=k), ds.metadata.obs_dim,
            ds.metadata.act_dim)
    t = cpu_seconds({
        "fbc": lambda: a["fbc"].update(strata.sample_episodes(batch, gen, k)),
        "iw": lambda: a["iw"].update(strata.sample_episodes(batch, gen, k)),
        "iwq": lambda: a["iwq"].update(quality.sample_episodes(batch, gen, k)),
        "bc": lambda: bc.update(full.sample_episodes(128, gen, k)),
    }, calls, repeats)
    t_w = cpu_seconds({"w": lambda: a["iw"].update(strata.sample_episodes(batch, gen))}, 1,
                      1)["w"]
    weight_pass = t["iw"] - t["fbc"]
    start = time.process_time()
    res = evaluate(a["fbc"].act, ds.metadata, eval_episodes, 0, num_envs=eval_episodes)
    env_rate = float(res.lengths.sum()) / (time.process_time() - start)
    eval_s = (EVALS * EVAL_EPISODES + FINAL_EVAL) * EP_LEN / env_rate
    stage1 = STAGE1_STEPS * t["bc"]
    cell = FT_STEPS * t["iw"] + eval_s
    did = ds.metadata.dataset_id
    lines = [
        f"sampled     CPU per fine-tuning step, {batch} episodes of the curated strata of {did} "
        f"({ds.num_steps:,} rows; batch {rows:,} rows, {len(uniq)} unique episodes = "
        f"{uniq_rows:,} rows), k = {k}: filtered BC {1e3 * t['fbc']:.0f} ms; iw-BC "
        f"{1e3 * t['iw']:.0f} ms = exact whole-episode weight pass {1e3 * weight_pass:.0f} ms "
        f"+ k-step gradient; iw-BC(Q) (quality view) {1e3 * t['iwq']:.0f} ms; iw-BC on whole "
        f"episodes (published) {1e3 * t_w:.0f} ms  [{machine}, cpu]",
        f"sampled     one iw-BC cell at paper-sampled on {did}: fine-tuning {FT_STEPS} x "
        f"{1e3 * t['iw']:.0f} ms = {FT_STEPS * t['iw'] / 60:.1f} min + evaluation "
        f"{EVALS * EVAL_EPISODES + FINAL_EVAL} episodes <= {eval_s / 60:.1f} min (policy in "
        f"the loop {env_rate:,.0f} env-steps per CPU s) = {cell / 60:.1f} min CPU, plus stage 1 "
        f"({STAGE1_STEPS} x {1e3 * t['bc']:.1f} ms = {stage1 / 60:.1f} min) once per dataset "
        f"and seed  [{machine}, cpu]",
        _suite_line(t, weight_pass, rows, eval_s, env_rate, machine),
    ]
    return lines


def _suite_line(t, weight_pass, rows, eval_s, env_rate, machine) -> str:
    """Estimated wall time of the paper suite (45 dataset-seed pairs, 5 cells each)."""
    bc_eval = ((STAGE1_STEPS // 500 - 1) * EVAL_EPISODES + FINAL_EVAL) * EP_LEN / env_rate
    per_row = weight_pass / rows
    total, exact_weights = 0.0, 0.0
    for env in ENVS:
        scale = 1.0 if env == "hopper" else 256 * EP_LEN / rows
        wp, wq = weight_pass * scale, (t["iwq"] - t["fbc"]) * scale
        per_pair = (STAGE1_STEPS * t["bc"] + bc_eval
                    + 2 * (FT_STEPS * t["fbc"] + eval_s)  # filtered_bc, sft_q
                    + 2 * (FT_STEPS * t["fbc"] + eval_s) + FT_STEPS * (wp + wq))  # iw_bc(_q)
        total += 3 * 5 * per_pair
        exact_weights += 3 * 5 * FT_STEPS * (wp + wq)
    hours = total / 2 / 3600
    verdict = "within" if hours <= 8 else f"over by {hours - 8:.1f} h ({hours / 8:.1f}x)"
    return (f"sampled     paper suite at paper-sampled (225 cells, 2 workers), estimated: "
            f"{hours:.1f} h wall ({verdict} the 8 h target); the exact weight passes are "
            f"{exact_weights / 2 / 3600:.1f} h of it ({1e6 * per_row:.2f} µs per row)  "
            f"[{machine}, cpu]")


def sampled_figure(ds: EpisodeDataset, machine: str, quick: bool) -> list[str]:
    kw = dict(batch=16, calls=1, repeats=1, eval_episodes=2) if quick else {}
    return bench_sampled(ds, machine, **kw)
