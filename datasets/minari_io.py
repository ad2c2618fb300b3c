"""Minari datasets: loading by id from the local store, and writing with Minari's own API.

Datasets are looked up under ``MINARI_DATASETS_PATH`` (else Minari's default directory). Nothing is
ever downloaded implicitly.
"""

from __future__ import annotations

import dataclasses
import json
import re
import warnings
from pathlib import Path
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import EnvSpec
import numpy as np

from curatedrl.datasets.episodes import DatasetMetadata, EpisodeDataset, from_episodes
from curatedrl.datasets.ids import ENVS, TIERS, all_ids, generate_command
from curatedrl.errors import CuratedRLError, closest, did_you_mean

# namespace/.../name-vN, each part letters, digits, '_', '.', '-' (no '..', no absolute paths).
_ID_RE = re.compile(r"^(?:[A-Za-z0-9_][A-Za-z0-9_.-]*/)*[A-Za-z0-9_][A-Za-z0-9_.-]*-v\d+$")


def check_dataset_id(dataset_id: str) -> None:
    """Refuse ids that are malformed or could leave the datasets directory."""
    parts = dataset_id.split("/")
    if not _ID_RE.match(dataset_id) or any(p in ("", ".", "..") for p in parts):
        raise CuratedRLError(
            f"malformed dataset id {dataset_id!r}; a Minari id looks like "
            f"'namespace/name-v0' (e.g. 'curatedrl/hopper/medium-replay-v0'), a D4RL file ends "
            f"in .hdf5"
        )


def local_dataset_ids() -> list[str]:
    """Ids of the Minari datasets stored locally."""
    import minari

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sorted(minari.list_local_datasets())


def _missing_message(dataset_id: str) -> str:
    folder = Path(datasets_root()) / dataset_id
    if folder.is_dir():  # safe: the id was checked (no '..', not absolute)
        return (
            f"Minari dataset {dataset_id!r} at {str(folder)!r} cannot be read (its "
            f"data/metadata.json is missing or corrupt); delete that folder and generate or "
            f"download the dataset again"
        )
    local = local_dataset_ids()
    listing = ", ".join(local) if local else "none"
    command = generate_command(dataset_id)
    if command is not None:  # the suite's own data: made here, never downloaded
        return (f"dataset {dataset_id!r} is not stored locally (in {datasets_root()}); make it "
                f"from the shipped behaviour policies with `{command}`")
    if dataset_id.startswith("curatedrl/"):  # a mistyped suite id: never on Minari's server
        close = closest(dataset_id, all_ids())
        make = (f"; did you mean {close!r}? Make it with `{generate_command(close)}`" if close
                else
                f"; the suite's ids are curatedrl/<env>/<tier>-v0 (envs {', '.join(ENVS)}; "
                f"tiers {', '.join(TIERS)}), made with `curatedrl datasets generate --env ENV "
                f"--tier TIER`")
        env = dataset_id.split("/")[1] if dataset_id.count("/") == 2 else ""
        if close and env not in ENVS:
            make += f" (the suite's envs are {', '.join(ENVS)}; it has no {env!r} datasets)"
        return f"{dataset_id!r} is not one of the suite's datasets{make}"
    return (
        f"Minari dataset {dataset_id!r} is not stored locally (local datasets: "
        f"{listing}){did_you_mean(dataset_id, local)}; download it when online with "
        f"`minari download {dataset_id}`"
    )


def load_minari(dataset_id: str) -> EpisodeDataset:
    """Load a locally stored Minari dataset as an ``EpisodeDataset``."""
    import minari

    check_dataset_id(dataset_id)
    if dataset_id not in local_dataset_ids():
        raise CuratedRLError(_missing_message(dataset_id))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mds = minari.load_dataset(dataset_id)
            episodes = [_episode(ep) for ep in mds.iterate_episodes()]
    except (OSError, RuntimeError, KeyError, ValueError, TypeError, IndexError) as exc:
        raise CuratedRLError(
            f"Minari dataset {dataset_id!r} cannot be read ({type(exc).__name__}: {exc}); "
            f"delete it and generate or download it again"
        ) from None
    return from_episodes(episodes, _metadata(dataset_id, mds))


