"""`make demo`: the main job on the embedded default dataset (made on first use, no download)."""

from __future__ import annotations

from pathlib import Path

from curatedrl.experiments.cell_config import schedule_overrides
from curatedrl.run.rundir import read_json, read_yaml
from curatedrl.experiments.tables import table
from curatedrl.run.train import train

DEMO_CONFIG = Path(__file__).resolve().parent / "configs" / "demo.yaml"


def run_demo(out: Path = Path("runs") / "demo", config: Path = DEMO_CONFIG) -> list[dict]:
    """Train the demo's algorithms (finished runs are reused) and print the score table."""
    from curatedrl.datasets.on_demand import ensure_default_dataset

    from curatedrl.datasets import load

    spec = read_yaml(config)
    dataset = ensure_default_dataset(spec["dataset"])
    meta = load(dataset).metadata
    rows, results = [], []
    for seed in spec["seeds"]:
        for algo in spec["algos"]:
            overrides = schedule_overrides(spec, algo)
            run_dir = out / algo / f"seed{seed}"
            reused = (run_dir / "final.json").exists()
            if reused:
                final = read_json(run_dir / "final.json")
                print(f"{algo}: reusing the finished run in {run_dir}")
            else:
                final = train(algo, dataset, seed, overrides, run_dir)
            results.append(final)
            rows.append([algo, seed, final["normalized_score_last"],
                         final["normalized_score_best"], final["return_last"],
                         final["wall_time_s"], "reused" if reused else "trained"])
    print(f"\nNormalised scores on {dataset} (reduced CPU schedule, {config.name}; final "
          f"evaluation {spec['common']['final_eval_episodes']} episodes)\n")
    print(table(rows, ["algo", "seed", "score_last", "score_best", "return_last", "wall_s",
                       "run"]))
    print(f"\nscore = 100 · (return − {meta.ref_min_score:.1f}) / ({meta.ref_max_score:.1f} − "
          f"{meta.ref_min_score:.1f}): 0 is the dataset's reference return of a random policy "
          f"({meta.ref_min_score:.1f}), 100 that of an expert ({meta.ref_max_score:.1f}), on "
          f"{meta.eval_env_id}. A reused run shows its original wall time.")
    print("\nThe paper's full protocol (BC 10k steps on 128 whole episodes, then 2k fine-tuning "
          "steps on 256); on a CPU each of these takes hours:\n")
    for algo in spec["algos"]:
        print(f"  curatedrl train --algo {algo} --dataset {dataset} --seed 0")
    print(f"\nRun directories: {out}/<algo>/seed<N>; delete them to train again. The command "
          "is .venv/bin/curatedrl (or run `source .venv/bin/activate` first).")
    return results
