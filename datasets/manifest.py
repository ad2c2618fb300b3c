"""The committed manifest of the project's generated datasets (``datasets/manifest.json``).

One entry per dataset id the suite generates (every size): its content hash, size, episode and
step counts and reference scores, plus the versions of the data stack that made them, and the
content hashes an earlier generator wrote for the same dataset (``earlier_hashes``; same
policies, seeds and sizes, other bytes; docs/datasets.md). The generator checks what it writes
against the current hash; the leaderboard averages only runs on the current bytes and lists the
others apart (counting those on earlier bytes, which a sweep reruns).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

MANIFEST_PATH = Path(__file__).with_name("manifest.json")


@functools.lru_cache(maxsize=4)
def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, Any]:
    """``{"versions": {...}, "datasets": {id: {"size", "content_hash", "episodes", "steps",
    "ref_min_score", "ref_max_score"}}}``; empty sections when the file does not exist."""
    if not Path(path).exists():
        return {"versions": {}, "datasets": {}}
    data = json.loads(Path(path).read_text())
    return {"versions": data.get("versions", {}), "datasets": data.get("datasets", {})}


def expected(dataset_id: str, path: Path = MANIFEST_PATH) -> dict[str, Any] | None:
    """The manifest's entry for ``dataset_id``, or None for data the project does not generate
    (a D4RL file, another Minari dataset)."""
    return load_manifest(path)["datasets"].get(dataset_id)


def expected_hash(dataset_id: str, path: Path = MANIFEST_PATH) -> str | None:
    entry = expected(dataset_id, path)
    return None if entry is None else entry["content_hash"]


def earlier_hashes(dataset_id: str, path: Path = MANIFEST_PATH) -> list[str]:
    """Content hashes an earlier generator wrote for ``dataset_id`` (the same policies, seeds
    and sizes; other bytes): runs trained on them are still runs on this dataset."""
    entry = expected(dataset_id, path)
    return [] if entry is None else list(entry.get("earlier_hashes", []))


def expected_evaluation(dataset_id: str, path: Path = MANIFEST_PATH) -> dict[str, Any] | None:
    """What a run on the manifest's dataset ``dataset_id`` is scored against (``envs.EVAL_KEYS``:
    the suite's evaluation env, no extra make arguments, the manifest's reference returns);
    None for data the manifest does not hold. A sweep compares runs on data not generated here
    by it, and reads it for results written before config.yaml recorded these fields."""
    from curatedrl.constants import ENVS
    from curatedrl.datasets.ids import parse_id

    entry, parsed = expected(dataset_id, path), parse_id(dataset_id)
    if entry is None or parsed is None:
        return None
    return {"eval_env": ENVS[parsed[0]], "eval_env_kwargs": {},
            "ref_min_score": entry.get("ref_min_score"),
            "ref_max_score": entry.get("ref_max_score")}


def check(ds: Any, path: Path = MANIFEST_PATH) -> str | None:
    """One line when a loaded dataset's content hash differs from the manifest's, else None
    (also None for ids the manifest does not hold)."""
    from curatedrl.datasets.versions import data_versions, format_versions

    did = ds.metadata.dataset_id
    want = expected_hash(did, path)
    if want is None or want == ds.content_hash:
        return None
    made = load_manifest(path)["versions"]
    return (f"{did}: content hash {ds.content_hash} differs from the manifest's {want} "
            f"(manifest made with {format_versions(made)}; installed: "
            f"{format_versions(data_versions())}); install the pinned stack with "
            f"`pip install -c constraints.txt -e .`")


def entry(ds: Any) -> dict[str, Any]:
    """The manifest entry of a loaded suite dataset."""
    from curatedrl.datasets.filters import strata_unique
    from curatedrl.datasets.ids import parse_id

    parsed = parse_id(ds.metadata.dataset_id)
    return {"size": parsed[2] if parsed else ds.metadata.extra.get("size"),
            "content_hash": ds.content_hash, "episodes": ds.num_episodes,
            "steps": ds.num_steps, "strata_unique_episodes": strata_unique(ds.returns),
            "ref_min_score": ds.metadata.ref_min_score,
            "ref_max_score": ds.metadata.ref_max_score}


def write_manifest(ids: list[str], path: Path = MANIFEST_PATH) -> dict[str, Any]:
    """Write the manifest from the local datasets ``ids`` (all made with one data stack)."""
    from curatedrl.datasets.loader import load
    from curatedrl.datasets.versions import data_versions
    from curatedrl.errors import CuratedRLError

    from tqdm.auto import tqdm

    old = load_manifest(path)["datasets"]
    datasets, versions = {}, None
    for did in tqdm(ids, desc="datasets hashed", unit="dataset", leave=False):
        ds = load(did)
        made = ds.metadata.extra.get("versions")
        if made is not None and versions is not None and made != versions:
            raise CuratedRLError(f"{did} was made with {made}, other datasets with {versions}; "
                                 f"regenerate them on one stack (datasets generate --force)")
        versions = made if made is not None else versions
        datasets[did] = entry(ds)
        before = old.get(did, {})
        earlier = [*before.get("earlier_hashes", []), before.get("content_hash")]
        earlier = [h for h in dict.fromkeys(earlier) if h and h != ds.content_hash]
        if earlier:
            datasets[did]["earlier_hashes"] = earlier
    out = {"versions": versions or data_versions(), "datasets": datasets}
    tmp = Path(path).with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)
    load_manifest.cache_clear()
    return out


def compare_local(ids: list[str], path: Path = MANIFEST_PATH) -> list[list[str]]:
    """[id, size, manifest hash, local hash, status] for ``ids``; status is ``ok``, ``differs``,
    ``not stored`` or ``not in manifest``."""
    from curatedrl.datasets.ids import dataset_size
    from curatedrl.datasets.loader import load
    from curatedrl.datasets.minari_io import local_dataset_ids

    from tqdm.auto import tqdm

    local = set(local_dataset_ids())
    rows = []
    for did in tqdm(ids, desc="datasets hashed", unit="dataset", leave=False):
        want = expected_hash(did, path)
        have = load(did).content_hash if did in local else None
        status = ("not stored" if have is None else "not in manifest" if want is None else
                  "ok" if want == have else "differs")
        rows.append([did, dataset_size(did), want or "-", have or "-", status])
    return rows
