"""Option helpers every subcommand shares: ``--threads``, ``--set KEY=VALUE``, the help
formatter that ends each option's help with its default, and the version."""

from __future__ import annotations

import argparse
import re

from curatedrl.errors import CuratedRLError, shown


THREADS_HELP = ("torch threads of each training process; 0: the machine's cores shared among "
                "the processes running at once (all of them for one process, cores / --workers "
                "in a sweep); use 1 when other jobs share the machine: oversubscribed threads "
                "run ~4x slower")


def add_threads(p: argparse.ArgumentParser, default: int = 0) -> None:
    """One ``--threads`` meaning for every command."""
    p.add_argument("--threads", type=int, default=default, help=THREADS_HELP)


PER_ALGO = re.compile(r"<(per_algo|registered):?(\w*)>")  # filled in when help is shown


def _per_algo_help(text: str) -> str:
    """``<per_algo:FIELD>``: every algorithm's default of FIELD, ``<registered:>``: every
    registered algorithm, both read from the registry when help is shown (not at start-up:
    importing the algorithms imports torch)."""
    if not PER_ALGO.search(text):
        return text
    from curatedrl.algos import ALGOS
    from curatedrl.algos.defaults import per_algo

    return PER_ALGO.sub(lambda m: per_algo(m.group(2)) if m.group(1) == "per_algo" else
                        ", ".join(ALGOS), text)


class _DefaultsFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless the help already says it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = _per_algo_help(action.help or "")
        if "default" in text or action.default is argparse.SUPPRESS or action.required or \
                not action.option_strings:
            return text
        if isinstance(action, (argparse._StoreTrueAction, argparse._VersionAction)):
            return text + (" (default: off)" if isinstance(action, argparse._StoreTrueAction)
                           else "")
        shown = "none" if action.default is None else "%(default)s"
        return f"{text} (default: {shown})"


def finish(parser: argparse.ArgumentParser) -> None:
    """Every (sub)command gets the defaults formatter and a description (its help when it has
    no longer one)."""
    parser.formatter_class = _DefaultsFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                if not sub.description:
                    sub.description = helps.get(name)
                finish(sub)


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("curatedrl")
    except PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


def set_threads(threads: int) -> None:
    if threads < 0:
        raise CuratedRLError(f"--threads must be >= 0 (0: torch's default), got {threads}")
    if threads:
        import torch

        torch.set_num_threads(threads)


def parse_sets(items: list[str]) -> dict:
    """``key=value`` pairs; values are read as YAML scalars or lists (``1e-3``, ``[90, 95]``),
    within the limits of every YAML the suite reads (``run.safety.schema.load_yaml``: size, alias
    expansion); a message never echoes more than the start of a value."""
    from curatedrl.run.safety.schema import load_yaml

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CuratedRLError(f"--set needs key=value, got {shown(item)}")
        out[key.strip()] = load_yaml(value, f"--set {key.strip()[:40]}")
    return out
