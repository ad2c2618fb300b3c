"""Choosing k (steps per episode of the gradient) for the ``paper-sampled`` schedule, by
measurement: whole episodes vs k sampled steps at equal step counts, paired seeds, on real data.

Every arm shares π_ref (stage 1 with ``REF_K`` sampled steps: same seed, same cache entry), so
the arms differ only in the fine-tuning gradient; iw-BC's weights always read whole episodes.
A shortened schedule: stage 1 2,000 steps, fine-tuning 500 steps (warm-up 75, cosine to 0),
batch 256, lr 4e-5, final evaluation of ``--episodes`` episodes.

    python -m curatedrl.benchmarks.k_validation run --out DIR      # resumable; skips done cells
    python -m curatedrl.benchmarks.k_validation table --out DIR    # the markdown table
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

DATASETS = ("curatedrl/hopper/medium-replay-v0", "curatedrl/hopper/medium-expert-v0")
ALGOS = ("filtered_bc", "iw_bc")
KS = (8, 0, 32)
SEEDS = (0, 1, 2)
REF_K = 8
SCHEDULE = {"steps": 500, "warmup_steps": 75, "batch_size": 256, "lr": 4e-5, "ref_steps": 2000,
            "ref_batch_size": 128, "ref_lr": 1e-3, "ref_steps_per_episode": REF_K,
            "eval_every": 0, "checkpoint_every": 0}


def cell_dir(out: Path, dataset: str, algo: str, k: int, seed: int) -> Path:
    return out / dataset.split("/")[1] / dataset.split("/")[2] / algo / f"k{k}" / f"seed{seed}"


def run(out: Path, episodes: int, algos=ALGOS, ks=KS, datasets=DATASETS) -> None:
    """Every cell not yet finished; a second process may run another subset at the same time
    (``--algo``, ``--k``, ``--dataset``): the cells are disjoint directories."""
    from curatedrl.benchmarks.train import train

    for dataset in datasets:  # seed by seed, so that a run cut short leaves complete pairs
        for seed in SEEDS:
            for k in ks:
                for algo in algos:
                    d = cell_dir(out, dataset, algo, k, seed)
                    if (d / "final.json").exists():
                        continue
                    overrides = {**SCHEDULE, "steps_per_episode": k,
                                 "final_eval_episodes": episodes}
                    final = train(algo, dataset, seed, overrides, d, progress=False)
                    print(f"{dataset} {algo} k={k} seed={seed}: "
                          f"{final['normalized_score_last']:.1f} ({final['wall_time_s']:.0f} s)",
                          flush=True)


def _ess(d: Path) -> float | None:
    with open(d / "metrics.csv") as f:
        vals = [float(r["train/weight_ess"]) for r in csv.DictReader(f)
                if r.get("train/weight_ess")]
    return float(np.mean(vals)) if vals else None


def table(out: Path) -> str:
    lines = ["| dataset | algo | k | score per seed (0, 1, 2) | mean ± std | Δ vs whole, paired "
             "(mean ± std) | weight ESS / n (mean over steps) | wall s / run |",
             "|---|---|---|---|---|---|---|---|"]
    for dataset in DATASETS:
        for algo in ALGOS:
            whole = {}
            rows = []
            for k in (0, 8, 32):
                scores, ess, wall = {}, [], []
                for seed in SEEDS:
                    d = cell_dir(out, dataset, algo, k, seed)
                    if (d / "final.json").exists():
                        f = json.loads((d / "final.json").read_text())
                        scores[seed] = f["normalized_score_last"]
                        wall.append(f["wall_time_s"])
                        e = _ess(d)
                        if e is not None:
                            ess.append(e)
                if k == 0:
                    whole = scores
                rows.append((k, scores, ess, wall))
            for k, scores, ess, wall in rows:
                if not scores:
                    continue
                s = np.array(list(scores.values()))
                per = ", ".join(f"{scores[x]:.2f}" if x in scores else "—" for x in SEEDS)
                paired = [scores[x] - whole[x] for x in SEEDS if x in scores and x in whole]
                delta = (f"{np.mean(paired):+.2f} ± {np.std(paired):.2f}" if k and paired
                         else "—")
                e = f"{np.mean(ess):.3f}" if ess else "—"
                lines.append(f"| {dataset.split('/', 1)[1]} | {algo} | "
                             f"{'whole' if k == 0 else k} | {per} | {s.mean():.2f} ± "
                             f"{s.std():.2f} | {delta} | {e} | {np.mean(wall):.0f} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=("run", "table"))
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--episodes", type=int, default=100, help="final evaluation episodes")
    p.add_argument("--algo", action="append", choices=ALGOS, help="only these (repeatable)")
    p.add_argument("--k", action="append", type=int, choices=KS, help="only these (repeatable)")
    p.add_argument("--dataset", action="append", choices=DATASETS, help="only these")
    a = p.parse_args()
    if a.what == "run":
        run(a.out, a.episodes, a.algo or ALGOS, a.k or KS, a.dataset or DATASETS)
    else:
        print(table(a.out))


if __name__ == "__main__":
    main()
