"""Where a finished iw-BC (or iw-BC(Q)) run's importance weights put the gradient's mass.

From a run directory (config.yaml and the final checkpoint.pt: learner, q and π_ref), the exact
whole-episode weight of every episode of the run's view is computed with the final q,

    w(τ) = clamp(exp(temp · (log q(τ) − log π_ref(τ)) / T), 0, clip),

and compared with the view's own draws (uniform over the strata, or quality weights): the share
of the gradient's mass on episodes in the upper half of the dataset's return range, the mean
return of a weighted draw, the effective sample size of w under the view's draws, and the rank
correlation of w with return. It reads what the run ended with; the weights along the way are
in the run's metrics.csv (``train/weight_ess``, ``train/weight_max``).

    python -m curatedrl.benchmarks.speed.weight_profile RUN_DIR [RUN_DIR ...]
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

import numpy as np
import torch

from curatedrl.algos.iw_bc import IWBC, episode_weights, row_log_probs
from curatedrl.datasets import load
from curatedrl.datasets.buffer import episode_rows, segment_sum
from curatedrl.errors import CuratedRLError
from curatedrl.run.records.checkpoint import load_state
from curatedrl.run.records.rundir import read_yaml
from curatedrl.run.records.runstate import config_of
from curatedrl.run.loop.train import resolve_algo


@functools.lru_cache(maxsize=2)
def _load(dataset_id: str):
    return load(dataset_id)  # several runs of one dataset load it once


def _ranks(x: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(x)).astype(np.float64)


def check_run(run_dir: Path) -> tuple[type[IWBC], dict]:
    """(algorithm class, resolved config) of a finished iw_bc / iw_bc_q run, or a one-line
    CuratedRLError naming what is missing (cheap: nothing is loaded but config.yaml)."""
    run_dir = Path(run_dir)
    for name in ("config.yaml", "checkpoint.pt"):
        if not (run_dir / name).exists():
            raise CuratedRLError(f"{run_dir} has no {name}: give the directory of a finished "
                                 f"iw_bc or iw_bc_q run")
    resolved = read_yaml(run_dir / "config.yaml")
    cls = resolve_algo(str(resolved.get("algo")))
    if not issubclass(cls, IWBC):
        raise CuratedRLError(f"{run_dir} is a {resolved.get('algo')} run; the weight profile "
                             f"needs an iw_bc or iw_bc_q run")
    return cls, resolved


def episode_weights_of_run(run_dir: Path):
    """(view, w): the run's episode view and the final weight w(τ) of each of its entries (see
    the module docstring; normalised over the view's distinct episodes, the training loss's
    formula), from the run's config.yaml and checkpoint.pt."""
    run_dir = Path(run_dir)
    cls, resolved = check_run(run_dir)
    cfg = config_of(cls.config_cls, resolved)
    ds = _load(cfg.dataset)
    if resolved.get("dataset_hash") not in (None, ds.content_hash):
        raise CuratedRLError(f"{cfg.dataset} stored here has content hash {ds.content_hash}, the "
                             f"run trained on {resolved['dataset_hash']}; regenerate the dataset")
    agent = cls(cfg, ds.metadata.obs_dim, ds.metadata.act_dim)
    state = load_state(run_dir / "checkpoint.pt")
    agent.q.load_state_dict(state["q"])
    agent.ref.load_state_dict(state["ref"])
    view = agent.select(ds)
    uniq, inverse = np.unique(view.episodes, return_inverse=True)
    rows, segment, lengths = episode_rows(torch.as_tensor(ds.offsets, dtype=torch.int64),
                                          torch.as_tensor(uniq))
    obs = torch.as_tensor(ds.observations)[rows]
    act = torch.as_tensor(ds.actions)[rows]
    log_q = segment_sum(row_log_probs(agent.q, obs, act).double(), segment, len(uniq))
    log_ref = segment_sum(row_log_probs(agent.ref, obs, act).double(), segment, len(uniq))
    w = episode_weights(log_q, log_ref, lengths, cfg.temperature, cfg.weight_clip).numpy()
    return view, w[inverse]


def profile(run_dir: Path) -> dict[str, float | str | int]:
    """The weight profile of one finished run (see the module docstring)."""
    view, w = episode_weights_of_run(run_dir)
    draws = view.draw_shares()
    mass = draws * w / (draws * w).sum()
    plain, weighted = view.summary(), view.summary(mass)
    drawn = draws > 0
    rho = np.corrcoef(_ranks(w[drawn]), _ranks(view.returns[drawn]))[0, 1] \
        if drawn.sum() > 1 and np.ptp(w[drawn]) > 0 else float("nan")
    return {"run": str(run_dir), "view": view.description,
            "episodes": plain["episodes (distinct)"],
            "upper half, draws": plain["draws with return >= mid-range"],
            "upper half, weighted": weighted["draws with return >= mid-range"],
            "mean return, draws": plain["mean return of a draw"],
            "mean return, weighted": weighted["mean return of a draw"],
            "weight ESS / n": float((draws @ w) ** 2 / (draws @ (w * w))),
            "rank corr(w, return)": float(rho)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m curatedrl.benchmarks.speed.weight_profile",
        description="Where a finished iw-BC / iw-BC(Q) run's final importance weights put the "
                    "gradient's mass, against its view's own draws (upper half of the return "
                    "range, mean return, weight ESS, rank correlation with return).")
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR",
                   help="directories of finished iw_bc / iw_bc_q runs (config.yaml and "
                        "checkpoint.pt); their datasets must be stored locally")
    args = p.parse_args(argv)
    from curatedrl.benchmarks.tables import table

    try:
        for run in args.runs:  # every run checked before the first (slow) profile
            check_run(run)
        outs = [profile(run) for run in args.runs]
    except CuratedRLError as exc:
        print(f"weight_profile: error: {exc}", file=sys.stderr)
        return 2
    rows = []
    for out in outs:
        rows.append([out["run"], out["view"], out["episodes"],
                     f"{out['upper half, draws']:.3f}", f"{out['upper half, weighted']:.3f}",
                     f"{out['mean return, draws']:,.0f}", f"{out['mean return, weighted']:,.0f}",
                     f"{out['weight ESS / n']:.3f}", f"{out['rank corr(w, return)']:+.2f}"])
    print(table(rows, ["run", "view", "episodes", "upper half: draws", "upper half: weighted",
                       "mean return: draws", "weighted", "weight ESS / n",
                       "rank corr(w, return)"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
