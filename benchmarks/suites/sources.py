"""Data sources of the suites: which data a suite cell trains on (``--data``, ``DATA=``).

A dataset's source is read off the dataset itself (``ids.dataset_source``: a .hdf5 file is
``d4rl``, a ``curatedrl/...`` id ``curatedrl``, another Minari id ``minari``): without
``--data`` a sweep takes the source of its ``--dataset`` values (``implied``), and a dataset of
another source than ``--data`` is refused in one line (``agree``), so results of one source never
land in another's folder or leaderboard section.

A suite names its cells as ``<env>-<tier>`` (the slugs of its datasets in
``configs/suites.yaml``: hopper-medium, ...). A source maps a cell to its data with the
patterns of that file's ``sources`` block: ``curatedrl`` (default) to the project's generated
``curatedrl/<env>/<tier>-v0``, ``d4rl`` to D4RL's ``<dir>/<env>-<tier>-v2.hdf5`` (or the
underscored name ``d4rl`` downloads it under), ``minari`` to Minari's ``mujoco/<env>/<tier>-v0``.
A cell whose tier the source lacks (Minari has no medium-replay) is left out and said so; a
cell whose data is not here is named, with where it was looked for and how to get it, in one
line before any cell starts (``allow_missing`` runs the others).

Per-dataset configs (``configs/<algo>/<env>-<tier>.yaml``) key on the cell, so every source of
the same cell uses them (``dataset_slug`` reads ``hopper_medium-v2.hdf5`` as hopper-medium).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curatedrl.benchmarks.suites.cell_config import CONFIG_DIR, suite
from curatedrl.datasets.ids import (SOURCE_RULE, canonical_name, dataset_slug, dataset_source,
                                    is_file_spec)
from curatedrl.run.records.rundir import read_yaml
from curatedrl.errors import CuratedRLError

DEFAULT = "curatedrl"


def sources() -> dict[str, dict[str, Any]]:
    return read_yaml(CONFIG_DIR / "suites.yaml")["sources"]


def source_spec(name: str) -> dict[str, Any]:
    known = sources()
    if name not in known:
        raise CuratedRLError(f"unknown data source {name!r}; choose one of {', '.join(known)}")
    return known[name]


def split_cell(cell: str) -> tuple[str, str]:
    """``hopper-medium-replay`` -> (hopper, medium-replay)."""
    env, _, tier = cell.partition("-")
    if not tier:
        raise CuratedRLError(f"cannot read {cell!r} as <env>-<tier> (e.g. hopper-medium)")
    return env, tier


def data_dir(name: str, given: str | None) -> Path | None:
    spec = source_spec(name)
    where = given or spec.get("dir")
    return Path(os.path.expanduser(where)) if where else None


def candidates(name: str, cell: str, where: Path | None = None) -> list[str]:
    """Every spec (id or path) that holds ``cell`` in source ``name``, preferred first; [] if the
    source has no such tier."""
    spec = source_spec(name)
    env, tier = split_cell(cell)
    if tier not in spec["tiers"]:
        return []
    fields = {"env": env, "tier": tier, "tier_": tier.replace("-", "_"),
              "dir": str(where or data_dir(name, None) or ".")}
    return list(dict.fromkeys(p.format(**fields) for p in spec["data"]))


def is_present(spec: str) -> bool:
    if is_file_spec(spec):
        return Path(spec).is_file()
    from curatedrl.datasets.minari_io import local_dataset_ids

    return spec in set(local_dataset_ids())


def section_datasets(name: str, datasets: list[str]) -> list[str]:
    """The suite datasets as source ``name`` holds them (cells it lacks left out), by the names
    runs record (``canonical_name``)."""
    if name == DEFAULT:
        return list(datasets)
    out = []
    for d in datasets:
        found = candidates(name, dataset_slug(d), Path("."))
        if found:
            out.append(canonical_name(found[0]))
    return out


def _names_data(spec: str) -> bool:
    """A ``--dataset`` value that names data itself (a file, a D4RL file name, a Minari id), not
    a cell of ``--data`` (``hopper-medium``)."""
    return "/" in spec or is_file_spec(spec)


def implied(wanted: list[str] | None) -> str:
    """The data source of a sweep without ``--data``: the one its ``--dataset`` values belong
    to (``ids.dataset_source``; cells alone: the default). Data of several sources is refused:
    their results go to different folders and are never compared."""
    found: dict[str, str] = {}
    for w in wanted or []:
        if _names_data(w):
            found.setdefault(dataset_source(w), w)
    if len(found) > 1:
        listed = "; ".join(f"{w!r} is {src} data" for src, w in found.items())
        raise CuratedRLError(f"the datasets belong to {len(found)} data sources ({listed}); "
                             f"sweep each source on its own (their results never share a "
                             f"section)")
    return next(iter(found), DEFAULT)


def agree(name: str, datasets: list[str], explicit: bool = True) -> None:
    """Refuse, in one line, a dataset that is not data of source ``name`` (``explicit``: the
    user named it with ``--data``): its results would land in another source's section."""
    for d in datasets:
        src = dataset_source(d)
        if src != name:
            given = f"--data {name}" if explicit else f"the data source {name}"
            raise CuratedRLError(
                f"dataset {d!r} is {src} data ({SOURCE_RULE[src]}), not {name} data as {given} "
                f"says; drop --data (the data decides the source) or pass --data {src}"
                + (f", or name the cell ({dataset_slug(d)}) to run it on {name} data"
                   if src == DEFAULT else ""))


