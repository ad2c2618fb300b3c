"""What the README's screenshots of the leaderboard page were taken of: a hash of the page's
*renderer*, the source files that decide how the page and its plots look (``RENDERER``: the
modules that write its HTML and PNGs, and the site's style and script), recorded beside the
screenshots in docs/leaderboard/screenshots.json by ``make site-screenshots``.

Results are not part of it: committing new results changes the page's numbers, not its look,
and asks for no new screenshots. A change to the renderer does; tests/test_screenshots.py fails
until ``make site-screenshots`` has taken them again. A new module that writes part of the page
belongs in ``RENDERER`` (or is named ``site_*.py``/``plot_*.py``, which it already covers).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
RENDERER = ("site*.py", "plot*.py", "listing.py", "escaping.py", "site.css", "site.js",
            "headline.py", "views.py", "view_tables.py", "compute_view.py", "compute_plots.py",
            "tuning_view.py", "tuning_plots.py", "shown.py", "registered.py",
            "registered_view.py")
RECORD = HERE.parents[1] / "docs" / "leaderboard" / "screenshots.json"
REMAKE = "run `make site-screenshots` (needs chromium and chromium-driver) and commit " \
    "docs/leaderboard/screenshot-*.png and screenshots.json"


def renderer_files(folder: Path = HERE) -> list[Path]:
    return sorted({p for pattern in RENDERER for p in folder.glob(pattern) if p.is_file()})


def renderer_hash(folder: Path = HERE) -> str:
    """SHA-256 over each renderer file's name and bytes, in name order."""
    digest = hashlib.sha256()
    for path in renderer_files(folder):
        data = path.read_bytes()
        digest.update(f"{path.name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def write_record(screenshots: dict[str, tuple[int, int]], path: Path = RECORD,
                 folder: Path = HERE) -> None:
    """Record the renderer the screenshots ({file name: (width, height)}) were taken of."""
    record = {"renderer_sha256": renderer_hash(folder),
              "renderer_files": [p.name for p in renderer_files(folder)],
              "screenshots": {name: {"width": w, "height": h}
                              for name, (w, h) in sorted(screenshots.items())}}
    path.write_text(json.dumps(record, indent=2) + "\n")


def stale_reason(path: Path = RECORD, folder: Path = HERE) -> str | None:
    """None when the screenshots were taken of the current renderer, else one line that says
    why not and how to take them again."""
    try:
        recorded = json.loads(path.read_text()).get("renderer_sha256")
    except (OSError, ValueError, AttributeError) as exc:
        return f"{path.name} cannot be read ({exc}): {REMAKE}"
    if recorded != renderer_hash(folder):
        return (f"the leaderboard page's renderer changed since its screenshots were taken "
                f"({path.name} records {str(recorded)[:12]}, the renderer is now "
                f"{renderer_hash(folder)[:12]}): {REMAKE}")
    return None
