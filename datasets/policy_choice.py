"""Which shipped checkpoints play an env's medium and expert tiers, and which make its
medium-replay stream (the main run's checkpoints up to medium, or the env's dedicated replay run,
``datasets/replay_run.py``), read from the policy cards."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from curatedrl.datasets.behaviour import POLICY_DIR, env_dir, read_card
from curatedrl.datasets.replay_run import has_replay_run, replay_checkpoints
from curatedrl.errors import CuratedRLError


@dataclass
class PolicyChoice:
    """Which shipped checkpoints play medium and expert for an env, from its policy card."""

    expert: Path
    medium: Path
    replay: list[tuple[Path, int]]  # (checkpoint, training steps until the next one)
    expert_return: float
    medium_return: float


def choose_policies(env_key: str, root: Path = POLICY_DIR, replay_run: bool = True
                    ) -> PolicyChoice:
    """Pick expert (best mean return) and medium (closest to a third of it) from the card; the
    replay stream comes from the env's dedicated replay run when it ships one (``replay_run``)."""
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
    if replay_run and has_replay_run(env_key, root):
        replay = replay_checkpoints(env_key, root)
    d = env_dir(env_key, root)
    return PolicyChoice(d / expert, d / medium, replay, evals[expert]["return_mean"],
                        evals[medium]["return_mean"])
