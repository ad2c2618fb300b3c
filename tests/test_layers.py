"""Imports point down the layers: cli → benchmarks → run → algos → datasets → envs → root
modules.

Every ``import curatedrl.X`` / ``from curatedrl.X import ...`` in the package is read with
``ast`` — at module level and inside functions alike (a lazy import is still a dependency) — and
must name a module of the same layer or a lower one. The top-level folders must also import each
other without a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Top to bottom; a module may import its own layer or any layer below it.
LAYERS = [
    ("cli", {"cli"}),
    ("benchmarks", {"benchmarks"}),
    ("run", {"run"}),
    ("algos", {"algos"}),
    ("datasets", {"datasets"}),
    ("envs", {"envs"}),
    ("root", {"errors", "provenance", "fileio", "constants", "__init__"}),
]
RANK = {unit: len(LAYERS) - i for i, (_, units) in enumerate(LAYERS) for unit in units}
LAYER_NAME = {unit: name for name, units in LAYERS for unit in units}


def unit_of(parts: tuple[str, ...]) -> str:
    """The top-level folder or root module (without ``.py``) a module path belongs to."""
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def package_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py")
                  if p.relative_to(ROOT).parts[0] not in ("tests", ".venv", "build"))


def curatedrl_imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported unit) for every import of a ``curatedrl`` module in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import; import as curatedrl.X"
            if node.module == "curatedrl":
                names = [f"curatedrl.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "curatedrl" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def edges() -> list[tuple[str, str, str]]:
    """(importing unit, imported unit, 'file:line') for every cross-unit import."""
    out = []
    for path in package_files():
        src = unit_of(path.relative_to(ROOT).parts)
        for line, dst in curatedrl_imports(path):
            if dst != src:
                out.append((src, dst, f"{path.relative_to(ROOT)}:{line}"))
    return out


def test_every_module_belongs_to_a_layer():
    units = {unit_of(p.relative_to(ROOT).parts) for p in package_files()}
    assert units - set(RANK) == set(), "add the new folder or root module to LAYERS"
    assert {dst for _, dst, _ in edges()} - set(RANK) == set()


def test_no_import_climbs_a_layer():
    climbs = [f"{where}: {LAYER_NAME[src]} imports {LAYER_NAME[dst]} ({dst})"
              for src, dst, where in edges() if RANK[dst] > RANK[src]]
    assert climbs == [], "\n".join(climbs)


def test_no_cycles_between_top_level_folders():
    graph: dict[str, set[str]] = {}
    for src, dst, _ in edges():
        graph.setdefault(src, set()).add(dst)
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif len(path) < len(RANK):
                visit(nxt, path + [nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert cycles == [], "\n".join(" → ".join(c) for c in cycles)


@pytest.mark.parametrize("source, expected", [
    ("import curatedrl.benchmarks.speed.bench\n", [(1, "benchmarks")]),
    ("def f():\n    from curatedrl.datasets.episodes import X\n", [(2, "datasets")]),
    ("from curatedrl import errors, envs\nimport numpy\n", [(1, "errors"), (1, "envs")]),
])
def test_the_reader_sees_module_level_and_lazy_imports(tmp_path, source, expected):
    path = tmp_path / "m.py"
    path.write_text(source)
    assert curatedrl_imports(path) == expected
