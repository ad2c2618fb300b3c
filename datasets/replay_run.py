"""A dedicated, slower PPO run whose training stream makes an env's medium-replay tier.

D4RL's medium-replay is the replay buffer of a training run up to the medium policy. When the
main run reaches medium too fast for a D4RL-sized stream (halfcheetah: one third of the expert's
return after 50k steps, a 56-episode stream), a second run with a smaller learning rate and dense
checkpoints is trained from scratch until one of its checkpoints reaches the medium checkpoint's
return (deterministic evaluation, as in the card). It is shipped under
``policies/<env>/replay/`` with its own card; checkpoints after the first one that reaches medium
are not kept. The medium and expert tiers keep the main run's checkpoints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from curatedrl.datasets.behaviour import POLICY_DIR, list_checkpoints, read_card, write_card
from curatedrl.errors import CuratedRLError

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


def train_replay(env_key: str, root: Path = POLICY_DIR, eval_episodes: int = 20,
                 progress: bool = True) -> dict[str, Any]:
    """Train (or resume) the replay run in chunks until a checkpoint reaches the medium return."""
    from curatedrl.datasets.suite import choose_policies
    from curatedrl.datasets.train_behaviour import evaluate_checkpoints, train

    if env_key not in REPLAY_RUNS:
        raise CuratedRLError(f"no replay run is configured for {env_key!r} (its main run's stream "
                             f"is long enough); configured: {', '.join(REPLAY_RUNS)}")
    cfg = REPLAY_RUNS[env_key]
    main = choose_policies(env_key, root, replay_run=False)
    target = main.medium_return
    steps = cfg["chunk"]
    while True:
        train(env_key, steps=steps, seed=cfg["seed"], checkpoint_every=cfg["checkpoint_every"],
              out=root, progress=progress, run=RUN, overrides=cfg["overrides"])
        card = evaluate_checkpoints(env_key, episodes=eval_episodes, out=root, progress=progress,
                                    run=RUN)
        hits = sorted((v["step"], k) for k, v in card["checkpoints"].items()
                      if v["return_mean"] >= target)
        if hits or steps >= cfg["max_steps"]:
            break
        steps += cfg["chunk"]
    if not hits:
        raise CuratedRLError(f"{env_key} replay run did not reach the medium return {target:.1f} "
                             f"in {steps} steps; raise max_steps or the learning rate")
    reached = hits[0][1]
    for path in list_checkpoints(env_key, root, RUN):  # keep the stream up to medium only
        if card["checkpoints"][path.name]["step"] > hits[0][0]:
            path.unlink()
            del card["checkpoints"][path.name]
    hp = card["training"]
    hp["hyperparameter_source"] += f" with overrides {cfg['overrides']} (replay run)"
    card.update({"reached": reached, "target_return": target,
                 "target_checkpoint": f"../{main.medium.name}",
                 "purpose": "training stream of the medium-replay tier (datasets/replay_run.py)"})
    card.pop("expert_checkpoint", None)
    write_card(env_key, card, root, RUN)
    return card
