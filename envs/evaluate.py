"""Deterministic evaluation rollouts and the normalised score."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from curatedrl.envs.factory import EnvSpec
from curatedrl.envs.rollout import Policy, run_episodes


def normalized_score(returns, ref_min: float | None, ref_max: float | None) -> np.ndarray:
    """100 · (R − ref_min) / (ref_max − ref_min); NaN where the references are unknown."""
    r = np.asarray(returns, dtype=np.float64)
    if ref_min is None or ref_max is None or ref_max == ref_min:
        return np.full_like(r, np.nan)
    return 100.0 * (r - ref_min) / (ref_max - ref_min)


class EvalSpec(EnvSpec, Protocol):
    """An env spec with the reference returns of the normalised score (``DatasetMetadata``)."""

    ref_min_score: float | None
    ref_max_score: float | None


@dataclass
class EvalResult:
    """Per-episode returns, lengths and normalised scores of one evaluation."""

    returns: np.ndarray
    lengths: np.ndarray
    normalized: np.ndarray

    def summary(self) -> dict[str, float]:
        return {
            "return_mean": float(self.returns.mean()),
            "return_std": float(self.returns.std()),
            "normalized_mean": float(np.mean(self.normalized)),
            "normalized_std": float(np.std(self.normalized)),
            "length_mean": float(self.lengths.mean()),
        }


def evaluate(policy: Policy, meta: EvalSpec, episodes: int = 10, seed: int = 0, *,
             num_envs: int = 10, mode: str = "sync", progress: bool = False) -> EvalResult:
    """Run ``episodes`` deterministic episodes of ``policy`` in the dataset's evaluation env.

    Episode ``i`` is reset with seed ``seed + i``; the policy should return deterministic actions
    (the actor's tanh mean).
    """
    res = run_episodes(meta.eval_env_id, policy, episodes, seed, env_kwargs=meta.eval_env_kwargs,
                       num_envs=num_envs, mode=mode, progress=progress)
    return EvalResult(res.returns, res.lengths,
                      normalized_score(res.returns, meta.ref_min_score, meta.ref_max_score))
