"""Choosing k (steps per episode of the gradient) and the weight refresh R for the
``paper-sampled`` schedule, by measurement: whole episodes vs k sampled steps at equal step
counts, and exact iw-BC weights vs log q refreshed every R steps, paired seeds, on real data.

Every arm shares π_ref (stage 1 with ``REF_K`` sampled steps: same seed, same cache entry), so
the arms differ only in the fine-tuning gradient (k) or in the staleness of iw-BC's log q (R);
iw-BC's weights always read whole episodes.
A shortened schedule: stage 1 2,000 steps, fine-tuning 500 steps (warm-up 75, cosine to 0),
batch 256, lr 4e-5, final evaluation of ``--episodes`` episodes.

    python -m curatedrl.benchmarks.speed.k_validation run --out DIR    # resumable; skips done
    python -m curatedrl.benchmarks.speed.k_validation table --out DIR  # the markdown table

Cells run cheapest first (k = 8 and its refresh arm on every dataset and seed, then k = 32,
then whole episodes), so that a run cut short leaves complete pairs of the cheap arms.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

DATASETS = ("curatedrl/hopper/medium-replay-v0", "curatedrl/hopper/medium-expert-v0")
SEEDS = (0, 1, 2)
REF_K = 8
REFRESH = 20  # the weight_refresh arm (iw-BC, k = REF_K)
SCHEDULE = {"steps": 500, "warmup_steps": 75, "batch_size": 256, "lr": 4e-5, "ref_steps": 2000,
            "ref_batch_size": 128, "ref_lr": 1e-3, "ref_steps_per_episode": REF_K,
            "eval_every": 0, "checkpoint_every": 0}


class Arm(NamedTuple):
    algo: str
    k: int  # 0: whole episodes
    refresh: int = 1  # iw-BC's weight_refresh; 1: exact

    @property
    def name(self) -> str:
        return f"k{self.k}" + (f"-r{self.refresh}" if self.refresh > 1 else "")

    @property
    def label(self) -> str:
        k = "whole" if self.k == 0 else str(self.k)
        return k + (f", R = {self.refresh}" if self.refresh > 1 else "")


ARMS = (Arm("filtered_bc", 8), Arm("iw_bc", 8), Arm("iw_bc", 8, REFRESH),
        Arm("filtered_bc", 32), Arm("iw_bc", 32), Arm("filtered_bc", 0), Arm("iw_bc", 0))
ALGOS = ("filtered_bc", "iw_bc")
KS = (8, 32, 0)


def cell_dir(out: Path, dataset: str, arm: Arm, seed: int) -> Path:
    env, tier = dataset.split("/")[1:3]
    return out / env / tier / arm.algo / arm.name / f"seed{seed}"


def _read(d: Path) -> dict | None:
    return json.loads((d / "final.json").read_text()) if (d / "final.json").exists() else None


def run(out: Path, episodes: int, arms=ARMS, datasets=DATASETS) -> None:
    """Every cell not yet finished; a second process may run another subset at the same time
    (``--algo``, ``--k``, ``--dataset``): the cells are disjoint directories."""
    from curatedrl.run.loop.train import train

    for k in KS:  # cheapest gradient first
        for dataset in datasets:
            for seed in SEEDS:
                for arm in (a for a in arms if a.k == k):
                    d = cell_dir(out, dataset, arm, seed)
                    if _read(d) is not None:
                        continue
                    overrides = {**SCHEDULE, "steps_per_episode": k,
                                 "final_eval_episodes": episodes}
                    if arm.refresh > 1:
                        overrides["weight_refresh"] = arm.refresh
                    final = train(arm.algo, dataset, seed, overrides, d, progress=False)
                    print(f"{dataset} {arm.algo} {arm.name} seed={seed}: "
                          f"{final['normalized_score_last']:.1f} ({final['wall_time_s']:.0f} s)",
                          flush=True)


def _ess(d: Path) -> float | None:
    with open(d / "metrics.csv") as f:
        vals = [float(r["train/weight_ess"]) for r in csv.DictReader(f)
                if r.get("train/weight_ess")]
    return float(np.mean(vals)) if vals else None


def _paired(scores: dict, base: dict) -> str:
    d = [scores[s] - base[s] for s in SEEDS if s in scores and s in base]
    return f"{np.mean(d):+.2f} ± {np.std(d):.2f} (n={len(d)})" if d else "—"


def table(out: Path) -> str:
    """Per dataset and arm: scores per seed, paired differences against whole episodes (k arms)
    or against the exact weights at the same k (refresh arm), weight ESS and wall time."""
    lines = ["| dataset | algo | k | score per seed (0, 1, 2) | mean ± std | Δ paired vs whole "
             "episodes | Δ paired vs exact weights | weight ESS / n (mean over steps) | "
             "wall s / run |", "|---|---|---|---|---|---|---|---|---|"]
    order = sorted(ARMS, key=lambda a: (ALGOS.index(a.algo), a.k != 0, a.k, a.refresh))
    for dataset in DATASETS:
        scores: dict[Arm, dict[int, float]] = {}
        extra: dict[Arm, tuple[list, list]] = {}
        for arm in order:
            scores[arm], ess, wall = {}, [], []
            for seed in SEEDS:
                d = cell_dir(out, dataset, arm, seed)
                f = _read(d)
                if f is None:
                    continue
                scores[arm][seed] = f["normalized_score_last"]
                wall.append(f["wall_time_s"])
                if (e := _ess(d)) is not None:
                    ess.append(e)
            extra[arm] = (ess, wall)
        for arm in order:
            sc = scores[arm]
            if not sc:
                continue
            s = np.array(list(sc.values()))
            per = ", ".join(f"{sc[x]:.2f}" if x in sc else "—" for x in SEEDS)
            vs_whole = _paired(sc, scores[Arm(arm.algo, 0)]) if arm.k else "—"
            vs_exact = _paired(sc, scores[Arm(arm.algo, arm.k)]) if arm.refresh > 1 else "—"
            ess, wall = extra[arm]
            e = f"{np.mean(ess):.3f}" if ess else "—"
            lines.append(f"| {dataset.split('/', 1)[1]} | {arm.algo} | {arm.label} | {per} | "
                         f"{s.mean():.2f} ± {s.std():.2f} | {vs_whole} | {vs_exact} | {e} | "
                         f"{np.mean(wall):.0f} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=("run", "table"))
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--episodes", type=int, default=100, help="final evaluation episodes")
    p.add_argument("--algo", action="append", choices=ALGOS, help="only these (repeatable)")
    p.add_argument("--k", action="append", type=int, choices=KS,
                   help="only these k (repeatable; 0: whole episodes)")
    p.add_argument("--dataset", action="append", choices=DATASETS, help="only these")
    a = p.parse_args()
    if a.what == "run":
        arms = [x for x in ARMS if x.algo in (a.algo or ALGOS) and x.k in (a.k or KS)]
        run(a.out, a.episodes, arms, a.dataset or DATASETS)
    else:
        print(table(a.out))


if __name__ == "__main__":
    main()
