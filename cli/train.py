"""``curatedrl train``: one algorithm on one dataset (one seed, or several stacked)."""

from __future__ import annotations

import argparse
import sys

from curatedrl.cli.options import add_threads, parse_sets, set_threads
from curatedrl.errors import CuratedRLError, shown


def _train(args: argparse.Namespace) -> None:
    from pathlib import Path

    from curatedrl.run.loop.train import train

    set_threads(args.threads)
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
                  env=args.env or env, variant=args.variant)
    last, best = final["normalized_score_last"], final["normalized_score_best"]
    score = ("normalised score - (the dataset has no reference scores)" if last is None else
             f"normalised score {last:.1f} (best {best:.1f})")
    again = ("; finished before: nothing trained (delete the run directory to train again)"
             if final.get("reused") else "")
    print(f"{args.algo} on {args.dataset} (seed {args.seed or 0}): {score}, "
          f"return {final['return_last']:.1f}; run directory {final['run_dir']}{again}")


def _train_seeds(args: argparse.Namespace, overrides: dict) -> None:
    from pathlib import Path

    from curatedrl.run.loop.train_stacked import train_seeds

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
                         allow_thread_change=args.allow_thread_change,
                         variant=args.variant)
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


def add(sub) -> None:
    p = sub.add_parser(
        "train", help="train one algorithm on one dataset and write its run directory",
        description="Train one algorithm on one dataset. The run directory receives config.yaml "
                    "(fully resolved), metrics.csv (train/* every 10 steps), eval.csv "
                    "(periodic and final evaluations), episodes.csv (the return of every "
                    "evaluation episode), final.json and checkpoint.pt. Running the "
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
    p.add_argument("--variant", default=None, metavar="KEY=VALUE,...",
                   help="record the run as this hyperparameter variant (what a schedule's "
                        "variants grid names, e.g. lr=4e-05,temperature=10: checked against "
                        "the config; set the values with --set); default run directory "
                        "runs/<source>/<algo>/<dataset>/<variant>/seed<N>")
    add_threads(p)
    p.add_argument("--allow-thread-change", action="store_true",
                   help="resume a run started with another torch thread count (refused without "
                        "it: results then differ from an uninterrupted run; final.json records "
                        "the change)")
    p.set_defaults(func=_train)
