"""Stage 1 of the two-stage runs: the BC reference policy π_ref, trained once and cached.

The cache key hashes everything π_ref depends on (dataset content hash, seed, stage-1 schedule,
subsampling, device type and a version of the actor/loss code), so a changed input trains a new
π_ref instead of silently reusing a stale one. Files are safetensors (no pickle).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from curatedrl.algos.bc import BC, BCConfig
from curatedrl.datasets.buffer import DeviceBuffer, make_generator
from curatedrl.datasets.episodes import EpisodeDataset

REFERENCE_VERSION = 1  # bump when the actor or the BC loss changes
CACHE_DIR = Path(os.environ.get("CURATEDRL_CACHE", Path("runs") / "cache")) / "reference"


def reference_config(cfg) -> BCConfig:
    """The stage-1 BC config implied by a two-stage algorithm's config."""
    return BCConfig(seed=cfg.seed, dataset=cfg.dataset, steps=cfg.ref_steps,
                    batch_size=cfg.ref_batch_size, lr=cfg.ref_lr, level="episode",
                    steps_per_episode=cfg.steps_per_episode, device=cfg.device)


def cache_key(ds: EpisodeDataset, bc: BCConfig) -> str:
    blob = json.dumps({"dataset": ds.content_hash, "seed": bc.seed, "steps": bc.steps,
                       "batch": bc.batch_size, "lr": bc.lr,
                       "steps_per_episode": bc.steps_per_episode,
                       "device": torch.device(bc.device).type, "version": REFERENCE_VERSION},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def get_reference(ds: EpisodeDataset, buffer: DeviceBuffer, cfg, progress: bool = True
                  ) -> tuple[dict[str, torch.Tensor], str, bool]:
    """π_ref's actor state for a two-stage config: (state, cache key, whether it was cached)."""
    bc_cfg = reference_config(cfg)
    key = cache_key(ds, bc_cfg)
    path = CACHE_DIR / f"{key}.safetensors"
    if path.exists():
        state = _read_cached(path, key)
        if state is not None:
            return {k: v.to(cfg.device) for k, v in state.items()}, key, True
    bc = BC(bc_cfg, ds.metadata.obs_dim, ds.metadata.act_dim)
    gen = make_generator(bc_cfg.seed + 7919, bc_cfg.device)
    kwargs = bc.sample_kwargs()
    for _ in tqdm(range(bc_cfg.steps), desc="stage 1: BC reference", disable=not progress,
                  leave=False):
        bc.update(buffer.sample_episodes(bc_cfg.batch_size, gen, **kwargs))
    state = {k: v.detach().cpu().contiguous() for k, v in bc.actor.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    save_file(state, str(tmp), metadata={"key": key})
    tmp.replace(path)
    return {k: v.to(cfg.device) for k, v in state.items()}, key, False


def _read_cached(path: Path, key: str) -> dict[str, torch.Tensor] | None:
    """A cached π_ref, or None (with a warning naming the file) when the entry is damaged: cut
    short, not safetensors, another key, non-finite weights. It is then trained again."""
    import warnings

    try:
        with safe_open(str(path), framework="pt") as f:
            stored = (f.metadata() or {}).get("key")
        state = load_file(str(path))
        problem = (f"holds key {stored!r}" if stored != key else
                   "holds no tensors" if not state else
                   "holds non-finite weights" if not all(bool(torch.isfinite(v).all())
                                                         for v in state.values()) else None)
    except Exception as exc:  # safetensors raises its own SafetensorError, OSError, ...
        problem = f"{type(exc).__name__}: {exc}"
    if problem is None:
        return state
    warnings.warn(f"reference cache file {str(path)!r} is damaged ({problem}); training the "
                  f"reference policy again and replacing it", stacklevel=3)
    return None