@dataclass
class Resolved:
    datasets: list[str]  # what the cells train on, present here (or made on demand)
    absent: list[str] = field(default_factory=list)  # cells the source does not have
    missing: list[tuple[str, list[str]]] = field(default_factory=list)  # (cell, looked for)


def resolve(name: str, suite_name: str, wanted: list[str] | None = None,
            where: str | None = None) -> Resolved:
    """Map the suite's cells (or ``wanted``: cells, D4RL file names or paths, dataset ids) to
    source ``name``'s data. A file, or a Minari id given in ``wanted``, is the data itself and
    is used as given (``agree`` then checks that it is ``name``'s data); a D4RL file name that
    is not a file is looked up in the source's folder; a cell maps to the source's dataset.
    The default source's ids missing here are generated by the sweep."""
    spec_list = wanted or suite(suite_name)["datasets"]
    base = data_dir(name, where)
    out = Resolved([])
    for w in dict.fromkeys(spec_list):
        given = wanted is not None and _names_data(w) and not (
            name == "d4rl" and dataset_source(w) == "d4rl" and not Path(w).is_file())
        if Path(w).is_file() or given or (name == DEFAULT and "/" in w):
            if name == "minari" and dataset_source(w) == name and not is_present(w):
                out.missing.append((dataset_slug(w), [w]))
            else:
                out.datasets.append(w)  # given as the data itself
            continue
        cell = dataset_slug(w)
        found = candidates(name, cell, base)
        if not found:
            out.absent.append(cell)
        elif name == DEFAULT:
            out.datasets.append(found[0])
        else:
            here = [f for f in found if is_present(f)]
            (out.datasets.append(here[0]) if here else out.missing.append((cell, found)))
    return out


def check(name: str, resolved: Resolved, where: str | None, allow_missing: bool) -> list[str]:
    """Raise one line naming the missing data (unless ``allow_missing``); return the notes to
    print (cells the source lacks, cells skipped for missing data)."""
    notes = []
    if resolved.absent:
        notes.append(f"data {name}: no {', '.join(resolved.absent)} in this source; those cells "
                     f"are left out")
    if resolved.missing:
        spec = source_spec(name)
        cells = ", ".join(c for c, _ in resolved.missing)
        looked = "; ".join(" or ".join(found) for _, found in resolved.missing)
        env, tier = split_cell(resolved.missing[0][0])
        get = spec["get"].format(id=resolved.missing[0][1][0], env=env,
                                 tier_=tier.replace("-", "_"))
        where_txt = f" (--data-dir {data_dir(name, where)})" if name == "d4rl" else \
            f" (MINARI_DATASETS_PATH={os.environ.get('MINARI_DATASETS_PATH', '~/.minari')})"
        if not allow_missing:
            raise CuratedRLError(
                f"data {name}{where_txt}: no data here for {cells}: looked for {looked}; get "
                f"it ({get}), or pass --allow-missing to run only the cells whose data is here")
        notes.append(f"data {name}: skipping {cells} (not here: {looked})")
    if not resolved.datasets:
        raise CuratedRLError(f"data {name}: none of the requested cells has data in this "
                             f"source; nothing to run")
    return notes
