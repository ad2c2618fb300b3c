"""The ``curatedrl`` command: ``main`` and the top-level parser. Each subcommand's parser and
handler sit side by side in its own module (``datasets``, ``train``, ``policies``, ``bench``,
``sweep``, ``leaderboard``, ``demo``), the options they share in ``options``; a handler is a few
lines that call down the layers (benchmarks, run, datasets) and holds no logic of its own."""

from __future__ import annotations

import argparse
import sys

from curatedrl.cli import bench, datasets, demo, leaderboard, policies, sweep, train
from curatedrl.cli.options import THREADS_HELP, finish, parse_sets, version  # noqa: F401
from curatedrl.cli.sweep import seed_spec  # noqa: F401  (re-exported)
from curatedrl.errors import CuratedRLError

SUBCOMMANDS = (datasets, train, policies, bench, sweep, leaderboard, demo)  # in the help's order


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="curatedrl",
        description="Offline-RL benchmark suite: BC, filtered BC and importance-weighted BC.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}",
                        help="print the installed version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in SUBCOMMANDS:
        command.add(sub)
    finish(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; 0, 2 (bad input: one line on stderr) or 130 (interrupted). The signal
    handlers a command installs (SIGTERM stops a run) are put back when it returns, so that
    calling ``main`` in a process (tests, notebooks) leaves that process's handlers as they
    were."""
    import signal
    import threading

    args = build_parser().parse_args(argv)
    names = (signal.SIGINT, signal.SIGTERM)
    main_thread = threading.current_thread() is threading.main_thread()
    saved = {s: signal.getsignal(s) for s in names} if main_thread else {}
    try:
        args.func(args)
    except CuratedRLError as exc:
        print(f"curatedrl: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM to train / sweep
        print(f"curatedrl: {exc or 'interrupted'}", file=sys.stderr)
        return 130
    finally:
        for sig, handler in saved.items():
            if handler is not None:  # None: installed outside Python, cannot be put back
                signal.signal(sig, handler)
    return 0
