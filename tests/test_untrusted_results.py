"""Results come from pull requests: everything read from results/ is data. Markup in any field
or folder name is shown as text on the site (checked in headless Chromium: no script runs) and
in LEADERBOARD.md (no raw HTML, no broken table); a run folder whose files cannot be used is
skipped, named in one warning line and listed apart, and never aborts the build. The cases are
docs/reliability.md's table "The leaderboard and untrusted results"."""

from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from curatedrl.cli import main
from curatedrl.benchmarks.leaderboard.admission import expected_config
from curatedrl.benchmarks.suites.cell_config import load_schedule
from curatedrl.benchmarks.leaderboard.escaping import html_code_spans, md_code, md_text, safe_id
from curatedrl.benchmarks.leaderboard.leaderboard import build
from curatedrl.benchmarks.leaderboard.sections import Section
from curatedrl.run.records.rundir import ResultsFileWarning
from tests.leaderboard_runs import DS, write_run

TITLE = "curatedrl leaderboard"
HMR = "curatedrl/hopper/medium-replay-v0"


def _payload(where: str) -> str:
    """Markup that renames the page if it ever runs (no ``/``: it also names folders)."""
    return f"\"'><img src=x onerror=document.title=`{where}`>"


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.ids += [v for k, v in attrs if k == "id"]


def _markup_tree(root: Path) -> None:
    """Markup in every string the pages show: schedule, source and algo folders, dataset,
    commit, hardware, device, dataset hash, a config value."""
    dataset = f"x/{_payload('dataset')}|`b`.hdf5"
    for seed in range(2):
        write_run(root, "bc", seed, 10.0 + seed, dataset=dataset, schedule=_payload("schedule"),
                  commit="<script>document.title='commit'</script>", dataset_hash=_payload("hash"),
                  final={"hardware": f"{_payload('hardware')} | `x` *y*",
                         "device": "<svg onload=document.title='device'>"},
                  source="d4rl")  # a .hdf5 file is D4RL data: its own section
    algo = _payload("algo")
    write_run(root, algo, 0, 20.0, config={})  # listed: algo not registered
    cfg = {"algo": "bc", **expected_config("bc", DS, 0, load_schedule("cpu"))}
    write_run(root, "bc", 0, 30.0, config={**cfg, "lr": _payload("config")})  # listed: drift
    write_run(root, "bc", 0, 40.0, source=_payload("source"))  # skipped: not a data source
    key = {"reference_key": _payload("reference_key")}  # compared, never shown
    for schedule in ("paper-whole-ft", "paper-sampled"):  # a pair: the same stage-1 inputs
        config = {"algo": "iw_bc", "threads": 1,
                  **expected_config("iw_bc", HMR, 0, load_schedule(schedule))}
        run = write_run(root, "iw_bc", 0, 30.0, dataset=HMR, schedule=schedule, final=key,
                        config=config)
    (run.parents[4] / "paper-whole-ft" / run.relative_to(run.parents[4] / "paper-sampled")
     / "train_metrics.csv").write_text("step,train/weight_ess\n10,0.5\n")
    bad = write_run(root, "iw_bc", 1, 30.0, dataset=HMR, schedule="paper-whole-ft")
    (bad / "train_metrics.csv").write_text(f"step,train/{_payload('metric')}\n10,1\n")


def test_markup_in_results_is_shown_as_text_and_never_runs(tmp_path):
    from tests.test_site import _driver

    _markup_tree(tmp_path / "r")
    with pytest.warns(ResultsFileWarning, match="is not a data source"), \
            pytest.warns(ResultsFileWarning, match="train_metrics.csv.*is not a metric name"):
        text = build(tmp_path / "r", tmp_path / "LB.md", tmp_path / "site", draw=True,
                     site=True)
    page = tmp_path / "site" / "index.html"
    html = page.read_text()
    for tag in ("<script", "<img", "<svg"):  # Markdown: no raw HTML, whatever GitHub strips
        assert tag not in text.lower()
    assert "devices: &lt;svg onload=document.title='device'>" in text  # shown as text
    for block in re.split(r"\n(?!\|)", text):  # every table row has as many cells as its header
        rows = [ln for ln in block.splitlines() if ln.startswith("|")]
        assert len({len(re.findall(r"(?<!\\)\|", ln)) for ln in rows}) <= 1, rows
    parser = _Ids()
    parser.feed(html)
    assert len(parser.ids) == len(set(parser.ids)) > 10
    assert all(re.fullmatch(r"[a-z0-9_-]+", i) for i in parser.ids), parser.ids
    assert all(re.fullmatch(r"[a-z0-9_.-]+", p.name) for p in (tmp_path / "site").iterdir())
    assert html.count("<script") == 1  # site.js only

    browser = _driver(1280, 900)
    try:
        browser.get(page.as_uri())
        cell = browser.find_elements("css selector", "td[data-cell][title]")[0]
        cell.click()  # one cell's runs opened as a reader does, then every cell's runs at once
        assert browser.find_element("css selector", ".detail:not([hidden])").is_displayed()
        browser.execute_script("document.querySelectorAll('template').forEach(function (t) {"
                               " document.body.appendChild(t.content.cloneNode(true)); });")
        time.sleep(1.0)  # an <img onerror> would have fired by now
        assert browser.title == TITLE
        injected = browser.execute_script(
            "return document.querySelectorAll('[onerror], [onload], svg, "
            "img:not([src$=\".png\"]), script').length")
        assert injected == 1  # site.js's own <script>
        shown = browser.execute_script("return document.body.textContent")
        for where in ("dataset", "schedule", "hardware", "hash", "algo", "config", "source"):
            assert f"onerror=document.title=`{where}`>" in shown, where  # shown as text
        assert "<script>docu" in shown  # the commit, cut to 12 characters
        assert "1 of 2 runs record it" in shown and "+0.0 (one pair: no interval)" in shown
        assert "`reference_key`" not in shown + text and "`metric`" not in shown + text
    finally:
        browser.quit()


