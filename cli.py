"""The ``curatedrl`` command: one argparse parser per subcommand and a handler of a few lines
each that calls down the layers (benchmarks, run, datasets).

Longer than the rule of thumb (~250 lines) on purpose: every option's help text, default and
choices sit in one file, so the whole command line reads in one place and
``tests/test_newcomer.py`` checks it there; the handlers hold no logic of their own."""

from __future__ import annotations

import argparse
import re
import sys

from curatedrl.constants import DEFAULT_DATASET, ENVS, SIZES, TIERS
from curatedrl.errors import CuratedRLError, shown


def _datasets_list(args: argparse.Namespace) -> None:
    from curatedrl.datasets import local_dataset_ids
    from curatedrl.datasets.minari_io import datasets_root

    from curatedrl.datasets.ids import dataset_size

    ids = local_dataset_ids()
    print(f"Minari datasets in {datasets_root()}:")
    if not ids:
        print("  (none; `make demo` creates the embedded default, `make datasets` the suite)")
    width = max((len(i) for i in ids), default=0)
    for i in ids:
        print(f"  {i:<{width}}  size {dataset_size(i)}")


def _datasets_card(args: argparse.Namespace) -> None:
    from pathlib import Path

    from curatedrl.datasets.card import write_card

    write_card(Path(args.out), f"curatedrl datasets card --out {args.out}")
    print(f"wrote {args.out}")


def _datasets_show(args: argparse.Namespace) -> None:
    from curatedrl.benchmarks.tables import table
    from curatedrl.datasets import load
    from curatedrl.datasets.validate import check_dataset_env

    from curatedrl.datasets.ids import dataset_size

    ds = load(args.dataset, env=args.env)
    check_dataset_env(ds)
    rows = [("size", dataset_size(args.dataset, ds.metadata.extra)), *ds.summary().items()]
    print(table(rows, ["field", "value"]))
    if args.views:
        from curatedrl.benchmarks.tables import views_table

        print()
        print(views_table(ds))


THREADS_HELP = ("torch threads of each training process; 0: the machine's cores shared among "
                "the processes running at once (all of them for one process, cores / --workers "
                "in a sweep); use 1 when other jobs share the machine: oversubscribed threads "
                "run ~4x slower")


def _add_threads(p: argparse.ArgumentParser, default: int = 0) -> None:
    """One ``--threads`` meaning for every command."""
    p.add_argument("--threads", type=int, default=default, help=THREADS_HELP)


PER_ALGO = re.compile(r"<(per_algo|registered):?(\w*)>")  # filled in when help is shown


def _per_algo_help(text: str) -> str:
    """``<per_algo:FIELD>``: every algorithm's default of FIELD, ``<registered:>``: every
    registered algorithm, both read from the registry when help is shown (not at start-up:
    importing the algorithms imports torch)."""
    if not PER_ALGO.search(text):
        return text
    from curatedrl.algos import ALGOS
    from curatedrl.algos.defaults import per_algo

    return PER_ALGO.sub(lambda m: per_algo(m.group(2)) if m.group(1) == "per_algo" else
                        ", ".join(ALGOS), text)


class _DefaultsFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless the help already says it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = _per_algo_help(action.help or "")
        if "default" in text or action.default is argparse.SUPPRESS or action.required or \
                not action.option_strings:
            return text
        if isinstance(action, (argparse._StoreTrueAction, argparse._VersionAction)):
            return text + (" (default: off)" if isinstance(action, argparse._StoreTrueAction)
                           else "")
        shown = "none" if action.default is None else "%(default)s"
        return f"{text} (default: {shown})"


def _finish(parser: argparse.ArgumentParser) -> None:
    """Every (sub)command gets the defaults formatter and a description (its help when it has
    no longer one)."""
    parser.formatter_class = _DefaultsFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                if not sub.description:
                    sub.description = helps.get(name)
                _finish(sub)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("curatedrl")
    except PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


def _set_threads(threads: int) -> None:
    if threads < 0:
        raise CuratedRLError(f"--threads must be >= 0 (0: torch's default), got {threads}")
    if threads:
        import torch

        torch.set_num_threads(threads)


