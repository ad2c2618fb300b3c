"""Ids of the suite's own datasets: one per env, tier and size (no two sizes share an id)."""

from __future__ import annotations

import re
from pathlib import Path

from curatedrl.constants import ENVS, SIZES, TIERS  # noqa: F401  (re-exported)

SUITE_SEED = 0  # the seed of the manifest's datasets


def dataset_id(env_key: str, tier: str, size: str = "full") -> str:
    """``curatedrl/<env>/<tier>-v0`` (full), ``<tier>-small-v0``, ``<tier>-tiny-v0``."""
    return f"curatedrl/{env_key}/{tier}{'' if size == 'full' else '-' + size}-v0"


def parse_id(did: str) -> tuple[str, str, str] | None:
    """(env, tier, size) of a suite dataset id, or None for any other id."""
    parts = did.split("/")
    if len(parts) != 3 or parts[0] != "curatedrl" or parts[1] not in ENVS:
        return None
    for tier in TIERS:
        for size in SIZES:
            if dataset_id(parts[1], tier, size) == did:
                return parts[1], tier, size
    return None


def generate_command(did: str) -> str | None:
    """The ``curatedrl datasets generate`` command that makes a suite id (None for others)."""
    parsed = parse_id(did)
    if parsed is None:
        return None
    env_key, tier, size = parsed
    return f"curatedrl datasets generate --env {env_key} --tier {tier}" + \
        ("" if size == "full" else f" --size {size}")


def all_ids() -> list[str]:
    """Every id the suite generates (every env, tier and size): the manifest's keys."""
    return [dataset_id(e, t, s) for e in ENVS for s in SIZES for t in TIERS]


def dataset_size(did: str, extra: dict | None = None) -> str:
    """The size a dataset id stands for (``full``, ``small``, ``tiny``), from the id for suite
    datasets, else from the metadata's ``size``, else ``-``."""
    parsed = parse_id(did)
    if parsed is not None:
        return parsed[2]
    return str((extra or {}).get("size", "-"))


def dataset_slug(dataset: str) -> str:
    """``curatedrl/hopper/medium-replay-v0`` -> ``hopper-medium-replay``; a file -> its stem
    without a version, underscores read as dashes (D4RL's ``hopper_medium_replay-v2.hdf5`` ->
    ``hopper-medium-replay``: the same cell and per-dataset configs)."""
    if dataset.endswith((".hdf5", ".h5")):
        return re.sub(r"-v\d+$", "", Path(dataset).stem).replace("_", "-")
    name = dataset.split("/", 1)[1] if dataset.count("/") >= 2 else dataset
    name = re.sub(r"-v\d+$", "", name)
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
