"""How far iw-BC's cheaper ``weight_refresh = R`` weights are from the exact ones, on real data.

One exact iw-BC (or iw-BC(Q)) run is followed step by step; before each of its updates, agents
with R ∈ ``REFRESH`` are given the same learner and q and compute their weights on the same batch.
The run's config: the k_validation schedule (π_ref from a 2,000-step stage 1, 500 fine-tuning
steps, k = 8, batch 256, lr 4e-5), or a registered schedule's cell (``--schedule``). Reported per
R, over the steps: Σ|w_R − w| (total variation × 2; both sum to one), the correlation of w_R with
w, the ratio of effective sample sizes, how many steps have an ESS below n / 2, and CPU ms per
weight pass.

    python -m curatedrl.benchmarks.speed.refresh_fidelity \
        --dataset curatedrl/hopper/medium-replay-v0
    python -m curatedrl.benchmarks.speed.refresh_fidelity --algo iw_bc_q --schedule paper-sampled
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from curatedrl.algos import ALGOS, config_from_dict
from curatedrl.benchmarks.speed.k_validation import SCHEDULE
from curatedrl.benchmarks.suites.cell_config import cell_overrides, load_schedule
from curatedrl.run.loop.reference import ReferenceCache
from curatedrl.constants import DEFAULT_DATASET
from curatedrl.datasets import load, make_generator, to_device

REFRESH = (5, 20)


def measure(dataset: str, seed: int = 0, steps: int | None = 500, k: int = 8,
            algo: str = "iw_bc", schedule: str | None = None) -> list[str]:
    ds = load(dataset)
    m = ds.metadata
    cls = ALGOS[algo]
    base = ({**SCHEDULE, "steps_per_episode": k} if schedule is None else
            cell_overrides(algo, dataset, load_schedule(schedule)))
    if steps is not None:
        base["steps"] = steps
    cfgs = {r: config_from_dict(cls.config_cls, {**base, "seed": seed, "dataset": dataset,
                                                 "weight_refresh": r}) for r in (1, *REFRESH)}
    steps, k = cfgs[1].steps, cfgs[1].steps_per_episode
    agents = {r: cls(c, m.obs_dim, m.act_dim) for r, c in cfgs.items()}
    full = to_device(ds)
    stage_one = ReferenceCache(ds, full, progress=False)
    for a in agents.values():
        a.prepare(ds, stage_one)
    exact = agents[1]
    buf = full.restrict(exact.select(ds))
    gen = make_generator(seed)
    stats = {r: {"tv": [], "corr": [], "ess": [], "ms": []} for r in (1, *REFRESH)}
    for _ in range(steps):
        batch = exact.sample(buf, gen)
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
            stats[r].setdefault("low", []).append(1.0 / float((v * v).sum()) / len(v) < 0.5)
    ess = np.array(stats[1]["ess"])
    lines = [f"{algo} on {dataset}, seed {seed}, {steps} steps, k = {k}"
             f"{'' if schedule is None else f', schedule {schedule}'}; exact: weight ESS / n "
             f"{ess.mean():.3f} (min {ess.min():.3f}; {int((ess < 0.5).sum())} of {len(ess)} "
             f"steps below 0.5), CPU {np.mean(stats[1]['ms']):.0f} ms per whole step (weights + "
             f"gradient)",
             "| R | Σ\\|w_R − w\\| mean (max) | corr(w_R, w) mean (min) | ESS_R / ESS mean | "
             "steps with ESS_R < n / 2 | CPU ms per weight pass |", "|---|---|---|---|---|---|"]
    for r in REFRESH:
        s = stats[r]
        lines.append(f"| {r} | {np.mean(s['tv']):.4f} ({np.max(s['tv']):.4f}) | "
                     f"{np.nanmean(s['corr']):.4f} ({np.nanmin(s['corr']):.4f}) | "
                     f"{np.mean(s['ess']):.4f} | {int(np.sum(s['low']))} | "
                     f"{np.mean(s['ms']):.0f} |")
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default=DEFAULT_DATASET)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=None,
                   help="fine-tuning steps (default: 500, or the schedule's)")
    p.add_argument("--algo", choices=("iw_bc", "iw_bc_q"), default="iw_bc")
    p.add_argument("--schedule", default=None,
                   help="take the cell's config from this schedule (default: the k_validation "
                        "schedule)")
    a = p.parse_args()
    torch.set_num_threads(1)
    steps = a.steps if a.steps is not None or a.schedule else 500
    print("\n".join(measure(a.dataset, a.seed, steps, algo=a.algo, schedule=a.schedule)),
          flush=True)


if __name__ == "__main__":
    main()
