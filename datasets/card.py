"""The dataset card (docs/datasets.md), built from the local datasets, the manifest and the policy
cards (``curatedrl datasets card``)."""

from __future__ import annotations

import inspect
from pathlib import Path

from curatedrl.datasets import suite
from curatedrl.datasets.behaviour import read_card
from curatedrl.datasets.d4rl import D4RL_ENVS
from curatedrl.datasets.loader import load
from curatedrl.datasets.manifest import load_manifest
from curatedrl.datasets.minari_io import local_dataset_ids
from curatedrl.datasets.replay_run import RUN, has_replay_run
from curatedrl.datasets.suite import ENVS, SIZES, TIERS, choose_policies, dataset_id
from curatedrl.datasets.versions import format_versions
from curatedrl.envs.evaluate import normalized_score
from curatedrl.fileio import atomic_write_text


def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)]


def _replay_line(env_key: str, choice) -> str:
    if not has_replay_run(env_key):
        return (f"- Medium-replay: the main run's stream, {len(choice.replay)} checkpoints from "
                f"step 0 up to medium.")
    card = read_card(env_key, run=RUN)
    t, reached = card["training"], card["reached"]
    return (f"- Medium-replay: a dedicated PPO run (`policies/{env_key}/{RUN}/`, seed {t['seed']}, "
            f"learning rate {t['hyperparameters']['learning_rate']:g}, otherwise the main run's "
            f"settings; a checkpoint every {t['checkpoint_every']:,} steps), trained until "
            f"`{reached}` reached return {card['checkpoints'][reached]['return_mean']:.1f} >= the "
            f"medium checkpoint's {card['target_return']:.1f}; its stream from step 0 to there "
            f"({len(choice.replay)} checkpoints) is the tier.")


def _env_section(env_key: str, local: set[str], manifest: dict) -> list[str]:
    card = read_card(env_key)
    choice = choose_policies(env_key)
    t = card["training"]
    d4rl_min, d4rl_max = D4RL_ENVS[env_key]["ref"]
    expert_d4rl = float(normalized_score(choice.expert_return, d4rl_min, d4rl_max))
    lines = [f"## {env_key} ({ENVS[env_key]})", "",
             f"- Behaviour policies: {t['algorithm']}, {t.get('steps_trained', '?')} steps, "
             f"seed {t['seed']}, {t.get('hyperparameter_source', '')}.",
             f"- Expert: `{choice.expert.name}`, return {choice.expert_return:.1f} "
             f"(deterministic, {card['evaluation']['episodes']} episodes); D4RL-normalised "
             f"{expert_d4rl:.1f} (D4RL's {env_key} constants {d4rl_min}, {d4rl_max}).",
             f"- Medium: `{choice.medium.name}`, return {choice.medium_return:.1f} = "
             f"{100 * choice.medium_return / choice.expert_return:.1f}% of the expert's.",
             _replay_line(env_key, choice), ""]
    rows, s = [], None
    for tier in TIERS:
        did = dataset_id(env_key, tier)
        if did not in local:
            continue
        ds = load(did)
        s = ds.summary()
        norm = float(normalized_score(s["return_mean"], s["ref_min_score"], s["ref_max_score"]))
        rows.append([tier, s["episodes"], s["steps"], suite.strata_unique(ds.returns),
                     f"{s['return_mean']:.1f}", f"{s['return_std']:.1f}",
                     f"{s['return_min']:.1f}", f"{s['return_max']:.1f}", f"{norm:.1f}",
                     f"`{ds.content_hash}`"])
    lines += [f"Full size (`curatedrl/{env_key}/<tier>-v0`):", ""]
    lines += _table(["tier", "episodes", "steps", "curated strata (unique episodes)",
                     "return mean", "std", "min", "max", "normalised mean", "content hash"], rows)
    if s is not None:
        lines += ["", f"Reference scores: `ref_min_score` {s['ref_min_score']:.1f} (uniform "
                  f"random, 100 episodes), `ref_max_score` {s['ref_max_score']:.1f} "
                  f"(expert, stochastic actions, 100 episodes).", ""]
    small = [[f"`{did}`", e["episodes"], e["steps"], e["strata_unique_episodes"],
              f"`{e['content_hash']}`"]
             for size in SIZES if size != "full" for tier in TIERS
             for did in [dataset_id(env_key, tier, size)]
             for e in [manifest["datasets"].get(did)] if e is not None]
    if small:
        lines += ["Small and tiny sizes (from the manifest):", ""]
        lines += _table(["id", "episodes", "steps", "curated strata", "content hash"], small)
        lines.append("")
    return lines


def build_card(command: str) -> str:
    """Markdown: how the tiers are made, the data stack, per env its policies and every tier."""
    manifest = load_manifest()
    lines = ["# Dataset card", "",
             f"Produced by `{command}` from the datasets stored locally and "
             "`datasets/manifest.json`; `make datasets` (`SIZE=small`, `SIZE=tiny`) regenerates "
             "them and checks each one's content hash against the manifest.", "",
             f"Data stack of the manifest's hashes (pinned in `constraints.txt`): "
             f"{format_versions(manifest['versions'])}.", "",
             "## How the tiers are made", "", inspect.cleandoc(suite.__doc__ or ""), "",
             "The curated strata are the paper's: top-10% ∪ top-5% ∪ top-2% of episode returns "
             "(the unique episodes are the top 10%).", "",
             "Behaviour policies: see `policies/<env>/card.json` (every checkpoint's deterministic "
             "evaluation, training settings, versions, hardware and time).", ""]
    local = set(local_dataset_ids())
    for env_key in ENVS:
        if read_card(env_key).get("checkpoints"):
            lines += _env_section(env_key, local, manifest)
    return "\n".join(lines) + "\n"


def write_card(path: Path, command: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, build_card(command))
