"""Reproduce lines that reproduce: every `make reproduce` line of the leaderboard finds all its
committed cells done (rerunning only those on earlier data bytes), a cell with fewer seeds gets
its own line, the dry run estimates time and warns before replacing committed results, and the
site's per-cell command says a rerun uses the manifest's data."""

from __future__ import annotations

from curatedrl.cli import main
from tests.conftest import REPO


def _make_reproduce_argv(line: str) -> list[str]:
    """``make reproduce VAR=... ARGS="..."`` as the `curatedrl sweep` arguments the Makefile
    gives (its defaults: WORKERS=1, BACKEND=local, DATA=curatedrl)."""
    import re
    import shlex

    make = (REPO / "Makefile").read_text()
    recipe = make[make.index("\nreproduce:"):].split("\n\n", 1)[0]
    assert "--suite $(SUITE) --seeds $(SEEDS) --schedule $(SCHEDULE)" in recipe and \
        "$(ARGS)" in recipe
    words = shlex.split(line)
    assert words[:2] == ["make", "reproduce"], line
    var = {"WORKERS": "1", "BACKEND": "local", "DATA": "curatedrl"}
    for w in words[2:]:
        key, _, value = w.partition("=")
        assert re.fullmatch(r"[A-Z0-9_]+", key), line
        var[key] = value
    argv = ["sweep", "--suite", var["SUITE"], "--seeds", var["SEEDS"], "--schedule",
            var["SCHEDULE"], "--workers", var["WORKERS"], "--backend", var["BACKEND"],
            "--data", var["DATA"]]
    if "ALGO" in var:
        argv += ["--algo", var["ALGO"]]
    return argv + shlex.split(var.get("ARGS", ""))


def _dry_run(argv, tmp_path, monkeypatch, capsys) -> str:
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "empty-store"))  # manifest hashes
    monkeypatch.chdir(REPO)
    assert main(argv + ["--dry-run", "--root", str(tmp_path / "runs")]) == 0
    return capsys.readouterr().out


def test_every_reproduce_line_of_the_leaderboard_finds_all_its_cells_done(
        tmp_path, monkeypatch, capsys):
    """Each line's dry run lists every committed cell as done, except exactly the cells whose
    runs are on earlier data bytes (listed apart): those it reruns, saying why."""
    import re

    from curatedrl.benchmarks.leaderboard.sections import build_sections

    earlier = sum(len(s.earlier) for s in build_sections(REPO / "results", draw=False))
    text = (REPO / "LEADERBOARD.md").read_text()
    lines = re.findall(r"`(make reproduce [^`]*)`", text)
    assert len(lines) >= 4
    rerun = 0
    for line in lines:
        assert '--threads 1 --skip-exported' in line, line
        out = _dry_run(_make_reproduce_argv(line), tmp_path, monkeypatch, capsys)
        summary = out.splitlines()[0]
        cells, done, todo = map(int, re.search(
            r"sweep: (\d+) cells, 0 already finished, (\d+) already in results, (\d+) to run",
            summary).groups())
        assert cells == done + todo, (line, summary)
        would = [ln for ln in out.splitlines() if "would run" in ln]
        assert len(would) == todo and all("earlier generation of its data" in w
                                          for w in would), (line, would[:3])
        assert not todo or f"({todo} trained on an earlier generation of their data, rerun " \
            f"on the current bytes)" in out, (line, out[:600])
        rerun += todo
    assert rerun == earlier


def test_a_cell_with_fewer_seeds_gets_its_own_reproduce_line():
    """A sweep under way: filtered BC has seeds 0-3 on one dataset and 0-1 on another; one line
    with SEEDS=4 would ask for the two missing seeds as if the results held them."""
    from types import SimpleNamespace

    from curatedrl.benchmarks.leaderboard.reproduce import run_groups

    a, b = "curatedrl/hopper/medium-replay-v0", "curatedrl/walker2d/medium-replay-v0"
    runs = [SimpleNamespace(algo=algo, dataset=d, final={"seed": s})
            for algo, d, seeds in [("filtered_bc", a, 4), ("filtered_bc", b, 2), ("iw_bc", a, 2),
                                   ("iw_bc", b, 2)]
            for s in range(seeds)]
    assert run_groups(runs, [a, b]) == [(["filtered_bc"], [a], 4), (["filtered_bc"], [b], 2),
                                        (["iw_bc"], [a, b], 2)]


def test_k32_line_names_exactly_its_twenty_cells(tmp_path, monkeypatch, capsys):
    from curatedrl.benchmarks.leaderboard.sections import build_sections

    sec = next(s for s in build_sections(REPO / "results", draw=False)
               if s.schedule == "paper-sampled-k32")
    [line] = sec.commands()
    out = _dry_run(_make_reproduce_argv(line), tmp_path, monkeypatch, capsys)
    new = len(sec.runs)  # on the current bytes: done; the others rerun
    assert out.startswith(f"sweep: 20 cells, 0 already finished, {new} already in results, "
                          f"{20 - new} to run")
    runs = sec.cell_runs("iw_bc", "curatedrl/walker2d/medium-replay-v0") or \
        [r for r in sec.earlier if r.algo == "iw_bc"]
    cell = sec.command("iw_bc", runs[0].dataset)
    assert cell.startswith("curatedrl sweep ") and cell.endswith("--threads 1 --skip-exported")
    out = _dry_run(cell.split()[1:], tmp_path, monkeypatch, capsys)
    assert out.startswith("sweep: 5 cells, 0 already finished, ")


def test_dry_run_estimates_time_and_warns_before_replacing_committed_results(
        tmp_path, monkeypatch, capsys):
    argv = ["sweep", "--suite", "paper", "--seeds", "5", "--schedule", "paper-sampled-k32",
            "--algo", "iw_bc", "--threads", "1", "--dataset", "hopper-medium-replay"]
    out = _dry_run(argv + ["--dataset", "walker2d-medium-replay"], tmp_path, monkeypatch, capsys)
    assert "10 to run" in out
    assert "time estimate: " in out and " for 5 cells" in out and \
        "unknown for the other 5 cells" in out
    assert "WARNING: 5 of the 10 cells to run already have results in " \
           "results/paper-sampled-k32/curatedrl" in out and "REPLACES" in out
    out = _dry_run(argv, tmp_path, monkeypatch, capsys)
    assert "time estimate: unknown" in out and "WARNING" not in out


def test_site_cell_command_says_a_rerun_uses_the_manifests_data():
    from curatedrl.benchmarks.leaderboard.reproduce import RERUN_DATA

    page = (REPO / "docs" / "leaderboard" / "index.html").read_text()
    assert page.count("--threads 1 --skip-exported</code>") >= 20
    assert "manifest" in RERUN_DATA and "hash" in RERUN_DATA
    assert page.count(RERUN_DATA) == page.count("--threads 1 --skip-exported</code>")
