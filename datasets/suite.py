"""The project's own D4RL-style datasets: five tiers per env, regenerated from shipped policies.

For each env (hopper, halfcheetah, walker2d; Gymnasium ``-v5``), each tier and each size, a real
Minari dataset written with ``minari.create_dataset_from_buffers``: ``curatedrl/<env>/<tier>-v0``
(full), ``curatedrl/<env>/<tier>-small-v0`` and ``curatedrl/<env>/<tier>-tiny-v0``:

- ``random``: uniform random actions.
- ``medium``: the checkpoint, among those trained before the expert, whose mean return is closest
  to one third of the expert's (D4RL's definition), stochastic actions.
- ``expert``: the strongest checkpoint, stochastic actions.
- ``medium-expert``: the episodes of ``medium`` followed by those of ``expert``.
- ``medium-replay``: the stream of experience training saw up to the medium checkpoint,
  reconstructed: each checkpoint from the start of training to medium is rolled out with its
  stochastic actions for as many steps as training spent between it and the next checkpoint
  (PPO has no uniform-random warm-up, so none is added). Where the main run reaches medium too
  fast for a D4RL-sized stream (halfcheetah: after 50k steps, 56 episodes), the stream comes from
  a dedicated slower run trained until it reaches the medium checkpoint's return
  (``policies/<env>/replay/``, see ``datasets/replay_run.py``).

Sizes: ``full`` is D4RL's (1M steps for random, medium and expert; medium-replay as long as
training took to reach medium); ``small`` scales every size by 1/20 for quick runs (``tiny``,
by 1/200 and with 10 reference episodes, is for tests). Reference scores: ``ref_min_score`` is
the mean return of 100 uniform-random episodes, ``ref_max_score`` that of 100 episodes of the
expert policy (stochastic actions, as in its data); both are in every tier's metadata, with the
versions of the data stack that made it (``constraints.txt`` pins them). Everything is seeded:
the same seed and stack give the same content hash, which ``datasets/manifest.json`` records.

The same bytes on every CPU: the behaviour policies' forward pass is ``datasets/exact_mlp.py``
(IEEE double ``+ - * /`` in a fixed order, no BLAS, its own ``exp`` and ``tanh``; a test checks
it bit for bit against the scalar computation). The first generator ran the policies in torch
float32, whose matrix products and ``tanh`` follow the kernels the CPU dispatches to: its
manifest, made on an AMD EPYC, did not hold on an Intel Xeon (AVX-512) with the same pinned
stack. Every policy-driven dataset checked had other bytes there (8 tiny ones of the 3 envs,
and hopper medium-expert full), the ``random`` tier matched, and pinning MKL's, oneDNN's and
ATen's code paths (``MKL_CBWR``, ``ONEDNN_MAX_CPU_ISA``, ``ATEN_CPU_CAPABILITY``) did not
bring the bytes back. The manifest keeps those first hashes as ``earlier_hashes``: the same
policies, seeds and sizes, but they regenerate only on the CPU type that made them, so runs
trained on them never enter an averaged table (the leaderboard counts them and lists them
apart; a sweep with ``--skip-exported`` reruns them on the current bytes).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import numpy as np

from curatedrl.datasets.behaviour import POLICY_DIR, BehaviourPolicy
from curatedrl.datasets.filters import strata_unique
from curatedrl.datasets.generate import UniformRandomPolicy
from curatedrl.datasets.ids import (  # noqa: F401  (re-exported)
    ENVS, SIZES, SUITE_SEED, TIERS, all_ids, dataset_id, generate_command, parse_id)
from curatedrl.datasets.minari_io import local_dataset_ids, write_minari
from curatedrl.datasets.policy_choice import choose_policies
from curatedrl.datasets.versions import data_versions
from curatedrl.envs.rollout import run_episodes
from curatedrl.errors import CuratedRLError
from curatedrl.provenance import git_commit

REF_EPISODES = {"full": 100, "small": 100, "tiny": 10}


HOW = {"random": "uniform random actions", "medium": "the medium checkpoint's stochastic actions",
       "expert": "the expert checkpoint's stochastic actions",
       "medium-expert": "the medium episodes followed by the expert episodes",
       "medium-replay": "the training stream up to the medium checkpoint's return"}


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


def generate_env(env_key: str, size: str = "small", seed: int = SUITE_SEED, tiers=TIERS,
                 force: bool = False, root: Path = POLICY_DIR, progress: bool = True,
                 strict: bool = False) -> dict[str, str]:
    """Generate the tiers of one env; returns {tier: dataset id}. Existing ones are kept unless
    ``force`` (then they are deleted and written again). Each dataset written with the suite's
    seed is checked against the manifest: a mismatch is printed (one line); under ``strict`` the
    existing ones are checked too and a mismatch raises."""
    ids = _generate(env_key, size, seed, tiers, force, root, progress)
    if seed == SUITE_SEED:
        verify(ids["written"] + (ids["kept"] if strict else []), strict)
    return ids["all"]


def verify(dids: list[str], strict: bool) -> None:
    """Compare datasets with the manifest; print each mismatch, raise on one under strict."""
    from curatedrl.datasets.loader import load
    from curatedrl.datasets.manifest import check

    bad = [msg for msg in (check(load(d)) for d in dids) if msg]
    for msg in bad:
        print(msg, file=sys.stderr)
    if bad and strict:
        raise CuratedRLError(f"{len(bad)} dataset(s) differ from datasets/manifest.json "
                             f"(listed above); first: {bad[0]}")


def _generate(env_key: str, size: str, seed: int, tiers, force: bool, root: Path,
              progress: bool) -> dict[str, list[str] | dict[str, str]]:
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
    todo = [t for t in tiers if force or dataset_id(env_key, t, size) not in local]
    result = {"all": {t: dataset_id(env_key, t, size) for t in tiers}, "written": [],
              "kept": [dataset_id(env_key, t, size) for t in tiers if t not in todo]}
    if not todo:
        return result

    random_policy = lambda s: UniformRandomPolicy.for_env(env_id, seed=s)
    expert_policy = lambda s: BehaviourPolicy(choice.expert, stochastic=True, seed=s)
    medium_policy = lambda s: BehaviourPolicy(choice.medium, stochastic=True, seed=s)
    ref_episodes = REF_EPISODES[size]
    say = (lambda text: print(f"  {env_key} {size}: {text}", flush=True)) if progress else \
        (lambda text: None)
    say(f"reference returns from {ref_episodes} episodes each of random actions and the expert")
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
            every = max(1, len(choice.replay) // 10)  # about ten progress lines
            for k, (path, span) in enumerate(choice.replay):
                if k % every == 0:
                    say(f"medium-replay: behaviour checkpoint {k + 1} of {len(choice.replay)}, "
                        f"{sum(len(ep['rewards']) for ep in eps):,} steps so far")
                policy = BehaviourPolicy(path, stochastic=True, seed=seed + 100 + k)
                steps = max(1, round(span * scale))
                # whole episodes (a replay buffer holds episodes that span checkpoints)
                eps += _rollout(env_id, policy, steps, seed + 4_000_000 + 10_000 * k, False,
                                cut=False, num_envs=1)
        cache[tier] = eps
        return eps

    replay_from = choice.replay[0][0] if choice.replay else None
    replay_name = (f"{replay_from.parent.name}/{replay_from.name}"
                   if replay_from is not None and replay_from.parent.name == "replay" else
                   replay_from.name if replay_from is not None else "-")
    sources = {"random": "uniform random actions", "medium": choice.medium.name,
               "expert": choice.expert.name,
               "medium-expert": f"{choice.medium.name} + {choice.expert.name}",
               "medium-replay": f"{len(choice.replay)} checkpoints from {replay_name} up to "
                                f"the return of {choice.medium.name}"}
    for tier in todo:
        did = dataset_id(env_key, tier, size)
        eps = episodes(tier)
        if did in local:
            _delete(did)
        returns = np.array([np.sum(ep["rewards"], dtype=np.float64) for ep in eps])
        counts = {"episodes": len(eps), "steps": int(sum(len(ep["rewards"]) for ep in eps)),
                  "strata_unique_episodes": strata_unique(returns)}
        meta: dict[str, Any] = {
            "seed": seed, "size": size, "tier": tier, "code_commit": git_commit(),
            "behaviour": sources[tier], "ref_min_source": f"uniform random, {ref_episodes} ep",
            "ref_max_source": f"{choice.expert.name} stochastic, {ref_episodes} ep",
            "versions": data_versions(), **counts,
        }
        write_minari(did, eps, env_id, ref_min_score=ref_min, ref_max_score=ref_max,
                     algorithm_name="PPO (Stable-Baselines3) behaviour policies"
                     if tier != "random" else "uniform random",
                     description=f"curatedrl {env_key} {tier} ({size}): {HOW[tier]} "
                                 f"({sources[tier]}); {counts['episodes']} episodes, "
                                 f"{counts['steps']} steps, {counts['strata_unique_episodes']} "
                                 f"unique episodes in the curated strata (top 10%/5%/2%)",
                     extra_metadata=meta)
        result["written"].append(did)
    return result


def _delete(did: str) -> None:
    import minari

    minari.delete_dataset(did)
