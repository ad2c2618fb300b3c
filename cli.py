"""The ``curatedrl`` command."""

from __future__ import annotations

import argparse
import sys

from curatedrl.errors import CuratedRLError


def _datasets_list(args: argparse.Namespace) -> None:
    from curatedrl.datasets import local_dataset_ids
    from curatedrl.datasets.minari_io import datasets_root

    ids = local_dataset_ids()
    print(f"Minari datasets in {datasets_root()}:")
    if not ids:
        print("  (none; `make demo` creates the embedded default, `make datasets` the suite)")
    for i in ids:
        print(f"  {i}")


def _datasets_show(args: argparse.Namespace) -> None:
    from curatedrl.benchmarks.tables import table
    from curatedrl.datasets import load
    from curatedrl.envs import check_dataset_env

    ds = load(args.dataset, env=args.env)
    check_dataset_env(ds)
    print(table(list(ds.summary().items()), ["field", "value"]))


def _demo(args: argparse.Namespace) -> None:
    from curatedrl.benchmarks.tables import table
    from curatedrl.datasets import load, percentile_strata, quality_weights, top_fraction
    from curatedrl.datasets.defaults import ensure_default_dataset
    from curatedrl.envs import check_dataset_env

    dataset_id = ensure_default_dataset(progress=True)
    ds = load(dataset_id)
    check_dataset_env(ds)
    print(f"Embedded default dataset {dataset_id}\n")
    print(table(list(ds.summary().items()), ["field", "value"]))
    rows = []
    for view in (top_fraction(ds, 0.1), percentile_strata(ds), quality_weights(ds)):
        rows.append([view.description, view.num_episodes, len(set(view.episodes.tolist())),
                     view.num_steps, float(view.returns.mean())])
    print("\nCuration views (episodes with repetition, distinct episodes, steps, mean return)\n")
    print(table(rows, ["view", "episodes", "distinct", "steps", "return_mean"]))


def _policies_train(args: argparse.Namespace) -> None:
    from curatedrl.datasets.train_behaviour import ENVS, evaluate_checkpoints, train

    for env_key in (args.env or list(ENVS)):
        train(env_key, steps=args.steps, seed=args.seed, checkpoint_every=args.checkpoint_every)
        card = evaluate_checkpoints(env_key, episodes=args.eval_episodes)
        best = card["checkpoints"][card["expert_checkpoint"]]
        print(f"{env_key}: expert {card['expert_checkpoint']} return "
              f"{best['return_mean']:.1f} ± {best['return_std']:.1f}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="curatedrl",
        description="Offline-RL benchmark suite: BC, filtered BC and importance-weighted BC.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ds = sub.add_parser("datasets", help="list and inspect datasets")
    ds_sub = ds.add_subparsers(dest="datasets_command", required=True, metavar="ACTION")
    p = ds_sub.add_parser("list", help="list the Minari datasets stored locally "
                                       "(MINARI_DATASETS_PATH, else ~/.minari/datasets)")
    p.set_defaults(func=_datasets_list)
    p = ds_sub.add_parser("show", help="summarise one dataset: episodes, steps, returns, "
                                       "reference scores, evaluation env")
    p.add_argument("dataset", metavar="ID_OR_PATH",
                   help="a local Minari dataset id (namespace/name-vN) or a D4RL-format .hdf5 file")
    p.add_argument("--env", default=None,
                   help="env family of a D4RL file whose name does not say it "
                        "(hopper, halfcheetah, walker2d, ant)")
    p.set_defaults(func=_datasets_show)

    p = sub.add_parser("policies", help="behaviour policies that generate the suite's datasets")
    pol_sub = p.add_subparsers(dest="policies_command", required=True, metavar="ACTION")
    p = pol_sub.add_parser("train", help="train (or resume) PPO behaviour policies, export "
                                         "actor checkpoints and write the policy cards")
    p.add_argument("--env", action="append", choices=["hopper", "halfcheetah", "walker2d"],
                   help="env to train (repeatable; default: all three)")
    p.add_argument("--steps", type=int, default=1_000_000, help="training steps per env")
    p.add_argument("--seed", type=int, default=0, help="training seed")
    p.add_argument("--checkpoint-every", type=int, default=25_000,
                   help="export an actor checkpoint every this many steps")
    p.add_argument("--eval-episodes", type=int, default=20,
                   help="deterministic evaluation episodes per checkpoint for the policy card")
    p.set_defaults(func=_policies_train)

    p = sub.add_parser("demo", help="the main job on the embedded default dataset (made on first "
                                    "use, no download)")
    p.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except CuratedRLError as exc:
        print(f"curatedrl: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
