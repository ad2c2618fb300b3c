"""The data-source tests' shared fixtures: a Hopper file in D4RL's real v2 layout, a tiny
schedule and a `curatedrl sweep` of bc on it, a small Minari dataset written from hand-made
episodes, and the text of every file under a folder."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from curatedrl.cli import main

TINY = {"common": {"steps": 6, "eval_every": 3, "eval_episodes": 1, "final_eval_episodes": 1,
                   "batch_size": 4}, "per_algo": {}}
LENGTHS = (37, 1000, 25)  # ended by a terminal, by the timeout, cut by the end of the data


def write_d4rl(path: Path, seed: int = 0) -> Path:
    """A Hopper file in D4RL's v2 layout (as written by D4RL's data collection scripts)."""
    rng = np.random.default_rng(seed)
    n = sum(LENGTHS)
    obs = rng.normal(0, 0.5, (n + 1, 11)).astype(np.float32)
    terminals, timeouts = np.zeros(n, bool), np.zeros(n, bool)
    terminals[LENGTHS[0] - 1] = True
    timeouts[LENGTHS[0] + LENGTHS[1] - 1] = True
    with h5py.File(path, "w") as f:
        f["observations"] = obs[:-1]
        f["next_observations"] = obs[1:]
        f["actions"] = rng.uniform(-1, 1, (n, 3)).astype(np.float32)
        f["rewards"] = rng.uniform(0, 3, n).astype(np.float32)
        f["terminals"], f["timeouts"] = terminals, timeouts
        f["infos/qpos"] = rng.normal(size=(n, 6))
        f["infos/qvel"] = rng.normal(size=(n, 6))
        f["infos/action_log_probs"] = rng.normal(size=n).astype(np.float32)
        f["metadata/algorithm"] = np.bytes_("SAC")
        f["metadata/iteration"] = np.int64(1000)
        f["metadata/policy/fc0/weight"] = rng.normal(size=(256, 11)).astype(np.float32)
    return path


def _sweep(tmp_path: Path, *args: str) -> int:
    schedule = tmp_path / "tiny.yaml"
    schedule.write_text(json.dumps(TINY))
    return main(["sweep", "--suite", "paper", "--algo", "bc", "--seeds", "1", "--schedule",
                 str(schedule), "--root", str(tmp_path / "runs"), "--results",
                 str(tmp_path / "results"), "--threads", "1", *args])


def _minari_from_hand(dataset_id: str, ref_max: float = 3000.0) -> str:
    """A small Hopper-v5 Minari dataset written with Minari's own writer (hand-made episodes)."""
    from tests.conftest import hand_dataset
    from curatedrl.datasets import write_minari

    ds = hand_dataset([10.0, 20.0, 30.0, 40.0], [5, 6, 7, 8], obs_dim=11, act_dim=3)
    write_minari(dataset_id, [ds.episode(i) for i in range(ds.num_episodes)], "Hopper-v5",
                 ref_min_score=-20.0, ref_max_score=ref_max)
    return dataset_id


def _files(folder: Path) -> str:
    return "".join(p.read_text() for p in sorted(folder.rglob("*")) if p.is_file())
