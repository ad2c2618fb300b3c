"""D4RL-format HDF5 files, read with h5py (the ``d4rl`` package itself no longer imports).

Keys: ``observations``, ``actions``, ``rewards``, ``terminals``, ``timeouts`` (and optionally
``next_observations``). Episodes end at every step with ``terminals`` or ``timeouts`` set; steps
after the last such flag form a final episode marked truncated (the data ran out). Where the file
has no ``next_observations``, a step's next observation is the following row, and the last step of
an episode repeats its own observation (the true one was not recorded).

Evaluation uses the Gymnasium ``-v4`` MuJoCo environments and D4RL's published reference scores.
The ``-v4`` envs stand in for D4RL's ``-v2`` ones (mujoco-py, MuJoCo 2.1), which no longer run:
the same robot models on the ``mujoco`` bindings, so returns can differ slightly from ``-v2``;
runs record the env and reference scores they were scored with (``envs.evaluation_record``).
"""

from __future__ import annotations

import re
from pathlib import Path

import h5py
import numpy as np

from curatedrl.datasets.episodes import DatasetMetadata, EpisodeDataset, step_array_problem
from curatedrl.errors import CuratedRLError, shown

REQUIRED_KEYS = ("observations", "actions", "rewards", "terminals", "timeouts")

# D4RL's reference returns (d4rl/infos.py, the *-v2 locomotion datasets): random and expert policy.
D4RL_ENVS = {
    "hopper": {"env_id": "Hopper-v4", "kwargs": {}, "ref": (-20.272305, 3234.3)},
    "halfcheetah": {"env_id": "HalfCheetah-v4", "kwargs": {}, "ref": (-280.178953, 12135.0)},
    "walker2d": {"env_id": "Walker2d-v4", "kwargs": {}, "ref": (1.629008, 4592.3)},
    # D4RL's ant observations include the 84 contact-force entries (111 in all).
    "ant": {"env_id": "Ant-v4", "kwargs": {"use_contact_forces": True}, "ref": (-325.6, 3879.7)},
}


def is_d4rl_path(spec: str) -> bool:
    """True if ``spec`` names an HDF5 file rather than a Minari id."""
    return spec.endswith((".hdf5", ".h5")) or Path(spec).is_file()


def env_from_name(path: Path, env: str | None) -> str:
    """The D4RL env family (hopper, ...) given explicitly or read off the file name."""
    if env is not None:
        name = env.lower() if isinstance(env, str) else None
        if name not in D4RL_ENVS:
            raise CuratedRLError(
                f"unknown D4RL env {shown(env)}; choose one of {', '.join(D4RL_ENVS)}"
            )
        return name
    stem = path.name.lower()
    for name in sorted(D4RL_ENVS, key=len, reverse=True):
        if re.match(rf"{name}[-_]", stem) or stem.startswith(name):
            return name
    raise CuratedRLError(
        f"cannot tell the environment of {str(path)!r} from its name; name the file like "
        f"'hopper-medium-v2.hdf5' or pass the env (--env {'|'.join(D4RL_ENVS)})"
    )


def load_d4rl(path: str | Path, env: str | None = None) -> EpisodeDataset:
    """Load a D4RL-format HDF5 file as an ``EpisodeDataset``."""
    path = Path(path)
    if not path.is_file():
        raise CuratedRLError(f"D4RL file {str(path)!r} does not exist")
    name = env_from_name(path, env)
    try:
        with h5py.File(path, "r") as f:
            missing = [k for k in REQUIRED_KEYS if k not in f]
            if missing:
                raise CuratedRLError(
                    f"D4RL file {str(path)!r} lacks key(s) {', '.join(missing)}; a D4RL-format "
                    f"file needs {', '.join(REQUIRED_KEYS)}"
                )
            data = {k: np.asarray(f[k]) for k in REQUIRED_KEYS}
            next_obs = np.asarray(f["next_observations"]) if "next_observations" in f else None
    except (OSError, RuntimeError, KeyError, ValueError, TypeError) as exc:
        # h5py raises OSError for a damaged or cut file, RuntimeError or KeyError for damaged
        # internal structures, TypeError for a group where an array should be.
        raise CuratedRLError(
            f"D4RL file {str(path)!r} is not a readable HDF5 file ({type(exc).__name__}: {exc}); "
            f"download or regenerate it"
        ) from None
    return _from_arrays(path, name, data, next_obs)


