"""The leaderboard page reads at any width (headless Chromium, as tests/test_site.py): at 1400 px
every table fits its box; at 420 px (a phone) whatever is wider than the screen sits in a scroll
box and the page itself never scrolls sideways; every figure links to its full-resolution PNG
and keeps a legible size on a phone; no Markdown backtick shows as text; the runs kept out of
the tables are grouped by reason inside a closed <details>."""

from __future__ import annotations

import time

import pytest

from tests.test_site import _driver, _site

# Per visible element wider than its room: its tag and id, and whether a scroll box (overflow-x
# auto or scroll, itself inside the window) holds it.
_OVERFLOW = """
const width = document.documentElement.clientWidth, out = [];
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (!r.width || r.right <= width + 0.5) continue;
  let box = el.parentElement, held = false;
  while (box && box !== document.body) {
    const o = getComputedStyle(box).overflowX;
    if ((o === 'auto' || o === 'scroll') && box.getBoundingClientRect().right <= width + 0.5) {
      held = true; break; }
    box = box.parentElement;
  }
  out.push([el.tagName + '#' + el.id + '.' + el.className, held]);
}
return out;
"""
_TABLES = """
return Array.from(document.querySelectorAll('main table')).map(t =>
  [t.id || t.className, t.getBoundingClientRect().width, t.parentElement.clientWidth]);
"""
_FIGURES = """
return Array.from(document.querySelectorAll('figure img')).map(img =>
  [img.getAttribute('src'), img.closest('a') && img.closest('a').getAttribute('href'),
   img.getBoundingClientRect().width, img.naturalWidth, img.complete, img.className]);
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    return _site(tmp_path_factory.mktemp("layout"))


def _open(page, width: int, phone: bool = False):
    browser = _driver(width, 900, phone=phone)
    browser.get(page.as_uri())
    browser.execute_script(  # the lazy images, now: their sizes count
        "document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; });")
    for _ in range(100):
        if all(f[4] for f in browser.execute_script(_FIGURES)):
            break
        time.sleep(0.1)
    return browser


def test_every_table_fits_its_box_at_1400_px(page):
    browser = _open(page, 1400)
    try:
        tables = browser.execute_script(_TABLES)
        assert len(tables) >= 12
        wide = [(name, round(w), box) for name, w, box in tables if w > box + 0.5]
        assert not wide, f"tables wider than their box at 1400 px: {wide}"
        assert browser.execute_script("return document.documentElement.scrollWidth") <= 1400
        assert not browser.execute_script(_OVERFLOW)
    finally:
        browser.quit()


def test_at_420_px_only_scroll_boxes_overflow_and_figures_stay_legible(page):
    browser = _open(page, 420, phone=True)
    try:
        assert browser.execute_script("return document.documentElement.scrollWidth") <= 420
        overflowing = browser.execute_script(_OVERFLOW)
        assert overflowing, "the score tables are wider than a phone: they scroll in boxes"
        loose = [name for name, held in overflowing if not held]
        assert not loose, f"clipped at 420 px without a scroll box: {loose}"
        figures = browser.execute_script(_FIGURES)
        assert figures
        for src, href, shown, natural, complete, kind in figures:
            assert href == src, f"{src}: not linked to its full-resolution PNG"
            assert complete and natural > 0, f"{src} did not load"
            assert shown >= min(natural, 900 if kind == "grid" else 600), (src, shown)
        grids = [f for f in figures if f[5] == "grid"]
        assert grids and all(f[2] >= 900 for f in grids)  # 300 px a panel of the 3x3 grids
    finally:
        browser.quit()


def test_no_markdown_backtick_shows_and_kept_out_runs_are_grouped(page):
    browser = _open(page, 1400)
    try:
        text = browser.execute_script("return document.body.innerText")
        assert "`" not in text, text[max(0, text.index("`") - 80):text.index("`") + 80]
        assert browser.find_elements("css selector", "p code")  # the spans, as <code>
        groups = browser.find_elements("css selector", "details.listed")
        assert groups and not any(g.get_attribute("open") for g in groups)
        summary = groups[0].find_element("css selector", "summary").text
        assert "runs kept out" in summary and "reason" in summary
        rows = groups[0].find_elements("css selector", "tbody tr")
        assert len(rows) < int(summary.split()[0])  # fewer lines than runs
    finally:
        browser.quit()
