"""``curatedrl sweep``: a suite's algo x dataset x seed cells, locally or on Ray."""

from __future__ import annotations

import argparse

from curatedrl.cli.options import add_threads, parse_sets
from curatedrl.errors import CuratedRLError


def seed_spec(text: str) -> int | list[int]:
    """``--seeds`` of a sweep: N (seeds 0..N-1), a list ``9,8,7`` or a range ``5-9``."""
    try:
        if "," in text:
            return [int(s) for s in text.split(",")]
        if "-" in text.strip()[1:]:
            a, b = (int(s) for s in text.split("-", 1))
            if a > b:
                raise ValueError
            return list(range(a, b + 1))
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not N, a list S1,S2,... or a range A-B "
                                         f"(A <= B) of seeds") from None


def _sweep_data(args: argparse.Namespace) -> tuple[str, list[str]]:
    """(data source, the suite's cells mapped to its datasets). The source is ``--data``, else
    the one the ``--dataset`` values belong to; a dataset of another source than ``--data`` is
    refused, and missing data is named (one line each) before any cell starts, unless
    ``--allow-missing``."""
    import os

    from curatedrl.benchmarks.suites import sources

    name = args.data or sources.implied(args.dataset)
    if name == "minari" and args.data_dir:
        os.environ["MINARI_DATASETS_PATH"] = os.path.abspath(os.path.expanduser(args.data_dir))
    resolved = sources.resolve(name, args.suite, args.dataset, args.data_dir)
    sources.agree(name, resolved.datasets, explicit=args.data is not None)
    for note in sources.check(name, resolved, args.data_dir, args.allow_missing):
        print(note)
    return name, resolved.datasets


def _sweep(args: argparse.Namespace) -> None:
    from pathlib import Path

    from curatedrl.benchmarks.suites.cell_config import load_schedule
    from curatedrl.benchmarks.sweeps.sweep import expand, sweep

    extra = parse_sets(args.set or [])
    if args.device:
        extra["device"] = args.device
    source, datasets = _sweep_data(args)
    schedule = load_schedule(args.schedule)
    cells = expand(args.suite, args.seeds, args.algo, datasets, schedule)
    group = f"sweep-{args.suite}-{schedule['name']}" if args.wandb else None
    gpu = args.gpu_fraction
    if gpu is None:
        gpu = 0.2 if str(args.device or "").startswith("cuda") else 0.0
    out = sweep(cells, schedule, Path(args.root), None if args.no_results else Path(args.results),
                args.backend, args.workers, args.address, extra, group, gpu, args.threads,
                skip_exported=args.skip_exported, dry_run=args.dry_run,
                export_as=args.export_as, seeds_per_process=args.seeds_per_process,
                source=source, retry_failed=args.retry_failed)
    if out["failed"]:
        raise CuratedRLError(f"{len(out['failed'])} of {len(cells)} cells failed (listed above); "
                             f"a crash resumes when the same command runs again, a failure "
                             f"record (non-finite metric) only with --retry-failed")
    if out.get("refused"):
        raise CuratedRLError(f"{len(out['refused'])} finished or failed cells were not exported "
                             f"(listed above); export them with --export-as NAME")