# D4RL's keys checked as EpisodeDataset's per-step arrays (episodes.STEP_KINDS).
_AS_STEP_ARRAY = {"observations": "observations", "actions": "actions", "rewards": "rewards",
                  "terminals": "terminations", "timeouts": "truncations",
                  "next_observations": "next_observations"}


def _from_arrays(path: Path, name: str, data: dict, next_obs: np.ndarray | None
                 ) -> EpisodeDataset:
    arrays = {**data, **({} if next_obs is None else {"next_observations": next_obs})}
    for key, arr in arrays.items():
        problem = step_array_problem(key, arr, _AS_STEP_ARRAY[key])
        if problem is not None:
            raise CuratedRLError(f"D4RL file {str(path)!r}: {problem}; download or regenerate "
                                 f"it")
    for key in ("observations", "actions"):
        if data[key].ndim != 2:
            raise CuratedRLError(
                f"D4RL file {str(path)!r}: {key} has shape {data[key].shape}; expected "
                f"(steps, size)"
            )
    if next_obs is not None and next_obs.shape != data["observations"].shape:
        raise CuratedRLError(
            f"D4RL file {str(path)!r}: next_observations has shape {next_obs.shape}, "
            f"observations {data['observations'].shape}; they must match (one next "
            f"observation per step): download or regenerate it")
    obs = data["observations"].astype(np.float32)
    act = data["actions"].astype(np.float32)
    n = len(obs)
    rew = data["rewards"].reshape(-1).astype(np.float32)
    term = data["terminals"].reshape(-1).astype(bool)
    timeout = data["timeouts"].reshape(-1).astype(bool)
    sizes = {"actions": len(act), "rewards": len(rew), "terminals": len(term),
             "timeouts": len(timeout)}
    if n == 0 and not any(sizes.values()):
        raise CuratedRLError(f"D4RL file {str(path)!r} holds 0 steps (no episodes); download or "
                             f"regenerate it")
    if n == 0 or any(s != n for s in sizes.values()):
        raise CuratedRLError(
            f"D4RL file {str(path)!r}: observations has {n} rows but "
            + ", ".join(f"{k} {v}" for k, v in sizes.items()) + "; the file is truncated or corrupt"
        )
    ends = np.flatnonzero(term | timeout) + 1
    if len(ends) == 0 or ends[-1] != n:
        ends = np.append(ends, n)
    offsets = np.concatenate([[0], ends]).astype(np.int64)
    trunc = timeout & ~term
    trunc[n - 1] = trunc[n - 1] or not term[n - 1]  # data ran out mid-episode
    if next_obs is None:
        next_obs = np.empty_like(obs)
        next_obs[:-1] = obs[1:]
        last = offsets[1:] - 1
        next_obs[last] = obs[last]
    else:
        next_obs = next_obs.astype(np.float32)
    info = D4RL_ENVS[name]
    meta = DatasetMetadata(
        dataset_id=str(path),
        source="d4rl",
        eval_env_id=info["env_id"],
        eval_env_kwargs=dict(info["kwargs"]),
        obs_dim=obs.shape[1],
        act_dim=act.shape[1],
        action_low=[-1.0] * act.shape[1],
        action_high=[1.0] * act.shape[1],
        ref_min_score=info["ref"][0],
        ref_max_score=info["ref"][1],
        extra={"d4rl_env": name},
    )
    return EpisodeDataset(obs, act, rew, term, trunc, next_obs, offsets, meta)
