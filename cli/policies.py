"""``curatedrl policies train``: the behaviour policies that generate the suite's datasets."""

from __future__ import annotations

import argparse

from curatedrl.constants import ENVS


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


def add(sub) -> None:
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
