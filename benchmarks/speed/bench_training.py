"""Training-speed figures of ``curatedrl bench``.

- ``iwbc``: iw-BC fine-tuning steps/s at the paper's batch (256 whole episodes): the packed
  step (``IWBC.update``, what trains) vs the padded-and-masked reference
  (``benchmarks/speed/padded.py``) on the same sampled episodes and the same networks, on the
  paper's curated strata and on all episodes of the dataset; plus the achieved GFLOP/s of the packed
  step (matmul FLOPs counted by ``torch.utils.flop_counter``).
- ``seeds``: transition-level steps/s at batch 256 of bc and every baseline, one seed (the
  registry's class) vs N seeds stacked in one process (``algos/stacked.py``), and the cost ratio
  (on CUDA also the stacked step through ``torch.compile(mode="reduce-overhead")``).
- ``step``: one gradient step of every offline-RL baseline at its own config's batch (ReBRAC
  1024, the others 256), steps/s and ms per step: what a schedule's training budget costs
  (``benchmarks/suites/configs/schedules/baselines-30k.yaml`` is sized from it).
"""

from __future__ import annotations

import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from curatedrl.algos import ALGOS
from curatedrl.algos.iw_bc import IWBC, IWBCConfig
from curatedrl.algos.stacked import STACKED, stack
from curatedrl.benchmarks.speed.padded import padded_iw_bc_update
from curatedrl.benchmarks.speed.timing import compare
from curatedrl.datasets import EpisodeDataset, make_generator, to_device
from curatedrl.datasets.filters import as_view


def _device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def _sync(device: str):
    return torch.cuda.synchronize if device.startswith("cuda") else None


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
               repeats: int = 2, min_calls: int = 2, device: str | None = None) -> list[str]:
    device = device or _device()
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


def _compiled_note(name, cfg, seeds, ds, buf, window, repeats, device, deadline) -> str:
    """On CUDA only: the stacked step through torch.compile(mode="reduce-overhead"), with its
    compile time; skipped once the figure's compile budget is spent."""
    if not device.startswith("cuda"):
        return ""
    if time.perf_counter() > deadline:
        return "; torch.compile skipped (the figure's compile budget is spent)"
    try:
        m = ds.metadata
        agent = stack(name, cfg, list(range(seeds)), m.obs_dim, m.act_dim)
        agent.prepare(ds)
        agent.compile(mode="reduce-overhead")
        start = time.perf_counter()
        for _ in range(3):
            agent.update(agent.sample(buf))
        torch.cuda.synchronize()
        compile_s = time.perf_counter() - start
        r = compare({"c": lambda: agent.update(agent.sample(buf))}, window=window,
                    repeats=repeats, warmup=3, sync=_sync(device))["c"]
        return (f"; stacked + torch.compile (CUDA graphs) {r:.0f} steps/s after "
                f"{compile_s:.0f} s of compilation")
    except Exception as exc:  # an optional path: report it, keep the eager figures
        return f"; torch.compile path failed: {type(exc).__name__}: {str(exc)[:80]}"


def bench_seeds(ds: EpisodeDataset, machine: str, batch: int = 256, seeds: int = 3,
                window: float = 1.0, repeats: int = 3, algos=STACKED, device: str | None = None,
                compile_budget: float = 90.0) -> list[str]:
    """One seed vs ``seeds`` stacked seeds of each algorithm; on CUDA also the compiled stacked
    step, for as many algorithms as ``compile_budget`` seconds of the figure allow."""
    device = device or _device()
    deadline = time.perf_counter() + compile_budget
    m = ds.metadata
    buf = to_device(ds, device)
    lines = []
    for name in algos:
        cls = ALGOS[name]
        extra = {"level": "transition"} if name == "bc" else {}
        cfg = cls.config_cls(batch_size=batch, device=device, **extra)
        single = cls(cfg, m.obs_dim, m.act_dim)
        single.prepare(ds)
        stacked = stack(name, cfg, list(range(seeds)), m.obs_dim, m.act_dim)
        stacked.prepare(ds)
        gen = make_generator(0, device)
        variants = {"one": lambda: single.update(buf.sample_transitions(batch, gen)),
                    "stacked": lambda: stacked.update(stacked.sample(buf))}
        rates = compare(variants, window=window, repeats=repeats, sync=_sync(device))
        cost = rates["one"] / rates["stacked"]
        lines.append(
            f"seeds       {name} transition step, batch {batch}: one seed {rates['one']:.3g} "
            f"steps/s; {seeds} seeds stacked in one process {rates['stacked']:.3g} steps/s "
            f"({rates['stacked'] * seeds:.3g} seed-steps/s), cost {cost:.2f}x one seed"
            f"{_compiled_note(name, cfg, seeds, ds, buf, window, repeats, device, deadline)} "
            f"[{machine}, {device}]")
    return lines


BASELINES = ("td3_bc", "iql", "awac", "cql", "rebrac")


def bench_step(ds: EpisodeDataset, machine: str, window: float = 2.0, repeats: int = 3,
               batch: int | None = None, device: str | None = None) -> list[str]:
    """Steps/s of each baseline at its config's batch (``batch`` overrides it, for --quick)."""
    device = device or _device()
    m = ds.metadata
    buf = to_device(ds, device)
    variants = {}
    for name in BASELINES:
        cfg = ALGOS[name].config_cls(device=device)
        if batch:
            cfg = ALGOS[name].config_cls(device=device, batch_size=batch)
        agent = ALGOS[name](cfg, m.obs_dim, m.act_dim)
        agent.prepare(ds)
        gen = make_generator(0, device)
        variants[f"{name} (batch {cfg.batch_size})"] = (
            lambda a=agent, g=gen, b=cfg.batch_size: a.update(buf.sample_transitions(b, g)))
    rates = compare(variants, window=window, repeats=repeats, sync=_sync(device))
    cpu = {k: cpu_seconds_per_call(fn, window, _sync(device)) for k, fn in variants.items()}
    parts = [f"{k} {r:.1f} steps/s = {1e3 / r:.1f} ms wall, {1e3 * cpu[k]:.1f} ms CPU"
             for k, r in rates.items()]
    return [f"step        one gradient step of each baseline on {m.dataset_id}: "
            f"{'; '.join(parts)} [{machine}, {device}]"]


def cpu_seconds_per_call(fn, window: float, sync=None) -> float:
    """Process CPU time per call over about ``window`` s of wall time: on a shared machine, what
    a call costs a core of its own (waiting for a core is not counted)."""
    if sync:
        sync()
    start, wall, calls = time.process_time(), time.perf_counter(), 0
    while calls < 2 or time.perf_counter() - wall < window:
        fn()
        calls += 1
    if sync:
        sync()
    return (time.process_time() - start) / calls