def _episode(ep) -> dict[str, np.ndarray]:
    obs = np.asarray(ep.observations)
    if obs.dtype == object or obs.ndim != 2:
        raise CuratedRLError("only flat Box observations are supported (got a nested space)")
    return {
        "observations": obs[:-1],
        "next_observations": obs[1:],
        "actions": np.asarray(ep.actions).reshape(len(ep.rewards), -1),
        "rewards": np.asarray(ep.rewards),
        "terminations": np.asarray(ep.terminations),
        "truncations": np.asarray(ep.truncations),
    }


def _metadata(dataset_id: str, mds) -> DatasetMetadata:
    raw = mds.storage.metadata
    spec = mds.spec.env_spec
    if raw.get("eval_env_spec"):
        spec = EnvSpec.from_json(raw["eval_env_spec"])
    if spec is None:
        raise CuratedRLError(f"Minari dataset {dataset_id!r} records no environment to evaluate in")
    obs_space, act_space = mds.observation_space, mds.action_space
    known = {"dataset_id", "observation_space", "action_space", "env_spec", "eval_env_spec",
             "ref_min_score", "ref_max_score"}
    extra = {k: v for k, v in raw.items() if k not in known}
    return DatasetMetadata(
        dataset_id=dataset_id,
        source="minari",
        eval_env_id=spec.id,
        eval_env_kwargs=dict(spec.kwargs or {}),
        obs_dim=int(np.prod(obs_space.shape)),
        act_dim=int(np.prod(act_space.shape)),
        action_low=np.asarray(act_space.low, dtype=float).reshape(-1).tolist(),
        action_high=np.asarray(act_space.high, dtype=float).reshape(-1).tolist(),
        ref_min_score=_float_or_none(raw.get("ref_min_score")),
        ref_max_score=_float_or_none(raw.get("ref_max_score")),
        extra=json.loads(json.dumps(extra, default=str)),
        max_episode_steps=spec.max_episode_steps,  # the step limit the data was recorded with
    )


def _float_or_none(x: Any) -> float | None:
    return None if x is None else float(x)


def write_minari(
    dataset_id: str,
    episodes: list[dict[str, np.ndarray]],
    env_id: str,
    *,
    env_kwargs: dict[str, Any] | None = None,
    ref_min_score: float | None = None,
    ref_max_score: float | None = None,
    algorithm_name: str = "curatedrl",
    description: str = "",
    extra_metadata: dict[str, Any] | None = None,
):
    """Write episodes as a real Minari dataset with ``minari.create_dataset_from_buffers``.

    Each episode dict needs ``observations`` (T, d), ``next_observations`` (T, d) (only its last row
    is used, as Minari stores T + 1 observations), ``actions``, ``rewards``, ``terminations`` and
    ``truncations``. Returns the ``MinariDataset``.
    """
    import minari
    from minari.data_collector import EpisodeBuffer

    check_dataset_id(dataset_id)
    if dataset_id in local_dataset_ids():
        raise CuratedRLError(
            f"Minari dataset {dataset_id!r} already exists; delete it first with "
            f"`minari delete {dataset_id}` or choose another version"
        )
    buffers = [
        EpisodeBuffer(
            id=i,
            observations=np.concatenate([ep["observations"], ep["next_observations"][-1:]]),
            actions=np.asarray(ep["actions"]),
            rewards=np.asarray(ep["rewards"]),
            terminations=np.asarray(ep["terminations"]),
            truncations=np.asarray(ep["truncations"]),
        )
        for i, ep in enumerate(episodes)
    ]
    env_spec = gym.spec(env_id)
    if env_kwargs:
        env_spec = dataclasses.replace(env_spec, kwargs={**env_spec.kwargs, **env_kwargs})
    kwargs: dict[str, Any] = {}
    if ref_max_score is not None:
        kwargs = {"ref_min_score": ref_min_score, "ref_max_score": ref_max_score}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mds = minari.create_dataset_from_buffers(
            dataset_id=dataset_id,
            buffer=buffers,
            env=env_spec,
            eval_env=env_spec,
            algorithm_name=algorithm_name,
            author="curatedrl",
            author_email="curatedrl@users.noreply.invalid",
            code_permalink="curatedrl",
            description=description or f"{dataset_id} generated by curatedrl",
            data_format="hdf5",
            **kwargs,
        )
    if extra_metadata:
        mds.storage.update_metadata(json.loads(json.dumps(extra_metadata, default=str)))
    return mds


def datasets_root() -> str:
    """The folder Minari stores datasets in (``MINARI_DATASETS_PATH``, else its default)."""
    from minari.storage import get_dataset_path

    return str(get_dataset_path())