def add(sub) -> None:
    p = sub.add_parser(
        "sweep", help="run a suite's algo x dataset x seed cells (skips finished cells)",
        description="Run every algo x dataset x seed cell of a suite, several at a time, each in "
                    "its own `curatedrl train` process. Finished cells are skipped, so a killed "
                    "sweep started again runs only the unfinished ones; failed cells are listed "
                    "at the end and the others go on (a cell that failed with a non-finite "
                    "metric is not run again without --retry-failed). Finished cells are copied (final.json, "
                    "eval.csv, config.yaml, episodes.csv, and train_metrics.csv: the rows of "
                    "metrics.csv at the evaluation steps and the last step) into the results "
                    "tree that `curatedrl leaderboard` reads; a sweep that finds a cell "
                    "finished copies it again.")
    p.add_argument("--suite", required=True,
                   help="suite from benchmarks/suites/configs/suites.yaml: paper, baselines or all")
    p.add_argument("--seeds", type=seed_spec, default=5, metavar="N|S1,S2,...|A-B",
                   help="N: seeds 0..N-1 per cell; or the seeds themselves, in the order to run "
                        "them: a list (9,8,7) or a range (5-9) (default 5)")
    p.add_argument("--algo", action="append",
                   help="run only this algorithm (repeatable; any registered algorithm)")
    p.add_argument("--dataset", action="append",
                   help="run only this dataset id or file, or this cell of --data (e.g. "
                        "hopper-medium-replay; repeatable; all of one data source)")
    p.add_argument("--seeds-per-process", dest="seeds_per_process", type=int, default=None,
                   metavar="N",
                   help="seeds of one algo x dataset trained stacked in one process, each in "
                        "its own run directory (default: all of them for bc at transition level "
                        "and the baselines, one per process for the episode-level BC family; "
                        "1: one process per seed; N > 1 is refused for algorithms that cannot "
                        "stack)")
    p.add_argument("--schedule", default="paper",
                   help="a schedule of benchmarks/suites/configs/schedules/ by name (paper: the "
                        "algorithms' published defaults, a GPU's work; cpu, paper-sampled, "
                        "paper-sampled-k32, baselines-30k, baselines-100k, sensitivity: for 2 "
                        "CPU cores, their comments say what they change; a schedule with a "
                        "`variants` grid runs one cell per variant) or "
                        "a schedule YAML file (default paper)")
    p.add_argument("--data", choices=["curatedrl", "d4rl", "minari"], default=None,
                   help="the data the suite's cells train on: the project's datasets, D4RL's "
                        "<env>-<tier>-v2.hdf5 files in --data-dir, or Minari's "
                        "mujoco/<env>/<tier>-v0 (no medium-replay / medium-expert there: those "
                        "cells are left out); results go to RESULTS/<schedule>/<data>/. The "
                        "data decides: a .hdf5 file is d4rl, a curatedrl/... id curatedrl, "
                        "another Minari id minari, and a --dataset of another source than "
                        "--data is refused (default: the source of the --dataset values, else "
                        "curatedrl)")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="d4rl: the folder of the HDF5 files (default ~/.d4rl/datasets); minari: "
                        "the Minari store (default MINARI_DATASETS_PATH or ~/.minari)")
    p.add_argument("--allow-missing", action="store_true",
                   help="run the cells whose data is here and skip the others (without it, "
                        "missing data stops the sweep before any cell starts)")
    p.add_argument("--backend", choices=["local", "ray"], default="local",
                   help="local: subprocesses on this machine, no Ray needed; ray: Ray tasks on a "
                        "local Ray instance or the cluster at --address")
    p.add_argument("--workers", type=int, default=1,
                   help="cells at a time (local) or CPUs of the local Ray instance (default 1)")
    add_threads(p)
    p.add_argument("--address", default=None,
                   help="address of an existing Ray cluster (ray backend), e.g. ray://host:10001")
    p.add_argument("--gpu-fraction", type=float, default=None,
                   help="GPUs per Ray task (default 0.2 when --device is cuda, else 0)")
    p.add_argument("--device", default=None, help="torch device of every cell: cpu or cuda")
    p.add_argument("--root", default="runs/sweeps",
                   help="where run directories go: ROOT/<schedule>/<algo>/<dataset>/seed<N>")
    p.add_argument("--results", default="results",
                   help="results tree that finished cells are exported to (default results/)")
    p.add_argument("--no-results", action="store_true",
                   help="do not export finished cells to the results tree")
    p.add_argument("--export-as", default=None, metavar="NAME",
                   help="export finished cells to RESULTS/NAME/ instead of RESULTS/<schedule>/: "
                        "needed when --set goes beyond the schedule or the tree has uncommitted "
                        "changes, so such runs never enter the schedule's tables")
    p.add_argument("--skip-exported", action="store_true",
                   help="also skip cells the results tree already holds as finished (to go on "
                        "with a committed sweep from a fresh clone; without it, a fresh clone "
                        "reruns every cell and overwrites its results)")
    p.add_argument("--retry-failed", dest="retry_failed", action="store_true",
                   help="run again, from its last checkpoint, a cell whose run (or, with "
                        "--skip-exported, whose exported folder) is a failure record of the same "
                        "config (a non-finite training metric); without it such cells are listed "
                        "as failed before and left as they are (on CPU the same config fails "
                        "again at the same step)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a config field in every cell (after schedule and per-dataset "
                        "configs), e.g. --set eval_episodes=5")
    p.add_argument("--wandb", action="store_true",
                   help="mirror every cell to Weights & Biases, all in the group "
                        "sweep-<suite>-<schedule>")
    p.add_argument("--dry-run", action="store_true",
                   help="list the cells that would run (pending, partial or changed, and "
                        "failed ones with --retry-failed) and stop; nothing is trained, "
                        "generated or written")
    p.set_defaults(func=_sweep)
