"""Ids of the suite's own datasets (one per env, tier and size: no two sizes share an id), and
what any dataset spec says about itself: its data source and the name every machine gives it."""

from __future__ import annotations

import re
from pathlib import Path

from curatedrl.constants import ENVS, SIZES, TIERS  # noqa: F401  (re-exported)

SUITE_SEED = 0  # the seed of the manifest's datasets
FILE_SUFFIXES = (".hdf5", ".h5")  # D4RL-format files
# what makes a dataset belong to each data source (``dataset_source``), for messages
SOURCE_RULE = {"d4rl": "a .hdf5 file is D4RL data",
               "curatedrl": "a curatedrl/... id is the project's own data",
               "minari": "a Minari id outside curatedrl/ is Minari data"}


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
    if dataset.endswith(FILE_SUFFIXES):
        return re.sub(r"-v\d+$", "", Path(dataset).stem).replace("_", "-")
    name = dataset.split("/", 1)[1] if dataset.count("/") >= 2 else dataset
    name = re.sub(r"-v\d+$", "", name)
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")


def is_file_spec(spec: str) -> bool:
    """``spec`` names a D4RL-format file (by its suffix, or an existing file), not a Minari id."""
    return spec.endswith(FILE_SUFFIXES) or Path(spec).is_file()


def dataset_source(spec: str) -> str:
    """The data source a dataset belongs to, read off the dataset itself whatever a command says:
    ``d4rl`` for a D4RL-format file, ``curatedrl`` for the project's ids (``curatedrl/...``),
    ``minari`` for any other Minari id. Results of different sources never share a folder."""
    if is_file_spec(spec):
        return "d4rl"
    return "curatedrl" if spec.startswith("curatedrl/") else "minari"


def canonical_name(spec: str) -> str:
    """A dataset as every machine names it, and as run records and results write it: a D4RL file
    by its file name with underscores read as dashes and the suffix ``.hdf5``
    (``/data/hopper_medium_replay-v2.hdf5`` -> ``hopper-medium-replay-v2.hdf5``: the folder it
    lies in, or the name ``d4rl`` downloads it under, is not what it is); a Minari id as is."""
    if dataset_source(spec) == "d4rl":
        return Path(spec).stem.replace("_", "-") + ".hdf5"
    return spec
