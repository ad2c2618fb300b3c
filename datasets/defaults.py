"""The embedded default dataset: made on first use from the shipped behaviour policies.

``make demo`` trains on ``curatedrl/hopper/medium-replay-v0`` (see benchmarks/configs/demo.yaml).
When it is not stored locally it is generated from the committed Hopper checkpoints in a few
seconds to minutes, with no download and no training.
"""

from __future__ import annotations

from curatedrl.datasets.minari_io import local_dataset_ids
from curatedrl.errors import CuratedRLError

DEFAULT_DATASET = "curatedrl/hopper/medium-replay-v0"


def ensure_default_dataset(dataset_id: str = DEFAULT_DATASET, size: str = "full",
                           progress: bool = True) -> str:
    """Generate a suite dataset (``curatedrl/<env>/<tier>-v0``) if it is missing; return its id."""
    if dataset_id in local_dataset_ids():
        return dataset_id
    from curatedrl.datasets.suite import ENVS, TIERS, generate_env

    parts = dataset_id.split("/")
    tier = parts[-1].rsplit("-v", 1)[0] if len(parts) == 3 else None
    if parts[0] != "curatedrl" or len(parts) != 3 or parts[1] not in ENVS or tier not in TIERS:
        raise CuratedRLError(f"{dataset_id!r} is not stored locally and is not one of the "
                             f"suite's datasets (curatedrl/<env>/<tier>-v0) that can be made here")
    print(f"Generating {dataset_id} ({size}) from the shipped behaviour policies ...")
    generate_env(parts[1], size=size, tiers=(tier,), progress=progress)
    return dataset_id