def _demo(args: argparse.Namespace) -> None:
    from curatedrl.benchmarks.suites.demo import run_demo

    _set_threads(args.threads)
    run_demo()


def _datasets_generate(args: argparse.Namespace) -> None:
    from curatedrl.benchmarks.tables import table
    from curatedrl.datasets import load
    from curatedrl.datasets.suite import ENVS, TIERS, generate_env

    rows = []
    for env_key in args.env or list(ENVS):
        ids = generate_env(env_key, size=args.size, seed=args.seed,
                           tiers=tuple(args.tier or TIERS), force=args.force, strict=args.strict)
        for tier, did in ids.items():
            s = load(did).summary()
            rows.append([did, s["episodes"], s["steps"], s["return_mean"], s["return_std"],
                         s["return_min"], s["return_max"]])
    print(table(rows, ["dataset", "episodes", "steps", "return_mean", "return_std",
                       "return_min", "return_max"]))


def _datasets_manifest(args: argparse.Namespace) -> None:
    from curatedrl.benchmarks.tables import table
    from curatedrl.datasets.manifest import compare_local, write_manifest
    from curatedrl.datasets.minari_io import local_dataset_ids
    from curatedrl.datasets.suite import all_ids, generate_command

    if args.write:
        local = set(local_dataset_ids())
        missing = [d for d in all_ids() if d not in local]
        if missing and not args.partial:
            raise CuratedRLError(f"{len(missing)} suite datasets are not stored locally (first: "
                                 f"{missing[0]}); make them with `{generate_command(missing[0])}`"
                                 f" or `make datasets` for each size, then write the manifest")
        out = write_manifest([d for d in all_ids() if d in local])
        print(f"wrote datasets/manifest.json ({len(out['datasets'])} datasets)")
        return
    rows = compare_local(all_ids())
    print(table(rows, ["dataset", "size", "manifest hash", "local hash", "status"]))
    bad = [r for r in rows if r[-1] == "differs"]
    if bad:
        raise CuratedRLError(f"{len(bad)} local dataset(s) differ from the manifest "
                             f"(first: {bad[0][0]})")


def _policies_train(args: argparse.Namespace) -> None:
    from curatedrl.datasets.replay_run import REPLAY_RUNS
    from curatedrl.datasets.train_behaviour import ENVS, evaluate_checkpoints, train, train_replay

    for env_key in (args.env or list(ENVS)):
        train(env_key, steps=args.steps, seed=args.seed, checkpoint_every=args.checkpoint_every)
        card = evaluate_checkpoints(env_key, episodes=args.eval_episodes)
        best = card["checkpoints"][card["expert_checkpoint"]]
        print(f"{env_key}: expert {card['expert_checkpoint']} return "
              f"{best['return_mean']:.1f} ± {best['return_std']:.1f}")
        if env_key in REPLAY_RUNS and not args.no_replay:  # its medium-replay stream
            card = train_replay(env_key, eval_episodes=args.eval_episodes)
            print(f"{env_key} replay run: {card['reached']} reached the medium return "
                  f"{card['target_return']:.1f}")


def parse_sets(items: list[str]) -> dict:
    """``key=value`` pairs; values are read as YAML scalars or lists (``1e-3``, ``[90, 95]``),
    within the limits of every YAML the suite reads (``run.schema.load_yaml``: size, alias
    expansion); a message never echoes more than the start of a value."""
    from curatedrl.run.schema import load_yaml

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CuratedRLError(f"--set needs key=value, got {shown(item)}")
        out[key.strip()] = load_yaml(value, f"--set {key.strip()[:40]}")
    return out


