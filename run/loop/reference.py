"""Stage 1 of the two-stage runs: the BC reference policy π_ref, trained once and cached.

The cache key hashes everything π_ref depends on (dataset content hash, seed, stage-1 schedule,
subsampling, device type, on CPU the torch thread count, and a version of the actor/loss code), so
a changed input trains a new π_ref instead of silently reusing a stale one. The thread count
changes CPU float reductions, so a π_ref trained with 2 threads differs from one trained with 1
(as a run's results do: config.yaml records the count): a run must get the π_ref its own
command would train on a fresh machine, whatever another run left in the cache. The two-stage
runs of one seed still share π_ref with each other and with the ``bc`` cell when they run with
the same thread count, as a sweep's cells do. On CUDA the thread count does not enter the
GPU's arithmetic and is left out. Files are safetensors (no pickle). An entry holds:

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

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from curatedrl.algos.bc import BC, BCConfig
from curatedrl.algos.iw_bc import row_log_probs
from curatedrl.datasets.buffer import DeviceBuffer, make_generator
from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.run.loop.progress import progress as progress_display

REFERENCE_VERSION = 2  # bump when the actor, the BC loss or the stage-1 procedure changes
CACHE_DIR = Path(os.environ.get("CURATEDRL_CACHE", Path("runs") / "cache")) / "reference"
SNAPSHOT_EVERY = 500  # stage-1 actor snapshots kept for the bc cell's evaluation curve


def cache_key(ds: EpisodeDataset, bc: BCConfig, threads: int | None = None) -> str:
    """The entry of a stage-1 config on ``ds`` (``threads``: this process's torch thread
    count unless given; part of the key on CPU only)."""
    device = torch.device(bc.device).type
    fields = {"dataset": ds.content_hash, "seed": bc.seed, "steps": bc.steps,
              "batch": bc.batch_size, "lr": bc.lr, "steps_per_episode": bc.steps_per_episode,
              "device": device, "version": REFERENCE_VERSION}
    if device == "cpu":
        fields["threads"] = torch.get_num_threads() if threads is None else threads
    blob = json.dumps(fields, sort_keys=True)
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
    losses, steps = [], {}
    for step in progress_display(range(1, bc_cfg.steps + 1), total=bc_cfg.steps,
                                 desc="stage 1: BC reference", enabled=progress, leave=False):
        losses.append(bc.update(bc.sample(buffer, gen))["loss"])
        if step % SNAPSHOT_EVERY == 0 or step == bc_cfg.steps:
            steps.update({f"{step}/{k}": v.clone() for k, v in bc.actor.state_dict().items()})
    state = {k: v.detach().cpu().contiguous() for k, v in bc.actor.state_dict().items()}
    _save(CACHE_DIR / f"{key}.steps.safetensors",
          {"loss": torch.tensor(losses, dtype=torch.float64), **steps}, key)
    _save(path, state, key)  # last: its presence means the entry is complete
    return {k: v.to(bc_cfg.device) for k, v in state.items()}, key, False


def reference_log_probs(buffer: DeviceBuffer, ref_actor, key: str) -> torch.Tensor:
    """log π_ref(a_t|s_t) of every dataset row, cached beside π_ref under the same key."""
    path = CACHE_DIR / f"{key}.logp.safetensors"
    cached = _read_cached(path, key) if path.exists() else None
    if cached is not None and len(cached.get("log_prob", ())) == len(buffer.observations):
        return cached["log_prob"].to(buffer.device)
    values = row_log_probs(ref_actor, buffer.observations, buffer.actions)
    _save(path, {"log_prob": values}, key)
    return values


class ReferenceCache:
    """The stage 1 a run gives its algorithm (``Algorithm.prepare``; ``algos.base.StageOne``):
    BC runs on ``ds`` trained once per config and kept under ``CACHE_DIR``."""

    snapshot_every = SNAPSHOT_EVERY

    def __init__(self, ds: EpisodeDataset, buffer: DeviceBuffer, progress: bool = True):
        self.ds, self.buffer, self.progress = ds, buffer, progress

    def policy(self, bc_cfg: BCConfig) -> tuple[dict[str, torch.Tensor], str, bool]:
        return stage_one(self.ds, self.buffer, bc_cfg, self.progress)

    def record(self, bc_cfg: BCConfig) -> tuple[dict[str, torch.Tensor], str, bool]:
        _, key, cached = self.policy(bc_cfg)
        record = _read_cached(CACHE_DIR / f"{key}.steps.safetensors", key)
        if record is None:  # damaged or missing: train the entry again
            (CACHE_DIR / f"{key}.safetensors").unlink(missing_ok=True)
            _, key, cached = self.policy(bc_cfg)
            record = _read_cached(CACHE_DIR / f"{key}.steps.safetensors", key)
        return record, key, cached

    def log_probs(self, key: str, actor) -> torch.Tensor:
        return reference_log_probs(self.buffer, actor, key)


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
