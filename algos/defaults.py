"""What each config field defaults to for every registered algorithm, as one line of help text
(``curatedrl train --help``), read from the config dataclasses themselves."""

from __future__ import annotations

from curatedrl.algos import ALGOS


def batch_unit(algo: str) -> str:
    """What ``batch_size`` counts by default: whole episodes (the BC family at episode level) or
    transitions (the baselines; bc with ``level=transition``)."""
    from curatedrl.algos.bc import ActorLearner

    cfg = ALGOS[algo].config_cls()
    episodes = issubclass(ALGOS[algo], ActorLearner) and getattr(cfg, "level", "episode") == \
        "episode"
    return "episodes" if episodes else "transitions"


def _value(algo: str, field: str) -> str:
    cfg = ALGOS[algo].config_cls()
    value = getattr(cfg, field)
    text = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
    if field == "batch_size":
        text += f" {batch_unit(algo)}"
    if field == "steps" and getattr(cfg, "ref_steps", 0):
        text += f" (+ {cfg.ref_steps:,} stage 1)"
    return text


def per_algo(field: str) -> str:
    """``bc 128 episodes; filtered_bc, iw_bc 256 episodes; ...``: the algorithms grouped by the
    default of ``field``, in registry order; one value when all agree."""
    groups: dict[str, list[str]] = {}
    for algo in ALGOS:
        groups.setdefault(_value(algo, field), []).append(algo)
    if len(groups) == 1:
        return f"{next(iter(groups))} for every algorithm"
    return "; ".join(f"{', '.join(algos)} {value}" for value, algos in groups.items())
