"""What a new user meets first on the command line: `curatedrl --version`, help that describes
every command and shows every default (train's: each algorithm's resolved value), one meaning
of --threads, a did-you-mean for a mistyped suite id, and docs that agree on how to register an
algorithm."""

from __future__ import annotations

import argparse

import pytest

from curatedrl.cli import THREADS_HELP, build_parser, main
from tests.conftest import REPO


def _parsers():
    stack = [build_parser()]
    while stack:
        p = stack.pop()
        yield p
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                stack.extend(action.choices.values())


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out.split()
    assert out[0] == "curatedrl" and len(out) >= 2


def test_every_command_is_described_and_every_option_shows_its_default():
    for p in _parsers():
        assert p.description, f"{p.prog} has no description"
        for action in p._actions:
            if not action.option_strings or action.dest in ("help", "version") or \
                    action.required:
                continue
            shown = p.formatter_class(p.prog)._get_help_string(action)  # as --help prints it
            assert "default" in shown, f"{p.prog} {action.option_strings[0]}: {shown}"
        p.format_help()  # every help string formats


def test_threads_means_the_same_in_every_command():
    seen = {}
    for p in _parsers():
        for action in p._actions:
            if "--threads" in action.option_strings:
                seen[p.prog] = action.help
    assert {"curatedrl train", "curatedrl sweep", "curatedrl demo", "curatedrl bench"} <= \
        set(seen)
    assert set(seen.values()) == {THREADS_HELP}


# --- help that tells the truth ------------------------------------------------------------------

def _train_help() -> dict[str, str]:
    p = next(p for p in _parsers() if p.prog == "curatedrl train")
    fmt = p.formatter_class(p.prog)
    return {a.dest: " ".join(fmt._get_help_string(a).split()) for a in p._actions}


def test_train_help_gives_every_algorithms_resolved_default():
    import re

    from curatedrl.algos import ALGOS

    shown = _train_help()
    assert all(name in shown["algo"] for name in ALGOS)
    for dest in ("steps", "batch_size", "eval_every", "eval_episodes", "final_eval_episodes",
                 "device"):
        text = shown[dest]
        assert "default: the algorithm's config:" in text, (dest, text)
        values = {str(getattr(cls.config_cls(), dest)) for cls in ALGOS.values()}
        if len(values) == 1:
            assert f"{values.pop()} for every algorithm" in text.replace(",", "")
            continue
        said = {}  # "a, b 500; c 5,000 ...": each algorithm's value as the help says it
        for group in text.split("the algorithm's config: ", 1)[1].split("; "):
            m = re.match(r"([a-z0-9_]+(?:, [a-z0-9_]+)*) ([0-9,]+|[a-z]+)", group)
            if m:
                said.update(dict.fromkeys(m.group(1).split(", "), m.group(2)))
        for name, cls in ALGOS.items():
            assert said.get(name) == f"{getattr(cls.config_cls(), dest):,}", (dest, name, text)
    assert "td3_bc, iql, cql, awac, rebrac 5,000" in shown["eval_every"]
    assert "bc 128 episodes" in shown["batch_size"] and "rebrac 1,024 transitions" in \
        shown["batch_size"]
    assert "default: none" not in shown["env"] and "default: none" not in shown["batch_size"]


# --- mistyped dataset ids -----------------------------------------------------------------------

@pytest.mark.parametrize("typo, meant, command", [
    ("curatedrl/hopper/mediumreplay-v0", "curatedrl/hopper/medium-replay-v0",
     "curatedrl datasets generate --env hopper --tier medium-replay`"),
    ("curatedrl/hoper/medium-small-v0", "curatedrl/hopper/medium-small-v0",
     "curatedrl datasets generate --env hopper --tier medium --size small`"),
    ("curatedrl/ant/medium-v0", None, "the suite's envs are hopper, halfcheetah, walker2d"),
])
def test_mistyped_suite_id_gets_a_did_you_mean_and_one_generate_command(typo, meant, command,
                                                                        capsys):
    assert main(["train", "--algo", "bc", "--dataset", typo]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and command in err, err
    if meant:
        assert f"did you mean {meant!r}?" in err
    assert "minari download" not in err and "make datasets" not in err


# --- docs ---------------------------------------------------------------------------------------

def test_readme_contributing_and_site_agree_on_the_two_registry_lines():
    init = (REPO / "algos" / "__init__.py").read_text()
    assert "from curatedrl.algos.bc import BC" in init and '"bc": BC,' in init  # two lines each
    for path in ("README.md", "CONTRIBUTING.md", "docs/leaderboard/index.html"):
        text = " ".join((REPO / path).read_text().split())
        assert "two lines in" in text and "one line in" not in text, path
    contributing = " ".join((REPO / "CONTRIBUTING.md").read_text().split())
    assert "steps 2 and 3 taken together" in contributing
    assert "test_every_config_resolves_for_every_cell_of_every_schedule" in contributing
