"""Stage 1 of the two-stage runs: the BC reference policy π_ref, trained once and cached.

The cache key hashes everything π_ref depends on (dataset content hash, seed, stage-1 schedule,
subsampling, device type and a version of the actor/loss code), so a changed input trains a new
π_ref instead of silently reusing a stale one. Files are safetensors (no pickle). An entry holds:

- ``<key>.safetensors``: π_ref's actor state;
- ``<key>.steps.safetensors``: the stage-1 loss of every step and the actor at every
  ``SNAPSHOT_EVERY`` steps (and the last), so that the ``bc`` cell, which *is* stage 1, replays
  it with its evaluation curve instead of training again;
- ``<key>.logp.safetensors``: log π_ref(a_t|s_t) of every dataset row (iw-BC's weights).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from curatedrl.algos.bc import BC, BCConfig
from curatedrl.algos.iw_bc import row_log_probs
from curatedrl.datasets.buffer import DeviceBuffer, make_generator
from curatedrl.datasets.episodes import EpisodeDataset

REFERENCE_VERSION = 2  # bump when the actor, the BC loss or the stage-1 procedure changes
CACHE_DIR = Path(os.environ.get("CURATEDRL_CACHE", Path("runs") / "cache")) / "reference"
SNAPSHOT_EVERY = 500  # stage-1 actor snapshots kept for the bc cell's evaluation curve


def reference_config(cfg) -> BCConfig:
    """The stage-1 BC config implied by a two-stage algorithm's config."""
    k = cfg.ref_steps_per_episode
    return BCConfig(seed=cfg.seed, dataset=cfg.dataset, steps=cfg.ref_steps,
                    batch_size=cfg.ref_batch_size, lr=cfg.ref_lr, level="episode",
                    steps_per_episode=cfg.steps_per_episode if k is None else k,
                    device=cfg.device)


def cache_key(ds: EpisodeDataset, bc: BCConfig) -> str:
    blob = json.dumps({"dataset": ds.content_hash, "seed": bc.seed, "steps": bc.steps,
                       "batch": bc.batch_size, "lr": bc.lr,
                       "steps_per_episode": bc.steps_per_episode,
                       "device": torch.device(bc.device).type, "version": REFERENCE_VERSION},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def _save(path: Path, tensors: dict[str, torch.Tensor], key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # unique per writing process
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp),
              metadata={"key": key})
    tmp.replace(path)


def stage_one(ds: EpisodeDataset, buffer: DeviceBuffer, bc_cfg: BCConfig, progress: bool = True
              ) -> tuple[dict[str, torch.Tensor], str, bool]:
    """π_ref's actor state for a stage-1 config: (state, cache key, whether it was cached)."""
    key = cache_key(ds, bc_cfg)
    path = CACHE_DIR / f"{key}.safetensors"
    if path.exists():
        state = _read_cached(path, key)
        if state is not None:
            return {k: v.to(bc_cfg.device) for k, v in state.items()}, key, True
    bc = BC(bc_cfg, ds.metadata.obs_dim, ds.metadata.act_dim)
    gen = make_generator(bc_cfg.seed + 7919, bc_cfg.device)
    kwargs = bc.sample_kwargs()
    losses, steps = [], {}
    for step in tqdm(range(1, bc_cfg.steps + 1), desc="stage 1: BC reference",
                     disable=not progress, leave=False):
        losses.append(bc.update(buffer.sample_episodes(bc_cfg.batch_size, gen, **kwargs))["loss"])
        if step % SNAPSHOT_EVERY == 0 or step == bc_cfg.steps:
            steps.update({f"{step}/{k}": v.clone() for k, v in bc.actor.state_dict().items()})
    state = {k: v.detach().cpu().contiguous() for k, v in bc.actor.state_dict().items()}
    _save(CACHE_DIR / f"{key}.steps.safetensors",
          {"loss": torch.tensor(losses, dtype=torch.float64), **steps}, key)
    _save(path, state, key)  # last: its presence means the entry is complete
    return {k: v.to(bc_cfg.device) for k, v in state.items()}, key, False


def get_reference(ds: EpisodeDataset, buffer: DeviceBuffer, cfg, progress: bool = True
                  ) -> tuple[dict[str, torch.Tensor], str, bool]:
    """π_ref's actor state for a two-stage config: (state, cache key, whether it was cached)."""
    return stage_one(ds, buffer, reference_config(cfg), progress)


def reference_log_probs(buffer: DeviceBuffer, ref_actor, key: str) -> torch.Tensor:
    """log π_ref(a_t|s_t) of every dataset row, cached beside π_ref under the same key."""
    path = CACHE_DIR / f"{key}.logp.safetensors"
    cached = _read_cached(path, key) if path.exists() else None
    if cached is not None and len(cached.get("log_prob", ())) == len(buffer.observations):
        return cached["log_prob"].to(buffer.device)
    values = row_log_probs(ref_actor, buffer.observations, buffer.actions)
    _save(path, {"log_prob": values}, key)
    return values


def replays_stage_one(cfg) -> bool:
    """Whether a ``bc`` run is stage 1 itself (episode level, evaluated at snapshot steps)."""
    return (getattr(cfg, "level", None) == "episode"
            and cfg.eval_every % SNAPSHOT_EVERY == 0)


def attach_reference(agent, ds: EpisodeDataset, buffer: DeviceBuffer, cfg,
                     ref_info: dict[str, Any], progress: bool = True) -> dict[str, Any]:
    """Give ``agent`` what it needs from stage 1; returns the run's reference info.

    - two-stage algorithms: π_ref (fresh runs; a resumed run restores it from its checkpoint)
      and, for iw-BC, the cached log π_ref of every row;
    - ``bc`` at episode level: the cached stage-1 run it is, replayed (trained first if absent).
    """
    if agent.needs_reference:
        if not ref_info:
            state, key, cached = get_reference(ds, buffer, cfg, progress)
            agent.set_reference(state)
            ref_info = {"reference_key": key, "reference_cached": cached}
        if getattr(agent, "uses_reference_log_probs", False):
            agent.set_reference_log_probs(
                reference_log_probs(buffer, agent.ref, ref_info["reference_key"]))
    elif hasattr(agent, "replay") and replays_stage_one(cfg):
        fields = ("seed", "dataset", "steps", "batch_size", "lr", "level", "steps_per_episode",
                  "device")
        bc_cfg = BCConfig(**{f: getattr(cfg, f) for f in fields})
        _, key, cached = stage_one(ds, buffer, bc_cfg, progress)
        record = _read_cached(CACHE_DIR / f"{key}.steps.safetensors", key)
        if record is None:  # damaged or missing: train the entry again
            (CACHE_DIR / f"{key}.safetensors").unlink(missing_ok=True)
            _, key, cached = stage_one(ds, buffer, bc_cfg, progress)
            record = _read_cached(CACHE_DIR / f"{key}.steps.safetensors", key)
        agent.replay({k: v.to(agent.device) for k, v in record.items()})
        ref_info = ref_info or {"reference_key": key, "reference_cached": cached}
    return ref_info


def _read_cached(path: Path, key: str) -> dict[str, torch.Tensor] | None:
    """A cached entry (π_ref, its row log-probs or its stage-1 record), or None (with a warning
    naming the file) when it is missing or damaged: cut short, not safetensors, another key,
    non-finite values. The caller then computes it again."""
    import warnings

    if not path.exists():
        return None
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
    warnings.warn(f"reference cache file {str(path)!r} is damaged ({problem}); computing it "
                  f"again and replacing it", stacklevel=3)
    return None
