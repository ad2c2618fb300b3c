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


def module_name(rel: Path) -> str:
    """``datasets/suite.py`` → ``datasets.suite``; a package's ``__init__.py`` → the package."""
    parts = rel.with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_graph(root: Path = ROOT) -> dict[str, dict[str, str]]:
    """module → {imported module: 'file:line'} for every import of a ``curatedrl`` module (module
    level and lazy). ``from curatedrl.X import name`` imports the module ``X.name`` where that is
    a module, else ``X`` itself."""
    files = sorted(p for p in root.rglob("*.py")
                   if p.relative_to(root).parts[0] not in ("tests", ".venv", "build"))
    modules = {module_name(p.relative_to(root)) for p in files}
    graph: dict[str, dict[str, str]] = {}
    for path in files:
        src = module_name(path.relative_to(root))
        out = graph.setdefault(src, {})
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("curatedrl"):
                names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}"[10:] in modules
                         else node.module for a in node.names]
            else:
                continue
            for name in names:
                if name.startswith("curatedrl.") and name[10:] != src:
                    out.setdefault(name[10:], f"{path.relative_to(root)}:{node.lineno}")
    return graph


def find_cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """One cycle (as a closed path of modules) through each group of modules that import each
    other, directly or around a loop; [] when the imports form a tree (a DAG)."""
    done: set[str] = set()
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycle = path[path.index(nxt):] + [nxt]
                if not set(cycle) & done:
                    cycles.append(cycle)
                    done.update(cycle)
            elif nxt not in seen:
                seen.add(nxt)
                visit(nxt, path + [nxt])

    for start in sorted(graph):
        seen = {start}
        visit(start, [start])
    return cycles


def test_no_cycles_between_modules_inside_a_package():
    graph = module_graph()
    cycles = find_cycles(graph)
    assert cycles == [], "\n".join(
        " → ".join(c) + " (" + ", ".join(graph[a][b] for a, b in zip(c, c[1:])) + ")"
        for c in cycles)


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b": ""}, "b": {"c": ""}, "c": {}}, []),
    ({"a": {"b": ""}, "b": {"a": ""}}, [["a", "b", "a"]]),
    ({"x": {"a": ""}, "a": {"b": ""}, "b": {"c": ""}, "c": {"a": ""}}, [["a", "b", "c", "a"]]),
])
def test_cycles_are_found(graph, expected):
    assert find_cycles(graph) == expected


def test_the_module_reader_sees_lazy_imports_and_modules_named_in_from(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from curatedrl.pkg.a import f\n")
    (tmp_path / "pkg" / "a.py").write_text("def f():\n    from curatedrl.pkg import b\n")
    (tmp_path / "pkg" / "b.py").write_text("from curatedrl.pkg.a import f\nimport numpy\n")
    graph = module_graph(tmp_path)
    assert {m: set(d) for m, d in graph.items()} == {
        "pkg": {"pkg.a"}, "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.a"}}
    assert find_cycles(graph) == [["pkg.a", "pkg.b", "pkg.a"]]


# Inside a folder with subfolders, the same rule, top to bottom; the folder's own modules
# (benchmarks/tables.py) sit below its subfolders.
SUBLAYERS = {"benchmarks": ["speed", "sweeps", "leaderboard", "suites"],
             "run": ["loop", "records", "safety"]}


def test_no_import_climbs_a_subfolder():
    climbs = []
    for src, imported in module_graph().items():
        for dst, where in imported.items():
            top = src.split(".")[0]
            if top not in SUBLAYERS or dst.split(".")[0] != top:
                continue
            order = SUBLAYERS[top]

            def rank(module: str) -> int:
                parts = module.split(".")
                sub = parts[1] if len(parts) > 2 else None  # None: the folder's own module
                assert sub is None or sub in order, f"add {top}/{sub}/ to SUBLAYERS"
                return len(order) - order.index(sub) if sub else 0

            if rank(dst) > rank(src):
                climbs.append(f"{where}: {src} imports {dst}")
    assert climbs == [], "\n".join(climbs)


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
