"""``curatedrl datasets list | generate | manifest | card | show``: the suite's datasets."""

from __future__ import annotations

import argparse

from curatedrl.constants import ENVS, SIZES, TIERS
from curatedrl.errors import CuratedRLError


def _datasets_list(args: argparse.Namespace) -> None:
    from curatedrl.datasets import local_dataset_ids
    from curatedrl.datasets.minari_io import datasets_root

    from curatedrl.datasets.ids import dataset_size

    ids = local_dataset_ids()
    print(f"Minari datasets in {datasets_root()}:")
    if not ids:
        print("  (none; `make demo` creates the embedded default, `make datasets` the suite)")
    width = max((len(i) for i in ids), default=0)
    for i in ids:
        print(f"  {i:<{width}}  size {dataset_size(i)}")


def _datasets_card(args: argparse.Namespace) -> None:
    from pathlib import Path

    from curatedrl.datasets.card import write_card

    write_card(Path(args.out), f"curatedrl datasets card --out {args.out}")
    print(f"wrote {args.out}")


def _datasets_show(args: argparse.Namespace) -> None:
    from curatedrl.benchmarks.tables import table
    from curatedrl.datasets import load
    from curatedrl.datasets.validate import check_dataset_env

    from curatedrl.datasets.ids import dataset_size

    ds = load(args.dataset, env=args.env)
    check_dataset_env(ds)
    rows = [("size", dataset_size(args.dataset, ds.metadata.extra)), *ds.summary().items()]
    print(table(rows, ["field", "value"]))
    if args.views:
        from curatedrl.benchmarks.tables import views_table

        print()
        print(views_table(ds))


def _datasets_generate(args: argparse.Namespace) -> None:
    from curatedrl.benchmarks.tables import table
    from curatedrl.datasets import load
    from curatedrl.datasets.suite import ENVS, TIERS, generate_env

    rows = []
    for env_key in args.env or list(ENVS):
        ids = generate_env(env_key, size=args.size, seed=args.seed,
                           tiers=tuple(args.tier or TIERS), force=args.force, strict=args.strict)
        for tier, did in ids.items():
            s = load(did).summary()
            rows.append([did, s["episodes"], s["steps"], s["return_mean"], s["return_std"],
                         s["return_min"], s["return_max"]])
    print(table(rows, ["dataset", "episodes", "steps", "return_mean", "return_std",
                       "return_min", "return_max"]))


def _datasets_manifest(args: argparse.Namespace) -> None:
    from curatedrl.benchmarks.tables import table
    from curatedrl.datasets.manifest import compare_local, write_manifest
    from curatedrl.datasets.minari_io import local_dataset_ids
    from curatedrl.datasets.suite import all_ids, generate_command

    if args.write:
        local = set(local_dataset_ids())
        missing = [d for d in all_ids() if d not in local]
        if missing and not args.partial:
            raise CuratedRLError(f"{len(missing)} suite datasets are not stored locally (first: "
                                 f"{missing[0]}); make them with `{generate_command(missing[0])}`"
                                 f" or `make datasets` for each size, then write the manifest")
        out = write_manifest([d for d in all_ids() if d in local])
        print(f"wrote datasets/manifest.json ({len(out['datasets'])} datasets)")
        return
    rows = compare_local(all_ids())
    print(table(rows, ["dataset", "size", "manifest hash", "local hash", "status"]))
    bad = [r for r in rows if r[-1] == "differs"]
    if bad:
        raise CuratedRLError(f"{len(bad)} local dataset(s) differ from the manifest "
                             f"(first: {bad[0][0]})")


def add(sub) -> None:
    ds = sub.add_parser("datasets", help="list and inspect datasets")
    ds_sub = ds.add_subparsers(dest="datasets_command", required=True, metavar="ACTION")
    p = ds_sub.add_parser("list", help="list the Minari datasets stored locally "
                                       "(MINARI_DATASETS_PATH, else ~/.minari/datasets)")
    p.set_defaults(func=_datasets_list)
    p = ds_sub.add_parser("generate", help="generate the suite's datasets "
                                           "(curatedrl/<env>/<tier>-v0) from the shipped "
                                           "behaviour policies")
    p.add_argument("--env", action="append", choices=list(ENVS),
                   help="env to generate (repeatable; default: all three)")
    p.add_argument("--tier", action="append",
                   choices=list(TIERS),
                   help="tier to generate (repeatable; default: all five)")
    p.add_argument("--size", choices=list(SIZES), default="full",
                   help="full: D4RL's sizes (1M steps; medium-replay as long as training took "
                        "to reach medium), ids curatedrl/<env>/<tier>-v0; small: every size "
                        "divided by 20, ids <tier>-small-v0; tiny: by 200, <tier>-tiny-v0")
    p.add_argument("--seed", type=int, default=0, help="generation seed (same seed, same data)")
    p.add_argument("--force", action="store_true",
                   help="regenerate datasets that already exist locally")
    p.add_argument("--strict", action="store_true",
                   help="check every requested dataset (also those already stored) against "
                        "datasets/manifest.json and exit non-zero on a content-hash mismatch")
    p.set_defaults(func=_datasets_generate)
    p = ds_sub.add_parser("manifest", help="compare the local suite datasets with "
                                           "datasets/manifest.json, or write it from them")
    p.add_argument("--write", action="store_true",
                   help="write datasets/manifest.json from the local suite datasets (every env, "
                        "tier and size must be stored)")
    p.add_argument("--partial", action="store_true",
                   help="with --write: write the entries of the suite datasets stored locally "
                        "even when some are missing")
    p.set_defaults(func=_datasets_manifest)
    p = ds_sub.add_parser("card", help="write the dataset card (markdown) from the local "
                                       "suite datasets and the policy cards")
    p.add_argument("--out", default="docs/datasets.md", help="markdown file to write")
    p.set_defaults(func=_datasets_card)
    p = ds_sub.add_parser("show", help="summarise one dataset: episodes, steps, returns, "
                                       "reference scores, evaluation env")
    p.add_argument("dataset", metavar="ID_OR_PATH",
                   help="a local Minari dataset id (namespace/name-vN) or a D4RL-format .hdf5 file")
    p.add_argument("--env", default=None,
                   help="env family of a D4RL file whose name does not say it "
                        "(hopper, halfcheetah, walker2d, ant)")
    p.add_argument("--views", action="store_true",
                   help="also show what each algorithm's default config trains on: the distinct "
                        "episodes of its view, their returns, the mean return of a drawn episode "
                        "and the share of draws in the upper half of the return range")
    p.set_defaults(func=_datasets_show)
