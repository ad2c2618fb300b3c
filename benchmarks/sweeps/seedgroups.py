"""How a sweep shares a cell's seeds among training processes (``--seeds-per-process``).

A sweep cell group is one algorithm x one dataset; its seeds can train in one process, stacked
(``algos/stacked.py`` via ``curatedrl train --seeds``), each seed still in its own run
directory with its own cell identity. ``seeds_per_process``:

- None (the default): every unfinished seed of a group in one process, for the algorithms that
  stack with their resolved config (bc at transition level and the five baselines); the others
  (the episode-level BC family) fall back to one process per seed.
- 1: one process per seed, as before stacking existed.
- N > 1: the unfinished seeds of each group in processes of at most N seeds. An explicit N > 1 is
  a request to stack: a sweep whose cells include an algorithm that cannot stack is refused
  (pass --seeds-per-process 1, drop the option to let those fall back, or sweep them apart).

Refused, with nothing written: N < 1, N larger than the seeds asked for, an explicit N > 1 with
an algorithm that cannot stack.
"""

from __future__ import annotations

from typing import Any, Sequence

from curatedrl.algos.stacked import stack_problem
from curatedrl.errors import CuratedRLError


def check(seeds_per_process: int | None, cells: Sequence[Any], cfgs: dict[Any, Any]) -> None:
    """Refuse a bad ``--seeds-per-process`` for these cells (``cfgs``: cell -> its config)."""
    if seeds_per_process is None:
        return
    asked = len({c.seed for c in cells})
    if seeds_per_process < 1:
        raise CuratedRLError(f"--seeds-per-process must be >= 1 (1: one process per seed; "
                             f"leave it out for all seeds of a cell), got {seeds_per_process}")
    if seeds_per_process > asked:
        raise CuratedRLError(f"--seeds-per-process {seeds_per_process} is more than the "
                             f"{asked} seed(s) asked for (--seeds); pass at most {asked}")
    if seeds_per_process == 1:
        return
    refused = sorted({c.algo for c in cells if stack_problem(c.algo, cfgs[c]) is not None})
    if refused:
        why = stack_problem(refused[0], cfgs[next(c for c in cells if c.algo == refused[0])])
        raise CuratedRLError(f"--seeds-per-process {seeds_per_process} asks to stack seeds, "
                             f"but {', '.join(refused)} cannot ({why}); leave the option out "
                             f"(those train one seed per process) or sweep them apart")


def groups(todo: Sequence[Any], seeds_per_process: int | None, cfgs: dict[Any, Any]
           ) -> list[list[Any]]:
    """The processes to run: lists of cells (seeds of one algorithm x dataset), in sweep order."""
    by_cell: dict[tuple[str, str, str | None], list[Any]] = {}
    for c in todo:  # the seeds of one algo x dataset (x variant: another config)
        by_cell.setdefault((c.algo, c.dataset, getattr(c, "variant", None)), []).append(c)
    out: list[list[Any]] = []
    for cells in by_cell.values():
        n = seeds_per_process or len(cells)
        if n == 1 or stack_problem(cells[0].algo, cfgs[cells[0]]) is not None:
            out.extend([c] for c in cells)
        else:
            out.extend(cells[i:i + n] for i in range(0, len(cells), n))
    return out
