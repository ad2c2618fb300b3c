"""How far iw-BC's cheaper ``weight_refresh = R`` weights are from the exact ones, on real data.

One exact iw-BC run (the k_validation schedule: π_ref from a 2,000-step stage 1, 500 fine-tuning
steps, k = 8, batch 256, lr 4e-5) is followed step by step; before each of its updates, agents
with R ∈ ``REFRESH`` are given the same learner and q and compute their weights on the same batch.
Reported per R, over the steps: Σ|w_R − w| (total variation × 2; both sum to one), the
correlation of w_R with w, the ratio of effective sample sizes, and CPU ms per weight pass.

    python -m curatedrl.bench.refresh_fidelity --dataset curatedrl/hopper/medium-replay-v0
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from curatedrl.algos import config_from_dict
from curatedrl.algos.iw_bc import IWBC, IWBCConfig
from curatedrl.bench.k_validation import SCHEDULE
from curatedrl.run.reference import ReferenceCache
from curatedrl.constants import DEFAULT_DATASET
from curatedrl.datasets import load, make_generator, to_device

REFRESH = (5, 20)


def measure(dataset: str, seed: int = 0, steps: int = 500, k: int = 8) -> list[str]:
    ds = load(dataset)
    m = ds.metadata
    cfgs = {r: config_from_dict(IWBCConfig, {**SCHEDULE, "steps": steps, "seed": seed,
                                             "dataset": dataset, "steps_per_episode": k,
                                             "weight_refresh": r}) for r in (1, *REFRESH)}
    agents = {r: IWBC(c, m.obs_dim, m.act_dim) for r, c in cfgs.items()}
    full = to_device(ds)
    stage_one = ReferenceCache(ds, full, progress=False)
    for a in agents.values():
        a.prepare(ds, stage_one)
    exact = agents[1]
    buf = full.restrict(exact.select(ds))
    gen = make_generator(seed)
    stats = {r: {"tv": [], "corr": [], "ess": [], "ms": []} for r in (1, *REFRESH)}
    for _ in range(steps):
        batch = buf.sample_episodes(256, gen, steps_per_episode=k)
        for r in REFRESH:
            a = agents[r]
            a.actor.load_state_dict(exact.actor.state_dict())
            a.q.load_state_dict(exact.q.state_dict())
            a.num_updates = exact.num_updates
            t0 = time.process_time()
            a.episode_weights(batch)
            stats[r]["ms"].append(1e3 * (time.process_time() - t0))
        t0 = time.process_time()
        exact.update(batch)
        stats[1]["ms"].append(1e3 * (time.process_time() - t0))
        w = exact.last_weights.double()
        stats[1]["ess"].append(1.0 / float((w * w).sum()) / len(w))
        for r in REFRESH:
            v = agents[r].last_weights.double()
            stats[r]["tv"].append(float((v - w).abs().sum()))
            stats[r]["corr"].append(float(np.corrcoef(v.numpy(), w.numpy())[0, 1]))
            stats[r]["ess"].append((1.0 / float((v * v).sum())) / (1.0 / float((w * w).sum())))
    lines = [f"{dataset}, seed {seed}, {steps} steps, k = {k}; exact: weight ESS / n "
             f"{np.mean(stats[1]['ess']):.3f}, CPU {np.mean(stats[1]['ms']):.0f} ms per whole "
             f"iw-BC step (weights + gradient)",
             "| R | Σ\\|w_R − w\\| mean (max) | corr(w_R, w) mean (min) | ESS_R / ESS mean | "
             "CPU ms per weight pass |", "|---|---|---|---|---|"]
    for r in REFRESH:
        s = stats[r]
        lines.append(f"| {r} | {np.mean(s['tv']):.4f} ({np.max(s['tv']):.4f}) | "
                     f"{np.nanmean(s['corr']):.4f} ({np.nanmin(s['corr']):.4f}) | "
                     f"{np.mean(s['ess']):.4f} | {np.mean(s['ms']):.0f} |")
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default=DEFAULT_DATASET)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=500)
    a = p.parse_args()
    torch.set_num_threads(1)
    print("\n".join(measure(a.dataset, a.seed, a.steps)), flush=True)


if __name__ == "__main__":
    main()
