"""What one cell of the `paper-whole-ft` schedule costs, measured before its sweep is sized.

For each dataset: the curated strata view, batches of 256 WHOLE episodes; per fine-tuning step,
in process CPU seconds (one torch thread, best of alternating rounds: ``bench_sampled``):

- filtered BC's step and iw-BC's step (exact weights: log q over the batch's unique whole
  episodes every step), each with the loss evaluated once per unique episode (what the schedule
  runs), and filtered BC's loss with every repeat evaluated (the plain loss, for the saving);
- the batch's rows, all and unique;
- from those, the CPU hours of one 2,000-step fine-tuning run, plus the stage-1 (k = 8) and
  evaluation estimates of ``bench_sampled``.

    python -m curatedrl.benchmarks.speed.whole_ft_cost curatedrl/hopper/medium-replay-v0 ...
"""

from __future__ import annotations

import argparse

import torch

from curatedrl.algos import config_from_dict
from curatedrl.algos.filtered_bc import FilteredBC, FilteredBCConfig
from curatedrl.algos.iw_bc import IWBC, IWBCConfig
from curatedrl.algos.nll import weighted_episode_nll
from curatedrl.benchmarks.speed.bench_sampled import cpu_seconds
from curatedrl.datasets import load, make_generator, to_device
from curatedrl.benchmarks.suites.cell_config import cell_overrides, load_schedule

SCHEDULE = "paper-whole-ft"


def agent_for(cls, cfg_cls, algo: str, dataset: str, ds):
    fields = set(cfg_cls.__dataclass_fields__)
    over = {k: v for k, v in cell_overrides(algo, dataset, load_schedule(SCHEDULE)).items()
            if k in fields}
    agent = cls(config_from_dict(cfg_cls, over), ds.metadata.obs_dim, ds.metadata.act_dim)
    agent.prepare(ds)
    agent.set_reference({k: v.clone() for k, v in agent.actor.state_dict().items()})
    return agent


def measure(dataset: str, calls: int) -> dict[str, float]:
    ds = load(dataset)
    fbc = agent_for(FilteredBC, FilteredBCConfig, "filtered_bc", dataset, ds)
    iw = agent_for(IWBC, IWBCConfig, "iw_bc", dataset, ds)
    buffer = to_device(fbc.select(ds))
    gen = make_generator(0)
    iw.reference_log_probs()  # once per run (cached beside pi_ref by a sweep)
    batches = [fbc.sample(buffer, gen) for _ in range(4)]
    it = iter(range(10 ** 9))

    def step(agent):
        return lambda: agent.update(batches[next(it) % len(batches)])

    def plain():
        b = batches[next(it) % len(batches)]
        lp = fbc.actor.log_prob(b.observations, b.actions)
        loss = weighted_episode_nll(lp, b.segment, b.lengths)
        fbc.opt.zero_grad()
        loss.backward()

    def unique():
        b = batches[next(it) % len(batches)]
        fbc.opt.zero_grad()
        fbc.loss(b).backward()

    secs = cpu_seconds({"filtered_bc": step(fbc), "iw_bc": step(iw), "plain_loss": plain,
                        "unique_loss": unique}, calls)
    rows = sum(len(b.segment) for b in batches) / len(batches)
    uniq = sum(int(ds.offsets[torch.unique(b.episodes) + 1].sum()
                   - ds.offsets[torch.unique(b.episodes)].sum()) for b in batches) / len(batches)
    eps = sum(len(torch.unique(b.episodes)) for b in batches) / len(batches)
    return {**secs, "rows": rows, "unique_rows": uniq, "unique_episodes": eps}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("datasets", nargs="+", help="dataset ids (curatedrl/<env>/<tier>-v0)")
    p.add_argument("--calls", type=int, default=3, help="steps per timing round (default: 3)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    steps = config_from_dict(FilteredBCConfig, {}).steps
    print("| dataset | rows per batch (unique) | unique episodes | filtered BC s/step | iw-BC "
          "s/step | loss fwd+bwd: plain / unique s | fine-tuning CPU h per run (fBC, iw-BC) |")
    print("|---|---|---|---|---|---|---|")
    for d in args.datasets:
        m = measure(d, args.calls)
        print(f"| {d} | {m['rows']:,.0f} ({m['unique_rows']:,.0f}) | {m['unique_episodes']:.0f} "
              f"| {m['filtered_bc']:.2f} | {m['iw_bc']:.2f} | {m['plain_loss']:.2f} / "
              f"{m['unique_loss']:.2f} | {m['filtered_bc'] * steps / 3600:.2f}, "
              f"{m['iw_bc'] * steps / 3600:.2f} |", flush=True)


if __name__ == "__main__":
    main()
