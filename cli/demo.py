"""``curatedrl demo`` (`make demo`): the main job on the embedded default dataset."""

from __future__ import annotations

import argparse

from curatedrl.cli.options import add_threads, set_threads


def _demo(args: argparse.Namespace) -> None:
    from curatedrl.benchmarks.suites.demo import run_demo

    set_threads(args.threads)
    run_demo()


def add(sub) -> None:
    p = sub.add_parser("demo", help="the main job: BC, filtered BC and iw-BC on the embedded "
                                    "default dataset (made on first use, no download)")
    add_threads(p)
    p.set_defaults(func=_demo)
