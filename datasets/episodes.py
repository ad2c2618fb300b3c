"""Episode-first storage: ``EpisodeDataset`` holds packed steps plus episode offsets.

Steps of all episodes are concatenated (no padding); episode ``i`` covers rows
``offsets[i]:offsets[i + 1]``. Terminations and truncations stay separate, as in Minari.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from curatedrl.errors import CuratedRLError


# What each per-step array may hold, by numpy dtype kind: real numbers for observations and
# rewards; floats for actions (continuous control: integer actions would be a discrete space);
# 0/1 flags for terminations and truncations. Byte strings, strings, complex numbers and Python
# objects are refused: numpy would turn b"1.5" into 1.5 silently, and drop imaginary parts
# with only a warning.
STEP_KINDS = {"observations": "iuf", "next_observations": "iuf", "actions": "f",
              "rewards": "iuf", "terminations": "biuf", "truncations": "biuf"}
_KIND_NAMES = {"b": "boolean", "i": "integer", "u": "integer", "f": "floating-point",
               "c": "complex", "S": "byte-string", "U": "string", "O": "Python object",
               "V": "structured", "M": "datetime", "m": "timedelta"}


def step_array_problem(name: str, arr: np.ndarray, kind: str | None = None) -> str | None:
    """What is wrong with the dtype or values of the per-step array ``name`` (a key of
    ``STEP_KINDS``, or ``kind`` to check it as that key), or None."""
    kinds = STEP_KINDS[kind or name]
    if arr.dtype.kind not in kinds:
        wanted = " or ".join(dict.fromkeys(_KIND_NAMES[k] for k in kinds))
        return (f"{name} holds {_KIND_NAMES.get(arr.dtype.kind, str(arr.dtype))} values "
                f"(dtype {arr.dtype}); it must hold {wanted} numbers")
    if "b" in kinds and arr.dtype.kind != "b" and arr.size and not np.isin(arr, (0, 1)).all():
        return f"{name} holds values other than 0 and 1 (it is a per-step flag)"
    return None


def step_shape_problem(name: str, arr: np.ndarray, steps: int, width: int | None) -> str | None:
    """What is wrong with the shape of a per-step array of ``steps`` rows (``width``: columns
    of a 2-D array; None: 1-D), or None."""
    want = (steps,) if width is None else (steps, width)
    if arr.shape != want:
        return f"{name} has shape {arr.shape}, expected {want}"
    return None


@dataclass
class DatasetMetadata:
    """What a dataset says about itself.

    Attributes:
        dataset_id: Minari id (``namespace/name-vN``) or the path of a D4RL-format file.
        source: ``"minari"`` or ``"d4rl"``.
        eval_env_id: Gymnasium id of the evaluation environment.
        eval_env_kwargs: keyword arguments for ``gymnasium.make`` of the evaluation environment.
        obs_dim: observation size.
        act_dim: action size.
        action_low, action_high: action bounds (lists of floats).
        ref_min_score, ref_max_score: reference returns for the normalised score (None if unknown).
        max_episode_steps: the evaluation env's episode step limit the dataset recorded (None: the
            env's registered limit); evaluation honours it.
        extra: anything else the source recorded (algorithm name, seed, commit, ...).
    """

    dataset_id: str
    source: str
    eval_env_id: str
    eval_env_kwargs: dict[str, Any]
    obs_dim: int
    act_dim: int
    action_low: list[float]
    action_high: list[float]
    ref_min_score: float | None = None
    ref_max_score: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    max_episode_steps: int | None = None


@dataclass(eq=False)
class EpisodeDataset:
    """Packed steps of whole episodes.

    Attributes:
        observations: (N, obs_dim) float32, the observation each action was taken in.
        actions: (N, act_dim) float32.
        rewards: (N,) float32.
        terminations: (N,) bool, true at the last step of an episode that ended in a terminal state.
        truncations: (N,) bool, true at the last step of an episode cut by a time limit or the data.
        next_observations: (N, obs_dim) float32, the observation after each step.
        offsets: (E + 1,) int64 episode boundaries, ``offsets[0] == 0``, ``offsets[-1] == N``.
        metadata: ``DatasetMetadata``.
    """

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    terminations: np.ndarray
    truncations: np.ndarray
    next_observations: np.ndarray
    offsets: np.ndarray
    metadata: DatasetMetadata

    def __post_init__(self) -> None:
        n = len(self.rewards)
        if len(self.offsets) < 2:
            raise CuratedRLError(f"dataset {self.metadata.dataset_id!r} holds no episodes")
        if self.offsets[0] != 0 or self.offsets[-1] != n or np.any(np.diff(self.offsets) <= 0):
            raise ValueError("offsets must rise strictly from 0 to the number of steps")
        for name in ("observations", "actions", "terminations", "truncations",
                     "next_observations"):
            if len(getattr(self, name)) != n:
                raise CuratedRLError(
                    f"dataset {self.metadata.dataset_id!r}: {name} has {len(getattr(self, name))} "
                    f"rows but rewards has {n}; every per-step array needs one row per step"
                )

    @property
    def num_episodes(self) -> int:
        return len(self.offsets) - 1

    @property
    def num_steps(self) -> int:
        return len(self.rewards)

    @cached_property
    def lengths(self) -> np.ndarray:
        """(E,) number of steps of each episode."""
        return np.diff(self.offsets)

    @cached_property
    def returns(self) -> np.ndarray:
        """(E,) undiscounted return of each episode (float64 sums)."""
        return np.add.reduceat(self.rewards.astype(np.float64), self.offsets[:-1])

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the step arrays and episode boundaries."""
        h = hashlib.sha256()
        for a in (self.observations, self.actions, self.rewards, self.terminations,
                  self.truncations, self.next_observations, self.offsets):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]

    def episode(self, i: int) -> dict[str, np.ndarray]:
        """The steps of episode ``i`` as a dict of arrays."""
        s, e = self.offsets[i], self.offsets[i + 1]
        return {
            "observations": self.observations[s:e],
            "actions": self.actions[s:e],
            "rewards": self.rewards[s:e],
            "terminations": self.terminations[s:e],
            "truncations": self.truncations[s:e],
            "next_observations": self.next_observations[s:e],
        }

    def summary(self) -> dict[str, Any]:
        """Counts, return statistics, reference scores and evaluation env."""
        r = self.returns
        m = self.metadata
        return {
            "dataset": m.dataset_id,
            "source": m.source,
            "episodes": self.num_episodes,
            "steps": self.num_steps,
            "return_mean": float(r.mean()),
            "return_std": float(r.std()),
            "return_min": float(r.min()),
            "return_max": float(r.max()),
            "length_mean": float(self.lengths.mean()),
            "terminations": int(self.terminations.sum()),
            "truncations": int(self.truncations.sum()),
            "ref_min_score": m.ref_min_score,
            "ref_max_score": m.ref_max_score,
            "eval_env": m.eval_env_id,
            "eval_env_kwargs": m.eval_env_kwargs,
            "max_episode_steps": m.max_episode_steps,
            "obs_dim": m.obs_dim,
            "act_dim": m.act_dim,
            "content_hash": self.content_hash,
        }


