"""Deterministic evaluation rollouts and the normalised score."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from curatedrl.envs.factory import EnvSpec, make_kwargs
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


# What a run's scores are measured against, recorded in config.yaml (part of what a cell is)
# and final.json: the evaluation env, its make arguments, and the reference returns.
EVAL_KEYS = ("eval_env", "eval_env_kwargs", "ref_min_score", "ref_max_score")


def evaluation_record(meta: EvalSpec) -> dict:
    """``EVAL_KEYS`` of the dataset ``meta`` describes (plain data: strings, numbers, a dict)."""
    kwargs = json.loads(json.dumps(make_kwargs(meta), sort_keys=True, default=str))
    return {"eval_env": meta.eval_env_id, "eval_env_kwargs": kwargs,
            "ref_min_score": _number(meta.ref_min_score),
            "ref_max_score": _number(meta.ref_max_score)}


def _number(x: float | None) -> float | None:
    return None if x is None else float(x)


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
    res = run_episodes(meta.eval_env_id, policy, episodes, seed, env_kwargs=make_kwargs(meta),
                       num_envs=num_envs, mode=mode, progress=progress)
    return EvalResult(res.returns, res.lengths,
                      normalized_score(res.returns, meta.ref_min_score, meta.ref_max_score))
