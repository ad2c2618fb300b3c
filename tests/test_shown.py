"""Each leaderboard section shows only what it has: the algorithms and datasets with averaged
runs (a line names the others), the group averages some shown algorithm completes, the claims
with runs of both sides; the headline names the algorithms without any run; a registered
experiment's reading is interim until each of its registered pairs is in or left out because a
run failed (tests/test_failed_runs.py). LEADERBOARD.md and the site say the same."""

from __future__ import annotations

import re
from pathlib import Path

from curatedrl.benchmarks.leaderboard import published
from curatedrl.benchmarks.leaderboard.leaderboard import build
from tests.leaderboard_runs import write_run

HMR, WMR = "curatedrl/hopper/medium-replay-v0", "curatedrl/walker2d/medium-replay-v0"
CMR = "curatedrl/halfcheetah/medium-replay-v0"
HOPPER = ["curatedrl/hopper/medium-v0", HMR, "curatedrl/hopper/medium-expert-v0"]


def _build(root: Path, tmp_path: Path) -> tuple[str, str]:
    text = build(root, tmp_path / "LB.md", tmp_path / "site", draw=False, site=True)
    return text, (tmp_path / "site" / "index.html").read_text()


def _md_table(text: str, first: str) -> list[list[str]]:
    """The Markdown table whose header row starts with ``| first |``: its rows' cells."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"| {first} |"))
    rows = []
    for ln in lines[start:]:
        if not ln.startswith("|"):
            break
        rows.append([c.strip() for c in ln.strip("|").split("|")])
    return [rows[0]] + rows[2:]


def _html_table(page: str, table_id: str) -> tuple[list[str], list[str]]:
    """(header labels, row labels) of the page's table ``table_id``."""
    table = re.search(rf'<table[^>]* id="{table_id}">(.*?)</table>', page, re.S).group(1)
    head = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", table.split("</thead>")[0])
    rows = re.findall(r"<tr><(?:th|td) [^>]*>(.*?)</(?:th|td)>", table.split("</thead>")[1])
    return head, rows


def test_section_tables_show_only_the_algorithms_and_datasets_with_runs(tmp_path):
    root = tmp_path / "r"
    for seed in range(3):
        for d in (HMR, WMR):
            write_run(root, "filtered_bc", seed, 20.0 + seed, dataset=d)
            write_run(root, "iw_bc", seed, 22.0 + 2 * seed, dataset=d)
    for d in HOPPER:  # td3_bc has every hopper dataset: the hopper average appears
        write_run(root, "td3_bc", 0, 40.0, dataset=d)
    text, page = _build(root, tmp_path)
    shown, rows = ["filtered_bc", "iw_bc", "td3_bc"], \
        ["hopper-medium", "hopper-medium-replay", "hopper-medium-expert", "walker2d-medium-replay"]
    last = _md_table(text, "dataset")
    assert last[0][1:] == shown
    assert [r[0] for r in last[1:]] == rows + ["**hopper average**"]  # no walker2d, no overall
    assert last[1] == ["hopper-medium", "— (0)", "— (0)", "40.0 (1)"]  # a shown empty cell
    assert last[-1] == ["**hopper average**", "— (1/3)", "— (1/3)", "40.0"]
    assert [r[0] for r in _md_table(text, "algo")[1:]] == shown
    assert [r[0] for r in _md_table(text, "comparison")[1:]] == ["iw_bc vs filtered_bc"]
    per_dataset = _md_table(text, "dataset | iw_bc vs filtered_bc")
    assert per_dataset[0] == ["dataset", "iw_bc vs filtered_bc"]
    left = ("Algorithms without runs in this section: bc, sft_q, iw_bc_q, iql, cql, awac, rebrac; "
            "datasets without runs: halfcheetah-medium, halfcheetah-medium-replay, "
            "halfcheetah-medium-expert, walker2d-medium, walker2d-medium-expert.")
    assert left in text and f"{left}</p>" in page
    assert text.index(left) < text.index("### Last normalised score")
    for name in ("last", "best"):  # the site's tables: the same columns and rows
        head, labels = _html_table(page, f"cpu-{name}")
        assert head == ["dataset"] + shown and labels == rows + ["hopper average"]
    assert _html_table(page, "cpu-aggregate")[1] == shown
    assert _html_table(page, "cpu-improvement")[1] == ["iw_bc vs filtered_bc"]
    assert "Every algorithm of the registry and every dataset of the suites appears" not in text
    assert "Every algorithm of the registry and every dataset of the suites appears" not in page


