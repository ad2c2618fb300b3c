"""A dedicated, slower PPO run whose training stream makes an env's medium-replay tier.

D4RL's medium-replay is the replay buffer of a training run up to the medium policy. When the
main run reaches medium too fast for a D4RL-sized stream (halfcheetah: one third of the expert's
return after 50k steps, a 56-episode stream), a second run with a smaller learning rate and dense
checkpoints is trained from scratch until one of its checkpoints reaches the medium checkpoint's
return (deterministic evaluation, as in the card). It is shipped under
``policies/<env>/replay/`` with its own card; checkpoints after the first one that reaches medium
are not kept. The medium and expert tiers keep the main run's checkpoints. The run is trained by
``train_behaviour.train_replay``; ``policy_choice`` reads its stream.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from curatedrl.datasets.behaviour import POLICY_DIR, read_card

RUN = "replay"
# env -> settings of its replay run (PPO hyperparameter overrides, seed, checkpoint spacing)
REPLAY_RUNS: dict[str, dict[str, Any]] = {
    "halfcheetah": {"overrides": {"learning_rate": 4e-6}, "seed": 1, "checkpoint_every": 10_000,
                    "chunk": 50_000, "max_steps": 800_000},
}


def has_replay_run(env_key: str, root: Path = POLICY_DIR) -> bool:
    return bool(read_card(env_key, root, RUN).get("reached"))


def replay_checkpoints(env_key: str, root: Path = POLICY_DIR) -> list[tuple[Path, int]]:
    """(checkpoint, training steps until the next one) from the run's start to the first
    checkpoint that reached medium (excluded: its policy is the medium tier's level)."""
    card = read_card(env_key, root, RUN)
    evals = card["checkpoints"]
    last = evals[card["reached"]]["step"]
    steps = sorted((v["step"], k) for k, v in evals.items() if v["step"] <= last)
    d = root / env_key / RUN
    return [(d / name, nxt - step) for (step, name), (nxt, _) in zip(steps, steps[1:])]
