"""The leaderboard site: rebuilt byte for byte from results/, and used in a real browser
(headless Chromium driven by Selenium): sort by a column, open a cell, see every algorithm and
dataset. Without Chromium the browser test skips, except under CI (CI set), where it fails.

``CURATEDRL_WRITE_SCREENSHOTS=1`` (``make site-screenshots``) also rewrites the README's
screenshots docs/leaderboard/screenshot-{desktop,phone}.png (1400 and 420 px wide) and records
the hash of the page's renderer beside them (docs/leaderboard/screenshots.json;
tests/test_screenshots.py checks it).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from curatedrl.algos import ALGOS
from curatedrl.datasets.ids import dataset_slug
from curatedrl.benchmarks.leaderboard.leaderboard import build
from curatedrl.benchmarks.leaderboard.sections import build_sections, suite_datasets

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "docs" / "leaderboard"
WIDTHS = {"desktop": (1400, 1000), "phone": (420, 900)}


def _site(tmp_path: Path) -> Path:
    """The committed results' site in a fresh folder, with the committed plots beside it."""
    out = tmp_path / "site"
    build(REPO / "results", tmp_path / "LEADERBOARD.md", out, draw=False, site=True)
    for png in SITE.glob("*.png"):
        shutil.copy(png, out / png.name)
    return out / "index.html"


def test_committed_site_is_rebuilt_byte_identical(tmp_path):
    page = _site(tmp_path)
    assert page.read_text() == (SITE / "index.html").read_text(), \
        "docs/leaderboard/index.html is stale: run `make leaderboard`"
    text = page.read_text()
    assert "http://" not in text and "https://" not in text  # nothing from the network


def _driver(width: int, height: int, phone: bool = False):
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        chromium = None
    if not (chromium and driver):
        reason = ("needs Debian's chromium and chromium-driver (apt-get install chromium "
                  "chromium-driver) and selenium (the dev extra)")
        if os.environ.get("CI"):
            pytest.fail(f"CI: the browser test {reason}")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--hide-scrollbars"):
        options.add_argument(arg)
    if phone:  # a window cannot be narrower than ~500 px: emulate the phone's viewport
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {
            "width": width, "height": height, "pixelRatio": 1.0}})
    return webdriver.Chrome(service=Service(driver), options=options)


TABLE = "baselines-30k-last"  # a section table with runs on the current data bytes
WITH_RUNS = 'tbody td[data-cell]:not([data-sort=""])'  # cells that have runs to open


def _rows(browser, table_id: str) -> list[str]:
    return [th.text for th in browser.find_elements(
        "css selector", f"#{table_id} tbody th[scope=row]")]


def _shown(section: str) -> tuple[list[str], list[str]]:
    """The algorithms and dataset slugs with averaged runs in a section of the committed
    results, in registry and suite order: what its tables show."""
    sec = next(s for s in build_sections(REPO / "results", draw=False) if s.slug == section)
    return ([a for a in ALGOS if any(r.algo == a for r in sec.runs)],
            [dataset_slug(d) for d in sec.datasets if any(r.dataset == d for r in sec.runs)])


def test_page_sorts_opens_cells_and_names_every_algorithm_and_dataset(tmp_path):
    page = _site(tmp_path)
    algos, datasets = _shown(TABLE.removesuffix("-last"))
    browser = _driver(*WIDTHS["desktop"])
    try:
        browser.get(page.as_uri())
        headers = [th.text for th in browser.find_elements("css selector", f"#{TABLE} thead th")]
        assert headers[1:] == algos
        before = _rows(browser, TABLE)
        assert before == datasets
        column = 1 + algos.index("td3_bc")

        def key(row):
            raw = row.find_elements("css selector", "td")[column - 1].get_attribute("data-sort")
            return None if raw == "" else float(raw)
        keys = {row.find_element("css selector", "th").text: key(row)
                for row in browser.find_elements("css selector", f"#{TABLE} tbody tr")}
        scored = [d for d in before if keys[d] is not None]
        empty = [d for d in before if keys[d] is None]  # cells without results stay last
        assert len(scored) >= 2
        header = browser.find_elements("css selector", f"#{TABLE} thead th")[column]
        _click(browser, header)
        after = _rows(browser, TABLE)
        assert after == sorted(scored, key=lambda d: -keys[d]) + empty and after != before
        assert header.get_attribute("aria-sort") == "descending"
        _click(browser, header)
        assert _rows(browser, TABLE) == sorted(scored, key=lambda d: keys[d]) + empty
        _click(browser, browser.find_elements("css selector", f"#{TABLE} {WITH_RUNS}")[0])
        detail = browser.find_element("id", f"{TABLE}-detail")
        assert detail.is_displayed() and "curatedrl sweep --suite all --schedule baselines-30k" in \
            detail.text and "seed" in detail.text
        body = browser.find_element("tag name", "body").text
        for d in suite_datasets():  # in a table, or named among those left out
            assert dataset_slug(d) in body
        for algo in ALGOS:
            assert algo in body
        assert browser.save_screenshot(str(tmp_path / "leaderboard.png"))
        assert (tmp_path / "leaderboard.png").stat().st_size > 10_000
        if os.environ.get("CURATEDRL_WRITE_SCREENSHOTS"):
            _write_screenshots(page, browser)
    finally:
        browser.quit()