def _train(args: argparse.Namespace) -> None:
    from pathlib import Path

    from curatedrl.run.train import train

    _set_threads(args.threads)
    overrides = parse_sets(args.set or [])
    for key, flag in (("env", "--env"), ("dataset", "--dataset"), ("seed", "--seed")):
        given = getattr(args, key)
        if key in overrides and given is not None and overrides[key] != given:
            raise CuratedRLError(f"{flag} {shown(given)} and --set {key}="
                                 f"{shown(overrides[key])} disagree; give {key} once")
    env = overrides.pop("env", None)  # --set env=... as --env
    seed = overrides.pop("seed", None)  # --set seed=... as --seed
    overrides.pop("dataset", None)  # --set dataset=... is --dataset (the same, checked above)
    if args.seed is None and seed is not None:
        args.seed = seed
    for key in ("steps", "device", "eval_every", "eval_episodes", "final_eval_episodes",
                "batch_size"):
        value = getattr(args, key)
        if value is not None:
            overrides[key] = value
    _stop_on_sigterm()
    if args.seeds is not None:
        _train_seeds(args, overrides)
        return
    final = train(args.algo, args.dataset, args.seed or 0, overrides,
                  Path(args.out) if args.out else None, use_wandb=args.wandb,
                  wandb_group=args.wandb_group, allow_thread_change=args.allow_thread_change,
                  env=args.env or env)
    last, best = final["normalized_score_last"], final["normalized_score_best"]
    score = ("normalised score - (the dataset has no reference scores)" if last is None else
             f"normalised score {last:.1f} (best {best:.1f})")
    again = ("; finished before: nothing trained (delete the run directory to train again)"
             if final.get("reused") else "")
    print(f"{args.algo} on {args.dataset} (seed {args.seed or 0}): {score}, "
          f"return {final['return_last']:.1f}; run directory {final['run_dir']}{again}")


def _train_seeds(args: argparse.Namespace, overrides: dict) -> None:
    from pathlib import Path

    from curatedrl.run.train_stacked import train_seeds

    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise CuratedRLError(f"--seeds needs comma-separated integers such as 0,1,2, got "
                             f"{args.seeds!r}") from None
    if args.seed is not None:
        raise CuratedRLError("give --seed (one seed) or --seeds (several, stacked), not both")
    finals = train_seeds(args.algo, args.dataset, seeds, overrides,
                         Path(args.out) if args.out else None, use_wandb=args.wandb,
                         wandb_group=args.wandb_group,
                         allow_thread_change=args.allow_thread_change)
    for f in finals:
        print(f"{args.algo} on {args.dataset} (seed {f['seed']}, stacked): normalised score "
              f"{f['normalized_score_last']:.1f} (best {f['normalized_score_best']:.1f}), "
              f"return {f['return_last']:.1f}; run directory {f['run_dir']}")


def _stop_on_sigterm() -> None:
    """SIGTERM stops like Ctrl-C (the run says how to resume; later signals are ignored). Ctrl-C
    that this process was started ignoring (a background job of a non-interactive shell, or of
    a sweep started so) stays ignored. A sweep's cell also stops when the sweep dies, even by
    SIGKILL (Linux: the parent-death signal), so none is orphaned."""
    import os
    import signal

    def stop(signum, frame):  # once: a second signal must not break the clean stop
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    parent = os.environ.get("CURATEDRL_SWEEP_PID")
    if parent and sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != int(parent):  # the sweep died before prctl
            raise KeyboardInterrupt


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
    cells = expand(args.suite, args.seeds, args.algo, datasets)
    schedule = load_schedule(args.schedule)
    group = f"sweep-{args.suite}-{schedule['name']}" if args.wandb else None
    gpu = args.gpu_fraction
    if gpu is None:
        gpu = 0.2 if str(args.device or "").startswith("cuda") else 0.0
    out = sweep(cells, schedule, Path(args.root), None if args.no_results else Path(args.results),
                args.backend, args.workers, args.address, extra, group, gpu, args.threads,
                skip_exported=args.skip_exported, dry_run=args.dry_run,
                export_as=args.export_as, seeds_per_process=args.seeds_per_process,
                source=source)
    if out["failed"]:
        raise CuratedRLError(f"{len(out['failed'])} of {len(cells)} cells failed (listed above); "
                             f"run the same command again to retry them")
    if out.get("refused"):
        raise CuratedRLError(f"{len(out['refused'])} finished cells were not exported (listed "
                             f"above); export them with --export-as NAME")


