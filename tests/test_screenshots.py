"""The README's screenshots of the leaderboard page show the current page: the hash of the
page's renderer (benchmarks/leaderboard/renderer.py) recorded beside them when they were taken
is the hash of the renderer now. New results change no screenshot; a new look does. No
Chromium needed."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image

from curatedrl.benchmarks.leaderboard import renderer
from curatedrl.benchmarks.leaderboard.renderer import RECORD, renderer_files, stale_reason, \
    write_record

MAX_BYTES = 300_000


def test_screenshots_were_taken_of_the_current_renderer():
    reason = stale_reason()
    assert reason is None, reason


def test_screenshots_are_small_and_as_recorded():
    import json

    shots = json.loads(RECORD.read_text())["screenshots"]
    assert set(shots) == {"screenshot-desktop.png", "screenshot-phone.png"}
    for name, size in shots.items():
        path = RECORD.parent / name
        assert path.stat().st_size < MAX_BYTES, f"{name}: {path.stat().st_size} bytes"
        assert Image.open(path).size == (size["width"], size["height"]), name


def _renderer_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "leaderboard"
    shutil.copytree(renderer.HERE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_a_new_look_asks_for_new_screenshots_and_new_results_do_not(tmp_path):
    folder = _renderer_copy(tmp_path)
    record = tmp_path / "screenshots.json"
    write_record({"screenshot-desktop.png": (1400, 1000)}, record, folder)
    assert stale_reason(record, folder) is None
    names = [p.name for p in renderer_files(folder)]
    assert {"site.py", "site.css", "site.js", "plots.py"} <= set(names)
    (folder / "sections.py").write_text("# the numbers, not the look\n")  # not the renderer
    assert stale_reason(record, folder) is None
    with (folder / "site.css").open("a") as f:
        f.write("body { color: red; }\n")
    reason = stale_reason(record, folder)
    assert reason is not None and "`make site-screenshots`" in reason
    (record).write_text("not json")
    assert "`make site-screenshots`" in stale_reason(record, folder)
