"""A results tree written by hand for the leaderboard tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from curatedrl.datasets.ids import dataset_slug
from curatedrl.run.records.rundir import write_csv, write_yaml
from curatedrl.datasets.manifest import expected_hash

DS = "curatedrl/hopper/medium-v0"


def write_run(root: Path, algo: str, seed: int, last: float, dataset: str = DS,
              schedule: str = "cpu", commit: str = "abc", dataset_hash: str | None = None,
              config: dict[str, Any] | None = None, steps: int = 10,
              source: str = "curatedrl", final: dict[str, Any] | None = None) -> Path:
    """A finished run's files; its data hash is the manifest's unless given (the leaderboard
    keeps runs on other bytes apart)."""
    dataset_hash = dataset_hash or expected_hash(dataset) or "h0"
    run = root / schedule / source / algo / dataset_slug(dataset) / f"seed{seed}"
    run.mkdir(parents=True)
    (run / "final.json").write_text(json.dumps({
        "algo": algo, "dataset": dataset, "seed": seed, "status": "finished",
        "normalized_score_last": last, "normalized_score_best": last + 1.0,
        "git_commit": commit, "hardware": "test", "device": "cpu", "dataset_hash": dataset_hash,
        "wall_time_s": 1.5, "steps": steps, **(final or {})}))
    write_csv(run / "eval.csv", [{"step": steps // 2, "normalized_mean": last / 2},
                                 {"step": steps, "normalized_mean": last}])
    if config is not None:  # a run's config.yaml names its run
        write_yaml(run / "config.yaml", {"algo": algo, "dataset": dataset, "seed": seed, **config})
    return run
