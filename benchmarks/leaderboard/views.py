"""The views across and within sections that LEADERBOARD.md (``leaderboard.py``) and the site
(``site.py``) add to the section tables: the headline table (``headline.py``), score against
compute (``compute_view.py``), each section's tuning-budget curves (``tuning_view.py``) and a
registered experiment's descriptive figures (``registered_view.py``).
Built once per rebuild from results/ only; the pages call one method per place."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from curatedrl.benchmarks.leaderboard.compute_view import ComputeView, build_compute_view, \
    compute_html, compute_markdown
from curatedrl.benchmarks.leaderboard.headline import headline_html, headline_markdown
from curatedrl.benchmarks.leaderboard.registered_view import RegisteredView, \
    build_registered_view, registered_html, registered_markdown
from curatedrl.benchmarks.leaderboard.tuning_view import TuningView, build_tuning_view, \
    tuning_html, tuning_markdown


@dataclass
class Views:
    sections: list
    compute: ComputeView
    tuning: dict[str, TuningView]  # by section slug
    registered: dict[str, RegisteredView] = field(default_factory=dict)  # by section slug

    def headline_md(self) -> list[str]:
        return headline_markdown(self.sections, self.compute)

    def headline_html(self) -> list[str]:
        return headline_html(self.sections, self.compute)

    def section_md(self, sec, results: Path) -> list[str]:
        return tuning_markdown(sec, self.tuning[sec.slug], results)

    def section_html(self, sec, results: Path) -> list[str]:
        return tuning_html(sec, self.tuning[sec.slug], results)

    def registered_md(self, sec) -> list[str]:
        """After a registered section's claims: its descriptive figures ([] for others)."""
        return registered_markdown(self.registered.get(sec.slug))

    def registered_html(self, sec) -> list[str]:
        return registered_html(self.registered.get(sec.slug))

    def compute_md(self) -> list[str]:
        return compute_markdown(self.compute)

    def compute_html(self) -> list[str]:
        return compute_html(self.compute)


def build_views(sections, every, plot_dir: Path, draw: bool = True) -> Views:
    """The views of ``sections``; ``every``: all runs read (where a cached stage 1's trainer
    is looked for)."""
    registered = {sec.slug: view for sec in sections
                  if (view := build_registered_view(sec, sections)) is not None}
    return Views(sections, build_compute_view(sections, every, plot_dir, draw),
                 {sec.slug: build_tuning_view(sec, plot_dir, draw) for sec in sections},
                 registered)
