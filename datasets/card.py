"""The dataset card (docs/datasets.md), built from the local datasets and the policy cards."""

from __future__ import annotations

import inspect
from pathlib import Path

from curatedrl.datasets.behaviour import read_card
from curatedrl.datasets.d4rl import D4RL_ENVS
from curatedrl.datasets.loader import load
from curatedrl.datasets.minari_io import local_dataset_ids
from curatedrl.datasets import suite
from curatedrl.datasets.suite import ENVS, TIERS, choose_policies, dataset_id
from curatedrl.envs.evaluate import normalized_score


def _row(cells) -> str:
    return "| " + " | ".join(cells) + " |"


def build_card(command: str) -> str:
    """Markdown: per env, the behaviour policies and every tier's statistics."""
    lines = ["# Dataset card", "",
             f"Produced by `{command}` from the datasets stored locally; regenerate them with "
             "`make datasets` (or `make datasets SIZE=small`).", "", "## How the tiers are made",
             "", inspect.cleandoc(suite.__doc__ or ""), "",
             "Behaviour policies: see `policies/<env>/card.json` (every checkpoint's deterministic "
             "evaluation, training settings, versions, hardware and time).", ""]
    local = set(local_dataset_ids())
    for env_key, env_id in ENVS.items():
        card = read_card(env_key)
        if not card.get("checkpoints"):
            continue
        choice = choose_policies(env_key)
        t = card["training"]
        d4rl_min, d4rl_max = D4RL_ENVS[env_key]["ref"]
        expert_d4rl = float(normalized_score(choice.expert_return, d4rl_min, d4rl_max))
        lines += [f"## {env_key} ({env_id})", "",
                  f"- Behaviour policies: {t['algorithm']}, {t.get('steps_trained', '?')} steps, "
                  f"seed {t['seed']}, {t.get('hyperparameter_source', '')}; trained on "
                  f"{t.get('hardware', '?')} at {t.get('last_session_steps_per_second', '?')} "
                  f"steps/s.",
                  f"- Expert: `{choice.expert.name}`, return {choice.expert_return:.1f} "
                  f"(deterministic, {card['evaluation']['episodes']} episodes); D4RL-normalised "
                  f"{expert_d4rl:.1f} (D4RL's {env_key} constants {d4rl_min}, {d4rl_max}).",
                  f"- Medium: `{choice.medium.name}`, return {choice.medium_return:.1f} = "
                  f"{100 * choice.medium_return / choice.expert_return:.1f}% of the expert's.",
                  f"- Medium-replay: checkpoints up to medium ({len(choice.replay)} of them).", ""]
        header = ["tier", "size", "episodes", "steps", "return mean", "std", "min", "max",
                  "normalised mean"]
        lines += [_row(header), _row(["---"] * len(header))]
        s = None
        for tier in TIERS:
            did = dataset_id(env_key, tier)
            if did not in local:
                continue
            ds = load(did)
            s = ds.summary()
            norm = float(normalized_score(s["return_mean"], s["ref_min_score"],
                                          s["ref_max_score"]))
            lines.append(_row([tier, str(ds.metadata.extra.get("size", "?")),
                               str(s["episodes"]), str(s["steps"]),
                               f"{s['return_mean']:.1f}", f"{s['return_std']:.1f}",
                               f"{s['return_min']:.1f}", f"{s['return_max']:.1f}",
                               f"{norm:.1f}"]))
        if s is not None:
            lines += ["", f"Reference scores: `ref_min_score` {s['ref_min_score']:.1f} (uniform "
                      f"random, 100 episodes), `ref_max_score` {s['ref_max_score']:.1f} "
                      f"(expert, stochastic actions, 100 episodes).", ""]
    return "\n".join(lines) + "\n"


def write_card(path: Path, command: str) -> None:
    from curatedrl.benchmarks.rundir import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, build_card(command))
