"""Suite datasets made on demand: a missing ``curatedrl/<env>/<tier>[-small|-tiny]-v0`` is
generated on first use from the shipped behaviour policies (the embedded default among them).

``make demo`` trains on ``curatedrl/hopper/medium-replay-v0`` (see
benchmarks/suites/configs/demo.yaml). When it is not stored locally it is generated from the
committed Hopper checkpoints in a few seconds to minutes, with no download and no training.
"""

from __future__ import annotations

from curatedrl.constants import DEFAULT_DATASET
from curatedrl.datasets.ids import parse_id
from curatedrl.datasets.minari_io import local_dataset_ids
from curatedrl.errors import CuratedRLError


def ensure_default_dataset(dataset_id: str = DEFAULT_DATASET, progress: bool = True,
                           strict: bool = False) -> str:
    """Generate a suite dataset (``curatedrl/<env>/<tier>[-small|-tiny]-v0``, its size read from
    the id) if it is missing; return its id. ``strict``: check it against the manifest (also when
    stored already) and raise on a content-hash mismatch."""
    parsed = parse_id(dataset_id)
    if dataset_id in local_dataset_ids() and not strict:
        return dataset_id
    if parsed is None:
        raise CuratedRLError(f"{dataset_id!r} is not stored locally and is not one of the "
                             f"suite's datasets (curatedrl/<env>/<tier>[-small|-tiny]-v0) that "
                             f"can be made here")
    from curatedrl.datasets.suite import generate_env

    env_key, tier, size = parsed
    if dataset_id not in local_dataset_ids():
        print(f"Generating {dataset_id} ({size}) from the shipped behaviour policies ...")
    generate_env(env_key, size=size, tiers=(tier,), progress=progress, strict=strict)
    return dataset_id
