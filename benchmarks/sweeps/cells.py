"""What a sweep cell is, and whether a run directory (or an exported results folder) holds it.

A cell is identified by the config its run would record in ``config.yaml``: the algorithm's full
resolved config (schedule, per-dataset file and ``--set`` values applied), the dataset by the name
every machine gives it (a D4RL file by its file name, not its folder: ``ids.canonical_name``), its
content hash, and what its scores are measured against (evaluation env and reference returns:
``envs.EVAL_KEYS``; results written before these were recorded count as recorded with what the
manifest, or for other data the data's metadata, gives today: ``recorded_before``)
(``runstate.resolved_config``). A folder counts as that cell finished only when its
``config.yaml`` equals that config (the git commit, ``checkpoint_every``, and for a finished
run the torch thread count and the device, aside) and its ``final.json`` is a valid finished
record. The thread count and the device are how a run was executed, not what it is: they change
float reductions (so a *resumed* run must keep them, and an unfinished run directory with another
value is still "changed"), but a finished run with 1 or 2 threads, or on cpu or cuda, is the same
cell's draw (final.json records both), so a sweep with ``--threads 2`` skips committed results made
with ``--threads 1`` (and the reverse) and the leaderboard's reproduce commands need no thread
count to recognise them.

States: ``finished``; ``failed`` (a failure record of the same config: a non-finite training
metric stopped the run; on CPU the same config fails again at the same step, so a sweep runs it
again, from its last checkpoint, only when asked: ``--retry-failed``; a failure record in the
results tree counts the same under ``--skip-exported``); ``partial`` (same config, no record: a
killed or crashed run resumes); ``pending``; ``changed`` (another config or other data) and
``damaged`` (an unreadable or ill-typed file): both never count as finished; the sweep moves such
a run directory aside and trains the cell anew.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from curatedrl.datasets.ids import canonical_name
from curatedrl.envs import EVAL_KEYS
from curatedrl.run.records.checkpoint import config_differences
from curatedrl.run.records.rundir import read_json_object, read_yaml
from curatedrl.run.safety.schema import config_problem, final_problem
from curatedrl.errors import CuratedRLError

# How a run executed, not what it is: a finished run with another value is the same cell.
EXECUTION_KEYS = ("threads", "device")
REPLACED_DIR = ".replaced"  # under <root>/<schedule>/: run directories of changed cells


def data_hashes(datasets: list[str]
                ) -> dict[str, tuple[str | None, str, dict[str, Any] | None]]:
    """{dataset: (content hash, where it comes from, what its scores are measured against
    (``envs.evaluation_record``))}. Local data is loaded and hashed; a suite dataset not
    generated here yet is compared by the committed manifest's hash, evaluation env and
    reference returns; other data that is not here by nothing (None)."""
    from curatedrl.datasets import load
    from curatedrl.datasets.manifest import expected_evaluation, expected_hash
    from curatedrl.datasets.minari_io import local_dataset_ids
    from curatedrl.envs import evaluation_record

    local = set(local_dataset_ids())
    out = {}
    for ds in dict.fromkeys(datasets):
        if ds in local or Path(ds).is_file():
            data = load(ds)
            out[ds] = (data.content_hash, "local data", evaluation_record(data.metadata))
        else:
            h = expected_hash(ds)
            out[ds] = (h, "from the manifest: not generated here yet" if h else
                       "not generated here yet and not in a manifest: not compared",
                       expected_evaluation(ds) if h else None)
    return out


def recorded_before(dataset: str, evaluation: dict[str, Any] | None) -> dict[str, Any]:
    """What a results folder written before config.yaml recorded the evaluation (``EVAL_KEYS``)
    was scored against, as far as is known today: for the project's datasets the manifest's
    evaluation env and reference returns (so a dataset whose metadata changed since is another
    cell), for other data the data's own metadata now. ``cell_state``'s ``defaults``."""
    from curatedrl.datasets.manifest import expected_evaluation

    return expected_evaluation(dataset) or dict(evaluation or {})


def _earlier(old: dict[str, Any], expected: dict[str, Any]) -> bool:
    """``old`` was trained on an earlier generation of the manifest dataset ``expected`` uses
    (the manifest's ``earlier_hashes``): not done, since the leaderboard lists such runs apart
    (``admission.EARLIER_BYTES``); its rerun on the current bytes replaces it."""
    from curatedrl.datasets.manifest import earlier_hashes, expected_hash

    did = str(expected.get("dataset"))
    return (expected.get("dataset_hash") == expected_hash(did)
            and old.get("dataset_hash") in earlier_hashes(did))


def _threads_of(final: dict[str, Any] | None) -> int | None:
    match = re.search(r"torch threads (\d+)", str((final or {}).get("hardware", "")))
    return (final or {}).get("threads") or (int(match.group(1)) if match else None)


def read_final(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """(final.json's record, None) when it is a valid finished or failed record
    (``schema.final_problem``), else (None or the object, its problem)."""
    final, problem = read_json_object(Path(path))
    return final, problem or final_problem(final, scores_required=False)


def cell_state(folder: Path, expected: dict[str, Any], defaults: dict[str, Any] | None = None
               ) -> tuple[str, str]:
    """(state, why) of a run directory or exported results folder for the cell ``expected``.

    A key that ``folder``'s config.yaml lacks (a config field added since it was written) counts
    as its default (``defaults``), so as equal when ``expected`` holds that default: fields are
    added with the default that keeps the old behaviour. A ``dataset_hash`` of None in
    ``expected`` (the data is not here and no manifest names it) is not compared, nor is the
    evaluation then; a run on one of the manifest's ``earlier_hashes`` is ``changed`` (its rerun
    on the current bytes replaces it, as the leaderboard lists it apart). A D4RL file's path in
    an older config.yaml counts as its name."""
    folder = Path(folder)
    final_path, config_path = folder / "final.json", folder / "config.yaml"
    final = None
    if final_path.exists():
        final, problem = read_final(final_path)
        if problem is not None:
            return "damaged", f"final.json is damaged: {problem}"
    if config_path.exists():
        try:
            old = read_yaml(config_path)
            problem = config_problem(old)
        except CuratedRLError as exc:
            old, problem = {}, str(exc)
        if problem is not None:
            return "damaged", f"config.yaml is damaged: {problem}"
        if "threads" not in old:
            old = {**old, "threads": _threads_of(final) or expected.get("threads")}
        old["dataset"] = canonical_name(old["dataset"])  # D4RL: its name, not its old path
        for key, value in (defaults or {}).items():
            old.setdefault(key, value)  # a field added since: the value it had then
        if expected.get("dataset_hash") is None:  # the data is not here: nothing to compare
            old = {k: v for k, v in old.items() if k not in EVAL_KEYS}
            old.update({k: expected.get(k) for k in ("dataset_hash", *EVAL_KEYS)
                        if k in expected})
        elif _earlier(old, expected):
            return "changed", (f"trained on an earlier generation of its data (hash "
                               f"{old.get('dataset_hash')}; now {expected.get('dataset_hash')}): "
                               f"rerun on the current bytes")
        diff = config_differences(old, expected)
        if final is not None and final["status"] == "finished":
            diff = [d for d in diff if d.split(":", 1)[0] not in EXECUTION_KEYS]
        if diff:
            return "changed", "config changed: " + "; ".join(diff)
    elif final is not None:
        return "damaged", "final.json without config.yaml"
    if final is not None:
        if final["status"] == "finished":
            threads = old.get("threads") if config_path.exists() else None
            other = (f" (trained with {threads} torch threads)"
                     if threads is not None and threads != expected.get("threads") else "")
            return "finished", f"finished with this config{other}"
        return "failed", f"failed at step {final.get('failed_step')}"
    if folder.exists():
        return "partial", "started; resumes from its last checkpoint"
    return "pending", "not started"


def move_aside(run_dir: Path, base: Path, name: str) -> Path:
    """Move a changed or damaged run directory to ``base/.replaced/<name>-<time>-<pid>``."""
    dest = base / REPLACED_DIR / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(run_dir, dest)
    return dest


def plan(cells, schedule, base, results, skip_exported, expected, hashes, backend, workers,
         dry_run=False, defaults=None, table=None, retry_failed=False):
    """Each cell's (state, why), the summary line, and the todo list. ``table``: the results
    folder the cells export to (``<schedule>/<source>``, or another name for the schedule).
    A cell whose run (or, with ``skip_exported``, whose exported folder) is a failure record of
    the same config is not run again unless ``retry_failed``: out["failed_before"]."""
    defaults = defaults or {}
    table = table or f"{schedule['name']}/curatedrl"
    state = {c: cell_state(base / c.name, expected[c], defaults.get(c)) for c in cells}
    if skip_exported:
        for c in cells:
            if state[c][0] != "finished":
                exp = cell_state(Path(results) / table / c.name, expected[c],
                                 defaults.get(c))
                if exp[0] == "finished":
                    state[c] = ("exported", f"in {results}")
                elif exp[0] == "failed" and state[c][0] == "pending":
                    state[c] = ("failed", f"in {results}: {exp[1]}")
                elif exp[0] != "pending":
                    state[c] = (state[c][0], f"{state[c][1]}; in {results}: {exp[1]}")
    skipped = [c for c in cells if state[c][0] == "finished"]
    exported = [c for c in cells if state[c][0] == "exported"]
    failed_before = [] if retry_failed else [c for c in cells if state[c][0] == "failed"]
    todo = [c for c in cells if state[c][0] not in ("finished", "exported")
            and c not in failed_before]
    in_results = f", {len(exported)} already in {results}" if skip_exported else ""
    not_again = (f", {len(failed_before)} failed before (failure records; not run again, "
                 f"--retry-failed runs them)" if failed_before else "")
    print(f"sweep: {len(cells)} cells, {len(skipped)} already finished{in_results}{not_again}, "
          f"{len(todo)} to run (schedule {schedule['name']}, backend {backend}, "
          f"{workers} workers)")
    if todo:
        print("  " + time_estimate(todo, results, table, workers, schedule.get("estimate_from"),
                                   {c: expected[c].get("steps") for c in todo}))
    for line in replace_warning(todo, results, table, skip_exported, state):
        print(line)
    if dry_run:
        for c in todo:
            print(f"  would run {c.name} ({state[c][0]}: {state[c][1]})")
        for ds, (h, source, _) in hashes.items():
            print(f"  data {ds}: content hash {h} ({source})")
    return state, {"finished": [], "skipped": skipped, "exported": exported, "failed": [],
                   "failed_before": failed_before, "todo": todo, "refused": []}


def _mean_seconds(folder: Path) -> tuple[float, float] | None:
    """(mean run wall time (``budget.run_seconds``), mean gradient steps) of the finished runs
    in ``folder/seed*``, or None without any."""
    from curatedrl.benchmarks.leaderboard.results import Run
    from curatedrl.benchmarks.leaderboard.budget import run_seconds

    times, steps = [], []
    for path in sorted(folder.glob("seed*/final.json")):
        final, problem = read_json_object(path)
        if problem is None and final.get("status") == "finished" and final.get("wall_time_s"):
            times.append(run_seconds(Run(folder.name, final)))
            steps.append(float(final.get("steps") or 0))
    return (sum(times) / len(times), sum(steps) / len(steps)) if times else None


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{seconds / 60:.0f} min"


def _cell_seconds(c, results: Path, table: str, other: str | None,
                  steps: int | None) -> tuple[float | None, bool]:
    """(estimated run seconds of cell ``c``, whether they come from schedule ``other``'s
    table): the mean its own folder recorded, else (a variant) its algo x dataset's default
    cell in the same table, else that algo x dataset in ``other``'s table, scaled by the ratio
    of gradient steps (``steps``: the cell's)."""
    default = f"{c.algo}/{c.name.split('/')[1]}"
    for folder in dict.fromkeys((c.group, default)):
        found = _mean_seconds(Path(results) / table / folder)
        if found is not None:
            return found[0], False
    if other is None:
        return None, False
    found = _mean_seconds(Path(results) / other / default)
    if found is None:
        return None, False
    seconds, recorded = found
    return seconds * (steps / recorded if steps and recorded else 1.0), True


def time_estimate(todo, results, table, workers, estimate_from: str | None = None,
                  steps: dict | None = None) -> str:
    """One line: the run time of ``todo`` from the wall times the results tree records for the
    same cells (their mean per run; a variant without its own: its default cell's; machines
    differ, so an estimate), else from schedule ``estimate_from``'s table for the same algo x
    dataset scaled by gradient steps (``steps``: cell -> its steps), or "unknown"."""
    if results is None:
        return "time estimate: unknown (no results tree to read recorded wall times from)"
    other = None
    if estimate_from:
        other = f"{estimate_from}/{table.split('/', 1)[1]}" if "/" in table else estimate_from
    known = [_cell_seconds(c, results, table, other, (steps or {}).get(c)) for c in todo]
    total = sum(t for t, _ in known if t is not None)
    unknown = sum(t is None for t, _ in known)
    borrowed = sum(b for _, b in known)
    where = Path(results) / table
    if unknown == len(todo):
        return (f"time estimate: unknown (no finished runs of these algo x dataset pairs in "
                f"{where}{f' or {Path(results) / other}' if other else ''} to take their "
                f"recorded wall times from)")
    rest = (f"; unknown for the other {unknown} cells (no finished runs of their algo x dataset "
            f"in {where})" if unknown else "")
    if borrowed == len(todo) - unknown:
        source = (f"{Path(results) / other} (none of these cells has results in {where} "
                  f"yet), scaled by the ratio of gradient steps")
    else:
        source = f"{where}" + (f"; {borrowed} of them from {Path(results) / other}, scaled by "
                               f"the ratio of gradient steps" if borrowed else "")
    return (f"time estimate: {_duration(total)} of run time for {len(todo) - unknown} cells, "
            f"~{_duration(total / workers)} on {workers} workers (the mean wall time each "
            f"algo x dataset recorded in {source}, on the machine that ran it){rest}")


def replace_warning(todo, results, table, skip_exported, state=None) -> list[str]:
    """Lines warning that cells to run will replace results the tree already holds (``state``:
    each cell's (state, why) from ``plan``, to count those on earlier data bytes)."""
    if results is None:
        return []
    held = [c for c in todo if (Path(results) / table / c.name / "final.json").exists()]
    if not held:
        return []
    where = Path(results) / table
    if not skip_exported:
        return [f"  WARNING: {len(held)} of the {len(todo)} cells to run already have results "
                f"in {where} (committed results on a fresh clone); training them again "
                f"REPLACES those files. Add --skip-exported to keep them and run only the "
                f"cells the results lack."]
    whys = [(state or {}).get(c, ("", ""))[1] for c in held]
    earlier = sum("earlier generation of its data" in w for w in whys)
    failed = sum("failed at step" in w for w in whys)
    parts = [f"{earlier} trained on an earlier generation of their data, rerun on the "
             f"current bytes"] if earlier else []
    parts += [f"{failed} failed (a non-finite training metric: failure records), run again "
              f"(--retry-failed)"] if failed else []
    other = len(held) - earlier - failed
    parts += [f"{other} made with another config or other data"] if other else []
    why = "; ".join(parts)
    return [f"  note: {len(held)} of the cells to run have results in {where} ({why}); their "
            f"new results will replace those files (the old ones stay in git history)."]
