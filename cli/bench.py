"""``curatedrl bench``: speed figures, one printed line each."""

from __future__ import annotations

import argparse

from curatedrl.cli.options import add_threads, set_threads
from curatedrl.constants import DEFAULT_DATASET


def _bench(args: argparse.Namespace) -> None:
    from curatedrl.benchmarks.speed.bench import run_bench

    import os

    set_threads(args.threads)
    run_bench(args.only, threads=args.threads or os.cpu_count() or 1, quick=args.quick,
              dataset=args.dataset, device=args.device)


def add(sub) -> None:
    p = sub.add_parser("bench", help="speed benchmarks, one printed line per figure")
    p.add_argument("--only", action="append",
                   choices=["iwbc", "seeds", "step", "eval", "generation", "load", "sampled",
                            "sweep"],
                   help="run only this figure (repeatable; default: all)")
    add_threads(p, default=1)
    p.add_argument("--dataset", default=DEFAULT_DATASET,
                   help="dataset of the training and evaluation figures")
    p.add_argument("--quick", action="store_true",
                   help="every figure at a tiny size (a smoke test, not for reporting)")
    p.add_argument("--device", default=None,
                   help="torch device of the training figures (default: cuda if available)")
    p.set_defaults(func=_bench)
