"""The project's own D4RL-style datasets: five tiers per env, regenerated from shipped policies.

For each env (hopper, halfcheetah, walker2d; Gymnasium ``-v5``) and each tier, a real Minari
dataset ``curatedrl/<env>/<tier>-v0`` written with ``minari.create_dataset_from_buffers``:

- ``random``: uniform random actions.
- ``medium``: the checkpoint, among those trained before the expert, whose mean return is closest
  to one third of the expert's (D4RL's definition), stochastic actions.
- ``expert``: the strongest checkpoint, stochastic actions.
- ``medium-expert``: the episodes of ``medium`` followed by those of ``expert``.
- ``medium-replay``: the stream of experience training saw up to the medium checkpoint,
  reconstructed: each checkpoint from the start of training to medium is rolled out with its
  stochastic actions for as many steps as training spent between it and the next checkpoint
  (PPO has no uniform-random warm-up, so none is added).

Sizes: ``full`` is D4RL's (1M steps for random, medium and expert; medium-replay as long as
training took to reach medium); ``small`` scales every size by 1/20 for quick runs (``tiny``,
by 1/200 and with 10 reference episodes, is for tests). Reference scores: ``ref_min_score`` is
the mean return of 100 uniform-random episodes, ``ref_max_score`` that of 100 episodes of the
expert policy (stochastic actions, as in its data); both are in every tier's metadata.
Everything is seeded: the same seed gives the same content hash.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curatedrl.datasets.behaviour import POLICY_DIR, BehaviourPolicy, env_dir, read_card
from curatedrl.datasets.generate import UniformRandomPolicy
from curatedrl.datasets.minari_io import local_dataset_ids, write_minari
from curatedrl.envs.rollout import run_episodes
from curatedrl.errors import CuratedRLError
from curatedrl.provenance import git_commit

ENVS = {"hopper": "Hopper-v5", "halfcheetah": "HalfCheetah-v5", "walker2d": "Walker2d-v5"}
TIERS = ("random", "medium", "medium-replay", "expert", "medium-expert")
SIZES = {"full": 1_000_000, "small": 50_000, "tiny": 5_000}  # tiny: for tests
REF_EPISODES = {"full": 100, "small": 100, "tiny": 10}


def dataset_id(env_key: str, tier: str) -> str:
    return f"curatedrl/{env_key}/{tier}-v0"


@dataclass
class PolicyChoice:
    """Which shipped checkpoints play medium and expert for an env, from its policy card."""

    expert: Path
    medium: Path
    replay: list[tuple[Path, int]]  # (checkpoint, training steps until the next one)
    expert_return: float
    medium_return: float


def choose_policies(env_key: str, root: Path = POLICY_DIR) -> PolicyChoice:
    """Pick expert (best mean return) and medium (closest to a third of it) from the card."""
    card = read_card(env_key, root)
    evals = card.get("checkpoints", {})
    present = {p.name for p in env_dir(env_key, root).glob("step_*.safetensors")}
    evals = {k: v for k, v in evals.items() if k in present}
    if not evals:
        raise CuratedRLError(
            f"no evaluated behaviour policy for {env_key!r} in {env_dir(env_key, root)}; "
            f"train one with `make policies` (or `curatedrl policies train --env {env_key}`)"
        )
    expert = max(evals, key=lambda k: evals[k]["return_mean"])
    target = evals[expert]["return_mean"] / 3.0
    # medium comes from training before the expert (a later collapse is not "medium")
    before = [k for k in evals if evals[k]["step"] <= evals[expert]["step"]]
    medium = min(before, key=lambda k: abs(evals[k]["return_mean"] - target))
    steps = sorted((v["step"], k) for k, v in evals.items())
    replay = []
    for (step, name), (next_step, _) in zip(steps, steps[1:]):
        if step >= evals[medium]["step"]:
            break
        replay.append((env_dir(env_key, root) / name, next_step - step))
    d = env_dir(env_key, root)
    return PolicyChoice(d / expert, d / medium, replay, evals[expert]["return_mean"],
                        evals[medium]["return_mean"])


@functools.lru_cache(maxsize=32)
def reference_scores(env_key: str, expert: str, seed: int, episodes: int) -> tuple[float, float]:
    """(ref_min, ref_max): mean returns of uniform random actions and of the stochastic expert."""
    env_id = ENVS[env_key]
    rand = UniformRandomPolicy.for_env(env_id, seed=seed + 7)
    ref_min = float(np.mean(run_episodes(env_id, rand, episodes, seed + 7_000_000,
                                         num_envs=16).returns))
    exp = BehaviourPolicy(expert, stochastic=True, seed=seed + 8)
    ref_max = float(np.mean(run_episodes(env_id, exp, episodes, seed + 8_000_000,
                                         num_envs=16).returns))
    return ref_min, ref_max


def _rollout(env_id: str, policy, steps: int, seed: int, progress: bool, cut: bool = True,
             num_envs: int = 16) -> list[dict]:
    return run_episodes(env_id, policy, None, seed, max_steps=steps, cut=cut, num_envs=num_envs,
                        record=True, progress=progress).steps


def generate_env(env_key: str, size: str = "small", seed: int = 0, tiers=TIERS,
                 force: bool = False, root: Path = POLICY_DIR, progress: bool = True
                 ) -> dict[str, str]:
    """Generate the tiers of one env; returns {tier: dataset id}. Existing ones are kept unless
    ``force`` (then they are deleted and written again)."""
    if env_key not in ENVS:
        raise CuratedRLError(f"unknown env {env_key!r}; choose one of {', '.join(ENVS)}")
    if size not in SIZES:
        raise CuratedRLError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    for tier in tiers:
        if tier not in TIERS:
            raise CuratedRLError(f"unknown tier {tier!r}; choose one of {', '.join(TIERS)}")
    env_id, n = ENVS[env_key], SIZES[size]
    scale = n / SIZES["full"]
    choice = choose_policies(env_key, root)
    local = set(local_dataset_ids())
    todo = [t for t in tiers if force or dataset_id(env_key, t) not in local]
    if not todo:
        return {t: dataset_id(env_key, t) for t in tiers}

    random_policy = lambda s: UniformRandomPolicy.for_env(env_id, seed=s)
    expert_policy = lambda s: BehaviourPolicy(choice.expert, stochastic=True, seed=s)
    medium_policy = lambda s: BehaviourPolicy(choice.medium, stochastic=True, seed=s)
    ref_episodes = REF_EPISODES[size]
    ref_min, ref_max = reference_scores(env_key, str(choice.expert), seed, ref_episodes)

    cache: dict[str, list[dict]] = {}

    def episodes(tier: str) -> list[dict]:
        if tier in cache:
            return cache[tier]
        if tier == "random":
            eps = _rollout(env_id, random_policy(seed + 1), n, seed + 1_000_000, progress)
        elif tier == "medium":
            eps = _rollout(env_id, medium_policy(seed + 2), n, seed + 2_000_000, progress)
        elif tier == "expert":
            eps = _rollout(env_id, expert_policy(seed + 3), n, seed + 3_000_000, progress)
        elif tier == "medium-expert":
            eps = episodes("medium") + episodes("expert")
        else:  # medium-replay
            eps = []
            for k, (path, span) in enumerate(choice.replay):
                policy = BehaviourPolicy(path, stochastic=True, seed=seed + 100 + k)
                steps = max(1, round(span * scale))
                # whole episodes (a replay buffer holds episodes that span checkpoints)
                eps += _rollout(env_id, policy, steps, seed + 4_000_000 + 10_000 * k, False,
                                cut=False, num_envs=4)
        cache[tier] = eps
        return eps

    sources = {"random": "uniform random actions", "medium": choice.medium.name,
               "expert": choice.expert.name,
               "medium-expert": f"{choice.medium.name} + {choice.expert.name}",
               "medium-replay": f"checkpoints {choice.replay[0][0].name if choice.replay else '-'}"
                                f" .. {choice.medium.name}"}
    out = {}
    for tier in todo:
        did = dataset_id(env_key, tier)
        eps = episodes(tier)
        if did in local:
            _delete(did)
        meta: dict[str, Any] = {
            "seed": seed, "size": size, "tier": tier, "code_commit": git_commit(),
            "behaviour": sources[tier], "ref_min_source": f"uniform random, {ref_episodes} ep",
            "ref_max_source": f"{choice.expert.name} stochastic, {ref_episodes} ep",
        }
        write_minari(did, eps, env_id, ref_min_score=ref_min, ref_max_score=ref_max,
                     algorithm_name="PPO (Stable-Baselines3) behaviour policies"
                     if tier != "random" else "uniform random",
                     description=f"curatedrl {env_key} {tier} ({size}): {sources[tier]}",
                     extra_metadata=meta)
        out[tier] = did
    return {t: dataset_id(env_key, t) for t in tiers}


def _delete(did: str) -> None:
    import minari

    minari.delete_dataset(did)
