"""Every relative link and image of README.md, CONTRIBUTING.md and docs/*.md names a file or
folder of the repository (a renamed folder leaves no dead link behind)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = ["README.md", "CONTRIBUTING.md"] + sorted(
    p.relative_to(REPO).as_posix() for p in (REPO / "docs").glob("*.md"))
# [text](target) and ![alt](target), and src="..." / href="..." in inline HTML
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
                  r"|(?:src|href)=\"([^\"]+)\"")


def relative_links(text: str) -> list[str]:
    found = [m.group(1) or m.group(2) for m in LINK.finditer(text)]
    return [u for u in found if not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:|#", u)]


def test_link_pattern_reads_links_images_and_html():
    text = ('see [a](docs/a.md#x), ![b](b.png "t"), <img src="c.png">, [web](https://x.org), '
            "[anchor](#top)")
    assert relative_links(text) == ["docs/a.md#x", "b.png", "c.png"]


@pytest.mark.parametrize("doc", DOCS)
def test_every_relative_link_and_image_exists(doc):
    path = REPO / doc
    missing = [u for u in relative_links(path.read_text(encoding="utf-8"))
               if not (path.parent / u.split("#")[0]).exists()]
    assert not missing, f"{doc} links to paths that do not exist: {missing}"
