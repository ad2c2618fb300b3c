"""The committed manifest of the project's generated datasets (``datasets/manifest.json``).

One entry per dataset id the suite generates (every size): its content hash, size, episode and
step counts and reference scores, plus the versions of the data stack that made them. The
generator checks what it writes against it; the leaderboard keeps runs on other bytes apart.
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
