"""The embedded default dataset: made on first use, no download, a few seconds on a CPU.

Until the project ships trained behaviour policies, the default is recorded from a uniform random
policy on Hopper-v5 (200 episodes, seed 0). Its ``ref_min_score`` is the mean return of those
random episodes (the D4RL definition); its ``ref_max_score`` is D4RL's hopper expert reference,
3234.3, since no expert policy of the project exists yet. Both facts are written into the
dataset's metadata and description.
"""

from __future__ import annotations

import numpy as np

from curatedrl.datasets.d4rl import D4RL_ENVS
from curatedrl.datasets.minari_io import local_dataset_ids
from curatedrl.envs.rollout import run_episodes

DEFAULT_DATASET = "curatedrl/hopper/demo-v0"
DEFAULT_ENV = "Hopper-v5"
DEFAULT_EPISODES = 200
DEFAULT_SEED = 0


def ensure_default_dataset(progress: bool = True) -> str:
    """Create the embedded default dataset if it is not stored locally; return its id."""
    if DEFAULT_DATASET in local_dataset_ids():
        return DEFAULT_DATASET
    from curatedrl.datasets.generate import UniformRandomPolicy, generate_dataset

    policy = UniformRandomPolicy.for_env(DEFAULT_ENV, seed=DEFAULT_SEED)
    # Reference minimum: mean return of 100 uniform-random episodes on separate seeds.
    ref = run_episodes(DEFAULT_ENV, UniformRandomPolicy.for_env(DEFAULT_ENV, seed=10_000), 100,
                       seed=10_000)
    generate_dataset(
        DEFAULT_DATASET,
        DEFAULT_ENV,
        policy,
        DEFAULT_EPISODES,
        seed=DEFAULT_SEED,
        ref_min_score=float(np.mean(ref.returns)),
        ref_max_score=D4RL_ENVS["hopper"]["ref"][1],
        algorithm_name="uniform-random",
        description=(
            "curatedrl embedded default: uniform random actions on Hopper-v5, 200 episodes. "
            "ref_min_score: mean return of 100 random episodes; ref_max_score: D4RL hopper "
            "expert reference (no project expert policy yet)."
        ),
        extra_metadata={"ref_max_source": "d4rl-hopper-expert",
                        "ref_min_source": "uniform-random-100-episodes"},
        progress=progress,
    )
    return DEFAULT_DATASET