def _good_runs(root: Path) -> None:
    write_run(root, "bc", 0, 10.0)
    write_run(root, "bc", 1, 12.0)


def _rewrite_final(run: Path, drop: str = "", **changes) -> Path:
    final = json.loads((run / "final.json").read_text())
    final.pop(drop, None)
    (run / "final.json").write_text(json.dumps({**final, **changes}))
    return run / "final.json"


def _config(run: Path, content: bytes) -> Path:
    (run / "config.yaml").write_bytes(content)
    return run / "config.yaml"


# (case, writes the bad run and returns the file the warning names, what the reason says)
BAD_RUNS = {
    "a seed folder whose final.json says another seed": (
        lambda r: _rewrite_final(write_run(r, "bc", 106, 90.0), seed=0),
        "its final.json names 'seed0', its folder is 'seed106'"),
    "a finite score of absurd size": (
        lambda r: write_run(r, "bc", 2, 1e308) / "final.json",
        "field 'normalized_score_last' is 1e+308, beyond ±1e+06"),
    "an absurd wall time": (
        lambda r: write_run(r, "bc", 2, 11.0, final={"wall_time_s": 1e308}) / "final.json",
        "field 'wall_time_s' must be a number of seconds"),
    "an algorithm folder whose final.json says another algorithm": (
        lambda r: _rewrite_final(write_run(r, "iql", 2, 11.0), algo="bc"),
        "its final.json names 'bc', its folder is 'iql'"),
    "a field the pages show of the wrong type": (
        lambda r: write_run(r, "bc", 2, 11.0, final={"hardware": 3}) / "final.json",
        "field 'hardware' must be a string, got 3"),
    "no steps": (
        lambda r: _rewrite_final(write_run(r, "bc", 2, 11.0), drop="steps"),
        "field 'steps' is missing"),
    "text that is not valid Unicode": (
        lambda r: write_run(r, "bc", 2, 11.0, final={"hardware": "\ud800"}) / "final.json",
        "it holds text that is not valid Unicode"),
    "a malformed config.yaml": (
        lambda r: _config(write_run(r, "bc", 2, 11.0), b"algo: [bc\n"),
        "config.yaml: the file is not plain YAML"),
    "a config.yaml that is not UTF-8": (
        lambda r: _config(write_run(r, "bc", 2, 11.0), b"algo: \xff\xfe\n"),
        "config.yaml: cannot read the file (UnicodeDecodeError"),
    "a config.yaml with a stage-1 budget that is no number": (
        lambda r: write_run(r, "bc", 2, 11.0, config={"ref_steps": "many"}) / "config.yaml",
        "config.yaml: field 'ref_steps' must be an integer or null, got 'many'"),
    "a config.yaml that names another run": (
        lambda r: write_run(r, "bc", 2, 11.0, config={"seed": 3}) / "config.yaml",
        "config.yaml: it names seed 3, its final.json 2"),
    "a stray source folder": (
        lambda r: write_run(r, "bc", 2, 11.0, source="minari-typo") / "final.json",
        "'minari-typo' is not a data source (one of curatedrl, d4rl, minari)"),
}