def _leaderboard(args: argparse.Namespace) -> None:
    from pathlib import Path

    import warnings

    from curatedrl.benchmarks.leaderboard.escaping import one_line
    from curatedrl.benchmarks.leaderboard.leaderboard import build
    from curatedrl.run.rundir import ResultsFileWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResultsFileWarning)
        build(Path(args.results), Path(args.out), Path(args.plots), site=True)
    for w in caught:  # one line per file skipped or ignored; any other warning as Python shows it
        if issubclass(w.category, ResultsFileWarning):
            print(f"curatedrl leaderboard: warning: {one_line(w.message)}", file=sys.stderr)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    print(f"wrote {args.out}, the site {args.plots}/index.html and its plots from "
          f"{args.results}/")


def _bench(args: argparse.Namespace) -> None:
    from curatedrl.benchmarks.speed.bench import run_bench

    import os

    _set_threads(args.threads)
    run_bench(args.only, threads=args.threads or os.cpu_count() or 1, quick=args.quick,
              dataset=args.dataset, device=args.device)


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="curatedrl",
        description="Offline-RL benchmark suite: BC, filtered BC and importance-weighted BC.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}",
                        help="print the installed version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ds = sub.add_parser("datasets", help="list and inspect datasets")
    ds_sub = ds.add_subparsers(dest="datasets_command", required=True, metavar="ACTION")
    p = ds_sub.add_parser("list", help="list the Minari datasets stored locally "
                                       "(MINARI_DATASETS_PATH, else ~/.minari/datasets)")
    p.set_defaults(func=_datasets_list)
    p = ds_sub.add_parser("generate", help="generate the suite's datasets "
                                           "(curatedrl/<env>/<tier>-v0) from the shipped "
                                           "behaviour policies")
    p.add_argument("--env", action="append", choices=list(ENVS),
                   help="env to generate (repeatable; default: all three)")
    p.add_argument("--tier", action="append",
                   choices=list(TIERS),
                   help="tier to generate (repeatable; default: all five)")
    p.add_argument("--size", choices=list(SIZES), default="full",
                   help="full: D4RL's sizes (1M steps; medium-replay as long as training took "
                        "to reach medium), ids curatedrl/<env>/<tier>-v0; small: every size "
                        "divided by 20, ids <tier>-small-v0; tiny: by 200, <tier>-tiny-v0")
    p.add_argument("--seed", type=int, default=0, help="generation seed (same seed, same data)")
    p.add_argument("--force", action="store_true",
                   help="regenerate datasets that already exist locally")
    p.add_argument("--strict", action="store_true",
                   help="check every requested dataset (also those already stored) against "
                        "datasets/manifest.json and exit non-zero on a content-hash mismatch")
    p.set_defaults(func=_datasets_generate)
    p = ds_sub.add_parser("manifest", help="compare the local suite datasets with "
                                           "datasets/manifest.json, or write it from them")
    p.add_argument("--write", action="store_true",
                   help="write datasets/manifest.json from the local suite datasets (every env, "
                        "tier and size must be stored)")
    p.add_argument("--partial", action="store_true",
                   help="with --write: write the entries of the suite datasets stored locally "
                        "even when some are missing")
    p.set_defaults(func=_datasets_manifest)
    p = ds_sub.add_parser("card", help="write the dataset card (markdown) from the local "
                                       "suite datasets and the policy cards")
    p.add_argument("--out", default="docs/datasets.md", help="markdown file to write")
    p.set_defaults(func=_datasets_card)
    p = ds_sub.add_parser("show", help="summarise one dataset: episodes, steps, returns, "
                                       "reference scores, evaluation env")
    p.add_argument("dataset", metavar="ID_OR_PATH",
                   help="a local Minari dataset id (namespace/name-vN) or a D4RL-format .hdf5 file")
    p.add_argument("--env", default=None,
                   help="env family of a D4RL file whose name does not say it "
                        "(hopper, halfcheetah, walker2d, ant)")
    p.add_argument("--views", action="store_true",
                   help="also show what each algorithm's default config trains on: the distinct "
                        "episodes of its view, their returns, the mean return of a drawn episode "
                        "and the share of draws in the upper half of the return range")
    p.set_defaults(func=_datasets_show)

    p = sub.add_parser(
        "train", help="train one algorithm on one dataset and write its run directory",
        description="Train one algorithm on one dataset. The run directory receives config.yaml "
                    "(fully resolved), metrics.csv (train/* every 10 steps), eval.csv "
                    "(periodic and final evaluations), final.json and checkpoint.pt. Running the "
                    "same command on a killed run resumes it from its last resume.pt.")
    p.add_argument("--algo", required=True,
                   help="algorithm name from the registry: <registered:>")
    p.add_argument("--dataset", required=True,
                   help="Minari dataset id or D4RL-format .hdf5 file")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of training and evaluation (default 0)")
    p.add_argument("--seeds", default=None, metavar="S1,S2,...",
                   help="train these seeds in one process, stacked (bc at transition level and "
                        "the baselines), each in its own run directory OUT/seed<N> (--out: "
                        "their parent, default runs/<source>/<algo>/<dataset>)")
    p.add_argument("--env", default=None, choices=["hopper", "halfcheetah", "walker2d", "ant"],
                   help="env family of a D4RL-format file whose name does not say it (default: "
                        "read from the file name; a Minari dataset records its env)")
    p.add_argument("--steps", type=int, default=None,
                   help="gradient steps (default: the algorithm's config: <per_algo:steps>; "
                        "two-stage algorithms count stage 2 only, stage 1 is ref_steps)")
    p.add_argument("--batch-size", dest="batch_size", type=int, default=None,
                   help="episodes (episode-level algorithms) or transitions per batch "
                        "(default: the algorithm's config: <per_algo:batch_size>)")
    p.add_argument("--eval-every", dest="eval_every", type=int, default=None,
                   help="evaluate every this many steps, 0: only at the end (default: the "
                        "algorithm's config: <per_algo:eval_every>)")
    p.add_argument("--eval-episodes", dest="eval_episodes", type=int, default=None,
                   help="episodes per periodic evaluation (default: the algorithm's config: "
                        "<per_algo:eval_episodes>)")
    p.add_argument("--final-eval-episodes", dest="final_eval_episodes", type=int, default=None,
                   help="episodes of the final evaluation (default: the algorithm's config: "
                        "<per_algo:final_eval_episodes>)")
    p.add_argument("--device", default=None,
                   help="torch device: cpu, cuda, cuda:1 (default: the algorithm's config: "
                        "<per_algo:device>)")
    p.add_argument("--out", default=None,
                   help="run directory (default runs/<source>/<algo>/<dataset>/seed<N>; "
                        "<source>: curatedrl, d4rl or minari, from the dataset)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override any config field, e.g. --set lr=1e-4 --set "
                        "percentiles=[80,90]; repeatable; unknown keys are refused")
    p.add_argument("--wandb", action="store_true",
                   help="mirror config and train/*, eval/* metrics to Weights & Biases "
                        "(offline unless WANDB_MODE says otherwise)")
    p.add_argument("--wandb-group", default=None, help="W&B group of the run")
    _add_threads(p)
    p.add_argument("--allow-thread-change", action="store_true",
                   help="resume a run started with another torch thread count (refused without "
                        "it: results then differ from an uninterrupted run; final.json records "
                        "the change)")
    p.set_defaults(func=_train)

    p = sub.add_parser("policies", help="behaviour policies that generate the suite's datasets")
    pol_sub = p.add_subparsers(dest="policies_command", required=True, metavar="ACTION")
    p = pol_sub.add_parser("train", help="train (or resume) PPO behaviour policies, export "
                                         "actor checkpoints and write the policy cards")
    p.add_argument("--env", action="append", choices=list(ENVS),
                   help="env to train (repeatable; default: all three)")
    p.add_argument("--steps", type=int, default=1_000_000, help="training steps per env")
    p.add_argument("--seed", type=int, default=0, help="training seed")
    p.add_argument("--checkpoint-every", type=int, default=25_000,
                   help="export an actor checkpoint every this many steps")
    p.add_argument("--eval-episodes", type=int, default=20,
                   help="deterministic evaluation episodes per checkpoint for the policy card")
    p.add_argument("--no-replay", action="store_true",
                   help="skip the dedicated replay runs (halfcheetah's medium-replay stream: a "
                        "slower run trained until it reaches the medium checkpoint's return)")
    p.set_defaults(func=_policies_train)

    p = sub.add_parser("bench", help="speed benchmarks, one printed line per figure")
    p.add_argument("--only", action="append",
                   choices=["iwbc", "seeds", "step", "eval", "generation", "load", "sampled",
                            "sweep"],
                   help="run only this figure (repeatable; default: all)")
    _add_threads(p, default=1)
    p.add_argument("--dataset", default=DEFAULT_DATASET,
                   help="dataset of the training and evaluation figures")
    p.add_argument("--quick", action="store_true",
                   help="every figure at a tiny size (a smoke test, not for reporting)")
    p.add_argument("--device", default=None,
                   help="torch device of the training figures (default: cuda if available)")
    p.set_defaults(func=_bench)

    p = sub.add_parser(
        "sweep", help="run a suite's algo x dataset x seed cells (skips finished cells)",
        description="Run every algo x dataset x seed cell of a suite, several at a time, each in "
                    "its own `curatedrl train` process. Finished cells are skipped, so a killed "
                    "sweep started again runs only the unfinished ones; failed cells are listed "
                    "at the end and the others go on. Finished cells are copied (final.json, "
                    "eval.csv, config.yaml) into the results tree that `curatedrl leaderboard` "
                    "reads.")
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
                        "paper-sampled-k32, baselines-30k: for 2 CPU cores, their comments say "
                        "what they change) or "
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
    _add_threads(p)
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
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a config field in every cell (after schedule and per-dataset "
                        "configs), e.g. --set eval_episodes=5")
    p.add_argument("--wandb", action="store_true",
                   help="mirror every cell to Weights & Biases, all in the group "
                        "sweep-<suite>-<schedule>")
    p.add_argument("--dry-run", action="store_true",
                   help="list the cells that would run (pending, partial or failed) and stop; "
                        "nothing is trained, generated or written")
    p.set_defaults(func=_sweep)

    p = sub.add_parser(
        "leaderboard", help="rebuild LEADERBOARD.md, the static site and the plots from the "
                            "results tree only",
        description="Rebuild LEADERBOARD.md from results/<schedule>/<source>/<algo>/<dataset>/"
                    "seed<N>/final.json (and eval.csv for the learning curves): per-dataset "
                    "last and best scores (mean ± std, seeds), averages, IQM with "
                    "stratified-bootstrap CIs, the claims read per dataset (paired t-test, Holm), "
                    "and PNG plots, plus "
                    "the static site "
                    "PLOTS/index.html (open it from disk). Runs on other dataset bytes, from a "
                    "modified tree or beyond their schedule are listed apart, never averaged. "
                    "Run folders whose files cannot be used (corrupt, partial, naming another "
                    "run than their folders, beyond any real score) are skipped with one warning "
                    "line each and listed at the end. Same results, same files.")
    p.add_argument("--results", default="results", help="results tree (default results/)")
    p.add_argument("--out", default="LEADERBOARD.md", help="markdown file to write")
    p.add_argument("--plots", default="docs/leaderboard",
                   help="folder for the PNG plots and the site's index.html")
    p.set_defaults(func=_leaderboard)

    p = sub.add_parser("demo", help="the main job: BC, filtered BC and iw-BC on the embedded "
                                    "default dataset (made on first use, no download)")
    _add_threads(p)
    p.set_defaults(func=_demo)
    _finish(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; 0, 2 (bad input: one line on stderr) or 130 (interrupted). The signal
    handlers a command installs (SIGTERM stops a run) are put back when it returns, so that
    calling ``main`` in a process (tests, notebooks) leaves that process's handlers as they
    were."""
    import signal
    import threading

    args = build_parser().parse_args(argv)
    names = (signal.SIGINT, signal.SIGTERM)
    main_thread = threading.current_thread() is threading.main_thread()
    saved = {s: signal.getsignal(s) for s in names} if main_thread else {}
    try:
        args.func(args)
    except CuratedRLError as exc:
        print(f"curatedrl: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM to train / sweep
        print(f"curatedrl: {exc or 'interrupted'}", file=sys.stderr)
        return 130
    finally:
        for sig, handler in saved.items():
            if handler is not None:  # None: installed outside Python, cannot be put back
                signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