def from_episodes(episodes: list[dict[str, np.ndarray]], metadata: DatasetMetadata
                  ) -> EpisodeDataset:
    """Pack a list of per-episode dicts (keys as ``EpisodeDataset.episode``) into a dataset.
    Every episode's arrays must have the dtypes of ``STEP_KINDS`` and the widths of
    ``metadata`` (one line naming the episode otherwise)."""
    if not episodes:
        raise CuratedRLError(f"dataset {metadata.dataset_id!r} holds no episodes")
    widths = {"observations": metadata.obs_dim, "next_observations": metadata.obs_dim,
              "actions": metadata.act_dim}
    for i, ep in enumerate(episodes):
        steps = len(np.asarray(ep["rewards"]).reshape(-1))
        for key in STEP_KINDS:
            arr = np.asarray(ep[key])
            problem = step_array_problem(key, arr) or \
                step_shape_problem(key, arr, steps, widths.get(key))
            if problem is not None:
                raise CuratedRLError(f"dataset {metadata.dataset_id!r}: episode {i}: {problem}; "
                                     f"the data is corrupt or not of this env: regenerate it")
    lengths = [len(ep["rewards"]) for ep in episodes]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

    def cat(key: str, dtype) -> np.ndarray:
        return np.concatenate([np.asarray(ep[key], dtype=dtype) for ep in episodes])

    return EpisodeDataset(
        observations=cat("observations", np.float32),
        actions=cat("actions", np.float32),
        rewards=cat("rewards", np.float32),
        terminations=cat("terminations", bool),
        truncations=cat("truncations", bool),
        next_observations=cat("next_observations", np.float32),
        offsets=offsets,
        metadata=metadata,
    )