@pytest.mark.parametrize("case", BAD_RUNS)
def test_an_unusable_run_folder_is_skipped_named_and_listed(tmp_path, case):
    make, why = BAD_RUNS[case]
    _good_runs(tmp_path / "r")
    bad = make(tmp_path / "r")
    with pytest.warns(ResultsFileWarning) as caught:
        text = build(tmp_path / "r", tmp_path / "LB.md", tmp_path / "site", draw=False,
                     site=True)
    named = [str(w.message) for w in caught if str(bad) in str(w.message)]
    assert len(named) == 1 and why in named[0], [str(w.message) for w in caught]
    assert "| hopper-medium | 11.0 ± 1.4 (2) |" in text  # the tables as without it
    assert not re.search(r"\binf\b", text)
    shown = bad.parent.relative_to(tmp_path).as_posix()
    listed = text.split("## Run folders skipped")[1]
    assert any(ln.startswith("- **1 run**: ") and md_text(why) in ln and
               ln.endswith(f" — {md_code(shown)}") for ln in listed.splitlines()), listed
    assert "Run folders skipped" in (tmp_path / "site" / "index.html").read_text()


def test_a_learning_curve_of_absurd_values_is_ignored_and_the_run_counts(tmp_path):
    _good_runs(tmp_path / "r")
    run = write_run(tmp_path / "r", "bc", 2, 11.0)
    (run / "eval.csv").write_text("step,normalized_mean\n5,1e308\n10,11.0\n")
    with pytest.warns(ResultsFileWarning, match=f"ignoring the learning curve "
                      f"{re.escape(repr(str(run / 'eval.csv')))}: a normalized_mean beyond"):
        text = build(tmp_path / "r", tmp_path / "LB.md", tmp_path / "plots", draw=True)
    assert "| hopper-medium | 11.0 ± 1.0 (3) |" in text


def test_dollar_signs_in_names_are_drawn_as_text(tmp_path):
    """matplotlib reads ``$...$`` as math, and a bad formula used to abort the build."""
    write_run(tmp_path / "r", "bc", 0, 10.0, dataset="x/$\\frac{a$.hdf5")
    write_run(tmp_path / "r", "my$\\frac{a$algo", 0, 20.0)
    build(tmp_path / "r", tmp_path / "LB.md", tmp_path / "plots", draw=True)
    assert len(list((tmp_path / "plots").glob("*.png"))) == 3


def test_leaderboard_command_warns_one_line_per_skipped_file(tmp_path, capsys):
    _good_runs(tmp_path / "r")
    torn = write_run(tmp_path / "r", "bc", 2, 11.0) / "final.json"
    torn.write_text('{"algo": "bc", "dat')
    moved = _rewrite_final(write_run(tmp_path / "r", "bc", 106, 90.0), seed=0)
    folder = write_run(tmp_path / "r", "bc", 3, 11.0, source="minari\ntypo") / "final.json"
    assert main(["leaderboard", "--results", str(tmp_path / "r"), "--out",
                 str(tmp_path / "LB.md"), "--plots", str(tmp_path / "site")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(ln.startswith("curatedrl leaderboard: warning: skipping ")
                                 for ln in err), err
    for path in (torn, moved, folder):
        assert sum(repr(str(path)) in ln for ln in err) == 1, (path, err)


def test_a_bad_training_summary_is_one_warning_line_and_the_run_counts(tmp_path, capsys):
    _good_runs(tmp_path / "r")
    summary = write_run(tmp_path / "r", "bc", 2, 11.0) / "train_metrics.csv"
    summary.write_text("step,train/<img src=x onerror=alert(1)>\n10,1\n")
    assert main(["leaderboard", "--results", str(tmp_path / "r"), "--out",
                 str(tmp_path / "LB.md"), "--plots", str(tmp_path / "site")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [f"curatedrl leaderboard: warning: ignoring the training summary "
                   f"{str(summary)!r}: column name 'train/<img src=x onerror=alert(1)>' is not "
                   f"a metric name (letters, digits, _ . - /)"]
    text = (tmp_path / "LB.md").read_text()
    assert "| hopper-medium | 11.0 ± 1.0 (3) |" in text and "<img" not in text


def test_ids_keep_plain_names_and_never_share_one():
    assert [safe_id(n) for n in ("cpu", "paper-sampled-k32", "filtered_bc")] == \
        ["cpu", "paper-sampled-k32", "filtered_bc"]
    names = ["Cpu", "cpu ", "a--b", "a-b", "-a", "", _payload("x"), "x" * 65, "\udcff",
             "é", "e", safe_id("Cpu")]
    ids = [safe_id(n) for n in names]
    assert len(set(ids)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9_-]{1,64}", i) for i in ids)
    # sections: schedule a-minari on the project's data is not schedule a on Minari's
    assert Section("a-minari", "curatedrl", [], [], []).slug != \
        Section("a", "minari", [], [], []).slug


def test_markdown_code_spans_become_escaped_code_in_html():
    assert html_code_spans("keeps `earlier_hashes` and `<b>`") == \
        "keeps <code>earlier_hashes</code> and <code>&lt;b&gt;</code>"
    assert html_code_spans("a lone ` <i>") == "a lone ` &lt;i&gt;"  # no pair: kept as text
    assert html_code_spans("`a` b `c") == "<code>a</code> b `c"