def _click(browser, element, tries: int = 10) -> None:
    """A user's click on ``element``: scrolled to the middle of the window first, and tried again
    while something else still covers it (the page's lazy images shift the layout as they load,
    slowly on a busy machine)."""
    from selenium.common.exceptions import ElementClickInterceptedException

    for attempt in range(tries):
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        try:
            element.click()
            return
        except ElementClickInterceptedException:
            if attempt == tries - 1:
                raise
            time.sleep(0.5)


def _write_screenshots(page: Path, desktop) -> None:
    """The README's screenshots: small palette PNGs of the top of the page, and the renderer
    they show."""
    from PIL import Image

    from curatedrl.benchmarks.leaderboard.renderer import write_record

    sizes = {}
    for name, (width, height) in WIDTHS.items():
        browser = desktop if name == "desktop" else _driver(width, height, phone=True)
        try:
            browser.get(page.as_uri())
            if name == "desktop":  # sorted by td3_bc, one cell's runs open
                table = f"#{TABLE}"
                column = 1 + _shown(TABLE.removesuffix("-last"))[0].index("td3_bc")
                _click(browser, browser.find_elements("css selector", f"{table} thead th")[column])
                _click(browser, browser.find_elements("css selector", f"{table} {WITH_RUNS}")[2])
                browser.execute_script("arguments[0].scrollIntoView({block: 'start'}); "
                                       "window.scrollBy(0, -110);",
                                       browser.find_element("css selector", table))
            shot = SITE / f"screenshot-{name}.png"
            browser.save_screenshot(str(shot))
            img = Image.open(shot).convert("RGB").quantize(colors=64)
            img.save(shot, optimize=True)
            sizes[shot.name] = img.size
        finally:
            if browser is not desktop:
                browser.quit()
    write_record(sizes)


def test_page_shows_the_headline_first_then_tuning_and_compute_views(tmp_path):
    """The views across sections are on the page: the headline table first (one row per
    algorithm with runs, no empty dataset column), each section's tuning-budget view and the
    score-against-compute figures with their table."""
    page = _site(tmp_path)
    browser = _driver(*WIDTHS["desktop"])
    try:
        browser.get(page.as_uri())
        sections = browser.find_elements("css selector", "main > section")
        assert sections[0].get_attribute("id") == "headline"
        rows = browser.find_elements("css selector", "#headline-table tbody tr")
        with_runs = {r.algo for sec in build_sections(REPO / "results", draw=False)
                     if sec.source == "curatedrl" for r in sec.runs}
        assert {r.find_element("css selector", "td b").text for r in rows} == with_runs
        for column in range(1, len(rows[0].find_elements("css selector", "td"))):
            assert any(r.find_elements("css selector", "td")[column].text != "— (0)"
                       for r in rows)
        for sec in sections[1:]:
            if sec.get_attribute("id") not in ("compute", "skipped", "add-your-algorithm") \
                    and not sec.text.count("No run of this section is averaged"):
                assert sec.find_element("css selector", "h3[id$='-tuning']").is_displayed()
        compute = browser.find_element("id", "compute")
        assert compute.find_elements("css selector", "#compute-cost tbody tr")
        images = compute.find_elements("css selector", "figure img")
        assert [i.get_attribute("src").rsplit("/", 1)[-1] for i in images] == \
            [f"compute-{env}.png" for env in ("hopper", "halfcheetah", "walker2d")]
        browser.execute_script("arguments[0].scrollIntoView();", images[0])
        for _ in range(50):  # a lazy image loads once in view
            if browser.execute_script("return arguments[0].naturalWidth", images[0]):
                break
            time.sleep(0.2)
        assert browser.execute_script("return arguments[0].naturalWidth", images[0]) > 0
    finally:
        browser.quit()


def test_on_a_phone_the_headline_keeps_its_algorithm_column_in_view(tmp_path):
    """The headline table is wider than a phone: scrolled sideways, its first column (the
    algorithm and its budget) and that column's header stay at the left edge."""
    page = _site(tmp_path)
    browser = _driver(*WIDTHS["phone"], phone=True)
    try:
        browser.get(page.as_uri())
        box = browser.execute_script(
            "const t = document.getElementById('headline-table'), s = t.closest('.scroll');"
            "t.scrollIntoView(); s.scrollLeft = 400;"
            "const r = c => c.getBoundingClientRect().left;"
            "return [s.scrollLeft, r(s), r(t.querySelector('tbody td')),"
            "        r(t.querySelector('thead th')), r(t.querySelectorAll('tbody td')[1])];")
        scrolled, edge, cell, head, second = box
        assert scrolled > 0  # the table is wider than the phone
        assert abs(cell - edge) <= 1 and abs(head - edge) <= 1
        assert second < edge + 100  # the next column moved under it
    finally:
        browser.quit()
