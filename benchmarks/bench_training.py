"""Training-speed figures of ``curatedrl bench``.

- ``iwbc``: iw-BC fine-tuning steps/s at the paper's batch (256 whole episodes): the packed
  step (``IWBC.update``, what trains) vs the padded-and-masked reference
  (``benchmarks/padded.py``) on the same sampled episodes and the same networks, on the paper's
  curated strata and on all episodes of the dataset; plus the achieved GFLOP/s of the packed
  step (matmul FLOPs counted by ``torch.utils.flop_counter``).
- ``seeds``: transition-level steps/s at batch 256 of bc, td3_bc and iql, one seed (the
  registry's class) vs N seeds stacked in one process (``algos/stacked.py``), and the cost ratio.
"""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from curatedrl.algos import ALGOS
from curatedrl.algos.iw_bc import IWBC, IWBCConfig
from curatedrl.algos.stacked import STACKED
from curatedrl.benchmarks.padded import padded_iw_bc_update
from curatedrl.benchmarks.timing import compare
from curatedrl.datasets import EpisodeDataset, make_generator, to_device
from curatedrl.datasets.filters import as_view


def _device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def _sync(device: str):
    return torch.cuda.synchronize if device == "cuda" else None


def iwbc_agent(ds: EpisodeDataset, device: str, seed: int = 0) -> IWBC:
    """iw-BC with the paper's settings; π_ref = the initial actor (speed does not depend on it)."""
    m = ds.metadata
    agent = IWBC(IWBCConfig(seed=seed, device=device), m.obs_dim, m.act_dim)
    agent.prepare(ds)
    agent.set_reference({k: v.clone() for k, v in agent.actor.state_dict().items()})
    return agent


def step_flops(fn) -> int:
    """Matmul FLOPs of one call of ``fn`` (forward and backward)."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def bench_iwbc(ds: EpisodeDataset, machine: str, batch: int = 256, window: float = 0.0,
               repeats: int = 2, min_calls: int = 2) -> list[str]:
    device = _device()
    packed, padded = iwbc_agent(ds, device), iwbc_agent(ds, device)
    full = to_device(ds, device)
    lines = []
    for label, view in (("curated strata (what iw-BC fine-tunes on)", packed.select(ds)),
                        ("all episodes", as_view(ds))):
        buf = full.restrict(view)
        gen = make_generator(0, device)
        probe = buf.sample_episodes(batch, gen)
        rows, t_max = int(probe.lengths.sum()), int(probe.lengths.max())
        rates = compare({
            "packed": lambda: packed.update(buf.sample_episodes(batch, gen)),
            "padded": lambda: padded_iw_bc_update(padded, buf.sample_episodes(batch, gen)),
        }, window=window, repeats=repeats, min_calls=min_calls, sync=_sync(device))
        flops = step_flops(lambda: packed.update(probe))
        lines.append(
            f"iwbc        iw-BC step, {batch} whole episodes of {ds.metadata.dataset_id}, "
            f"{label}: packed {rates['packed']:.2f} steps/s vs padded-and-masked "
            f"{rates['padded']:.2f} steps/s ({rates['packed'] / rates['padded']:.2f}x); "
            f"sample: {rows:,} steps packed, {batch * t_max:,} padded; packed step "
            f"{flops / 1e9:.1f} GFLOP, {flops * rates['packed'] / 1e9:.1f} GFLOP/s achieved "
            f"[{machine}, {device}]")
    return lines


def _compiled_note(name, cfg, seeds, ds, buf, window, repeats, device) -> str:
    """On CUDA only: the stacked step through torch.compile(mode="reduce-overhead")."""
    if device != "cuda":
        return ""
    try:
        m = ds.metadata
        agent = STACKED[name](cfg, list(range(seeds)), m.obs_dim, m.act_dim)
        agent.prepare(ds)
        agent.compile(mode="reduce-overhead")
        r = compare({"c": lambda: agent.update(agent.sample(buf))}, window=window,
                    repeats=repeats, warmup=3, sync=_sync(device))["c"]
        return f"; stacked + torch.compile (CUDA graphs) {r:.0f} steps/s"
    except Exception as exc:  # an optional path: report it, keep the eager figures
        return f"; torch.compile path failed: {type(exc).__name__}: {str(exc)[:80]}"


def bench_seeds(ds: EpisodeDataset, machine: str, batch: int = 256, seeds: int = 5,
                window: float = 1.0, repeats: int = 3, algos=("bc", "td3_bc", "iql")
                ) -> list[str]:
    device = _device()
    m = ds.metadata
    buf = to_device(ds, device)
    lines = []
    for name in algos:
        cls = ALGOS[name]
        extra = {"level": "transition"} if name == "bc" else {}
        cfg = cls.config_cls(batch_size=batch, device=device, **extra)
        single = cls(cfg, m.obs_dim, m.act_dim)
        single.prepare(ds)
        stacked = STACKED[name](cfg, list(range(seeds)), m.obs_dim, m.act_dim)
        stacked.prepare(ds)
        gen = make_generator(0, device)
        variants = {"one": lambda: single.update(buf.sample_transitions(batch, gen)),
                    "stacked": lambda: stacked.update(stacked.sample(buf))}
        rates = compare(variants, window=window, repeats=repeats, sync=_sync(device))
        cost = rates["one"] / rates["stacked"]
        lines.append(
            f"seeds       {name} transition step, batch {batch}: one seed {rates['one']:.0f} "
            f"steps/s; {seeds} seeds stacked in one process {rates['stacked']:.0f} steps/s "
            f"({rates['stacked'] * seeds:.0f} seed-steps/s), cost {cost:.2f}x one seed"
            f"{_compiled_note(name, cfg, seeds, ds, buf, window, repeats, device)} "
            f"[{machine}, {device}]")
    return lines
