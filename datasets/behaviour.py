"""Behaviour policies the project ships: actor-only safetensors checkpoints, no pickle.

A checkpoint holds the observation normalisation of training (``obs_mean``, ``obs_var``), the
actor MLP (``layer{i}.weight``, ``layer{i}.bias``) and ``log_std``; its safetensors metadata
records the env id, the training step and the hidden activation (relu or tanh). Loading needs
torch and safetensors only (no RL library).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, safe_open, save_file

from curatedrl.datasets import exact_mlp
from curatedrl.errors import CuratedRLError

POLICY_DIR = Path(__file__).resolve().parents[1] / "policies"
OBS_CLIP = 10.0  # VecNormalize's default clip
OBS_EPS = 1e-8


def checkpoint_name(step: int) -> str:
    return f"step_{step:08d}.safetensors"


def save_actor(path: str | Path, tensors: dict[str, torch.Tensor], env_id: str, step: int,
               activation: str = "relu", dtype: torch.dtype = torch.float16) -> None:
    """Write an actor checkpoint (weights in ``dtype``, normalisation stats in float32)."""
    out = {k: (v.detach().cpu().to(torch.float32 if k.startswith("obs_") else dtype)).contiguous()
           for k, v in tensors.items()}
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    meta = {"env_id": env_id, "step": str(step), "activation": activation}
    save_file(out, str(tmp), metadata=meta)
    tmp.replace(path)


def checkpoint_metadata(path: str | Path) -> dict[str, str]:
    with safe_open(str(path), framework="pt") as f:
        return dict(f.metadata() or {})


class BehaviourPolicy:
    """A shipped actor as a batch policy (``obs (n, d) -> actions (n, a)``).

    Args:
        path: the safetensors checkpoint.
        stochastic: sample from the Gaussian (as during training) instead of taking its mean.
        seed: seed of the sampling noise.
    """

    def __init__(self, path: str | Path, stochastic: bool = False, seed: int = 0):
        self.path = Path(path)
        t = {k: v.to(torch.float64).numpy() for k, v in load_file(str(self.path)).items()}
        meta = checkpoint_metadata(self.path)
        self.env_id = meta["env_id"]
        self.step = int(meta["step"])
        self.activation = meta.get("activation", "relu")
        if self.activation not in exact_mlp.ACTIVATIONS:
            raise CuratedRLError(f"{self.path}: unknown activation {self.activation!r} in its "
                                 f"metadata (known: {', '.join(exact_mlp.ACTIVATIONS)})")
        self.obs_scale = np.sqrt(t["obs_var"] + OBS_EPS)
        self.obs_mean = t["obs_mean"]
        n_layers = len([k for k in t if k.startswith("layer") and k.endswith(".weight")])
        self.layers = [(t[f"layer{i}.weight"], t[f"layer{i}.bias"]) for i in range(n_layers)]
        self.std = exact_mlp.exp(t["log_std"])
        self.stochastic = stochastic
        self.rng = np.random.default_rng(seed)

    def mean64(self, obs: np.ndarray) -> np.ndarray:
        """The Gaussian's mean in float64, the same bits on every CPU (``exact_mlp``)."""
        x = np.asarray(obs, dtype=np.float32).astype(np.float64)
        x = np.clip((x - self.obs_mean) / self.obs_scale, -OBS_CLIP, OBS_CLIP)
        return exact_mlp.mlp(x, self.layers, self.activation)

    def mean(self, obs: np.ndarray) -> np.ndarray:
        return self.mean64(obs).astype(np.float32)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        mu = self.mean64(obs)
        if self.stochastic:
            mu = mu + self.std * self.rng.standard_normal(mu.shape)
        return mu.astype(np.float32)


def env_dir(env_key: str, root: Path = POLICY_DIR) -> Path:
    return root / env_key


def list_checkpoints(env_key: str, root: Path = POLICY_DIR, run: str = "") -> list[Path]:
    """The env's checkpoints in training order (of the separate run ``run``, e.g. ``replay``)."""
    return sorted((env_dir(env_key, root) / run).glob("step_*.safetensors"))


def read_card(env_key: str, root: Path = POLICY_DIR, run: str = "") -> dict[str, Any]:
    path = env_dir(env_key, root) / run / "card.json"
    return json.loads(path.read_text()) if path.exists() else {}


def write_card(env_key: str, card: dict[str, Any], root: Path = POLICY_DIR, run: str = ""
               ) -> None:
    path = env_dir(env_key, root) / run / "card.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
