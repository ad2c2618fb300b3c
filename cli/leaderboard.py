"""``curatedrl leaderboard``: LEADERBOARD.md, the static site and its plots from results/ only."""

from __future__ import annotations

import argparse
import sys


def _leaderboard(args: argparse.Namespace) -> None:
    from pathlib import Path

    import warnings

    from curatedrl.benchmarks.leaderboard.escaping import one_line
    from curatedrl.benchmarks.leaderboard.leaderboard import build
    from curatedrl.run.records.rundir import ResultsFileWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResultsFileWarning)
        build(Path(args.results), Path(args.out), Path(args.plots), site=True)
    for w in caught:  # one line per file skipped or ignored; any other warning as Python shows it
        if issubclass(w.category, ResultsFileWarning):
            print(f"curatedrl leaderboard: warning: {one_line(w.message)}", file=sys.stderr)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    print(f"wrote {args.out}, the site {args.plots}/index.html and its plots from "
          f"{args.results}/")


def add(sub) -> None:
    p = sub.add_parser(
        "leaderboard", help="rebuild LEADERBOARD.md, the static site and the plots from the "
                            "results tree only",
        description="Rebuild LEADERBOARD.md from results/<schedule>/<source>/<algo>/<dataset>/"
                    "seed<N>/final.json (and eval.csv for the learning curves): per-dataset "
                    "last and best scores (mean ± std, seeds), averages, IQM with "
                    "stratified-bootstrap CIs, the claims read per dataset (paired t-test, Holm), "
                    "and PNG plots, plus "
                    "the static site "
                    "PLOTS/index.html (open it from disk). Runs on other dataset bytes, from a "
                    "modified tree or beyond their schedule are listed apart, never averaged. "
                    "Run folders whose files cannot be used (corrupt, partial, naming another "
                    "run than their folders, beyond any real score) are skipped with one warning "
                    "line each and listed at the end. Same results, same files.")
    p.add_argument("--results", default="results", help="results tree (default results/)")
    p.add_argument("--out", default="LEADERBOARD.md", help="markdown file to write")
    p.add_argument("--plots", default="docs/leaderboard",
                   help="folder for the PNG plots and the site's index.html")
    p.set_defaults(func=_leaderboard)