def test_a_section_without_a_comparison_of_both_sides_says_so(tmp_path):
    root = tmp_path / "r"
    for seed in range(3):
        write_run(root, "bc", seed, 10.0 + seed)
    text, page = _build(root, tmp_path)
    none = "No comparison of the claims has runs of both its algorithms in this section."
    assert none in text and none in page
    assert "| comparison |" not in text and 'id="cpu-improvement"' not in page
    assert _md_table(text, "dataset")[0] == ["dataset", "bc"]
    assert "**overall average**" not in text and "overall average" not in page


def test_published_scores_keep_the_shown_algorithms_only():
    last = {"bc": {"hopper-medium-v2.hdf5": [50.0]}}
    pub, rows = published.rows(last, ["hopper-medium-v2.hdf5"], ["bc"])
    assert list(pub["columns"]) == ["bc"] and [a for a, *_ in rows[0][1]] == ["bc"]
    assert published.markdown("d4rl", last, [], str, ["bc"]) == []  # no row: no table


def test_headline_names_the_registry_algorithms_without_runs(tmp_path):
    root = tmp_path / "r"
    for algo in ("bc", "iql"):
        write_run(root, algo, 0, 10.0)
    write_run(root, "cql", 0, 10.0, dataset_hash="0123456789abcdef")  # other bytes: no row
    text, page = _build(root, tmp_path)
    line = "No run on the current data yet: filtered_bc, iw_bc, sft_q, iw_bc_q, td3_bc, cql, " \
        "awac, rebrac"
    head = text[text.index("## Headline"):text.index("## Schedule")]
    assert line in head
    assert line in page[page.index('id="headline"'):page.index('id="cpu"')]


def _registered_runs(root: Path, seeds: range, skip: tuple[str, int] | None = None) -> None:
    for d in (HMR, CMR, WMR):
        for seed in seeds:
            write_run(root, "filtered_bc", seed, 30.0 + seed, dataset=d, schedule="paper-whole-ft")
            if (d, seed) != skip:
                write_run(root, "iw_bc", seed, 31.0 + seed, dataset=d, schedule="paper-whole-ft")


def _status(text: str) -> str:
    claims = text[text.index("### Claims, paired by seed"):]
    return claims[:claims.index("| comparison |")]


def test_a_registered_experiment_is_interim_until_all_its_pairs_are_in(tmp_path):
    root = tmp_path / "r"
    _registered_runs(root, range(10), skip=(WMR, 9))
    write_run(root, "iw_bc", 0, 30.0, dataset=HMR)  # another schedule: not registered
    write_run(root, "filtered_bc", 0, 30.0, dataset=HMR)
    text, page = _build(root, tmp_path)
    status = _status(text[text.index("## Schedule `paper-whole-ft`"):])
    counts = ("pairs in / left out because a run failed / missing: hopper-medium-replay "
              "10 / 0 / 0, halfcheetah-medium-replay 10 / 0 / 0, walker2d-medium-replay "
              "9 / 0 / 1 (29 / 0 / 1 of 30).")
    interim = ("The paired reading of iw_bc vs filtered_bc below is interim: the registered "
               "verdict (docs/decisive.md) is read only when each of the 30 pairs is in or left "
               "out because a run failed.")
    assert counts in status and interim in status and "Registered experiment" in status
    assert counts in page and interim in page
    assert "Registered experiment" not in text[text.index("## Schedule `cpu`"):]
    assert page.count("Registered experiment") == 1

    write_run(root, "iw_bc", 9, 40.0, dataset=WMR, schedule="paper-whole-ft")
    text, page = _build(root, tmp_path)
    status = _status(text[text.index("## Schedule `paper-whole-ft`"):])
    verdict = ("All registered pairs are in: the paired reading of iw_bc vs filtered_bc below "
               "is the registered verdict (docs/decisive.md).")
    assert "walker2d-medium-replay 10 / 0 / 0 (30 / 0 / 0 of 30)." in status
    assert verdict in status and "interim" not in status
    assert verdict in page and "is interim" not in page


def test_pairs_beyond_the_registration_are_never_read_as_its_verdict(tmp_path):
    root = tmp_path / "r"
    _registered_runs(root, range(11))  # seed 10: a pair the plan does not hold
    text, page = _build(root, tmp_path)
    status = _status(text[text.index("## Schedule `paper-whole-ft`"):])
    assert "(30 / 0 / 0 of 30)." in status
    assert "also reads 3 pairs beyond the registered ones" in status
    assert "it is not the registered verdict" in status and "is the registered verdict" not in page
