"""Hyperparameter variants: a run whose config differs from its schedule's in named knobs (a
cell of a schedule's ``variants`` grid, ``benchmarks/suites/cell_config.py``) carries a short
canonical name for them, e.g. ``lr=4e-05,temperature=10``: the knobs sorted by name, each
``key=value``, a number as its shortest exact text (an integral float without ``.0``), a tuple
as its items joined by ``+`` (``percentiles=80+90+95``). The name is the run's ``variant`` field
in config.yaml and final.json and its folder between the dataset and the seed
(``.../<algo>/<dataset>/<variant>/seed<N>``); runs of the default config have none."""

from __future__ import annotations

import re
from typing import Any

from curatedrl.errors import CuratedRLError

MAX_LENGTH = 120
NAME_PATTERN = re.compile(r"[a-z_][a-z0-9_]*=[A-Za-z0-9_.+-]+(,[a-z_][a-z0-9_]*=[A-Za-z0-9_.+-]+)*")


def value_text(value: Any) -> str:
    """One knob's value as the variant name writes it."""
    if isinstance(value, (list, tuple)):
        return "+".join(value_text(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def variant_name(values: dict[str, Any]) -> str:
    """The canonical name of the knobs ``values`` (key -> value)."""
    name = ",".join(f"{k}={value_text(values[k])}" for k in sorted(values))
    problem = name_problem(name)
    if problem:
        raise CuratedRLError(f"variant {name!r}: {problem}")
    return name


def name_problem(name: Any) -> str | None:
    """What makes ``name`` no variant name (it is also a folder name), or None."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        return ("a variant name is key=value pairs joined by commas, keys in lower case, "
                "values of letters, digits and . _ + -")
    if len(name) > MAX_LENGTH:
        return f"a variant name is at most {MAX_LENGTH} characters"
    return None


def check_variant(name: str, cfg) -> None:
    """Refuse (one line) a variant name that is not canonical or does not match ``cfg``: every
    knob it names must be a field of the config with that value."""
    problem = name_problem(name)
    if problem:
        raise CuratedRLError(f"--variant {name!r}: {problem}")
    pairs = dict(p.split("=", 1) for p in name.split(","))
    for key, text in pairs.items():
        if not hasattr(cfg, key):
            raise CuratedRLError(f"--variant {name!r} names {key!r}, which is not a config field "
                                 f"of {type(cfg).__name__}")
        if value_text(getattr(cfg, key)) != text:
            raise CuratedRLError(f"--variant {name!r} says {key}={text}, but the config has "
                                 f"{key}={value_text(getattr(cfg, key))}; set it with --set "
                                 f"{key}=... or name the variant after the config")
    if variant_name({k: getattr(cfg, k) for k in pairs}) != name:
        raise CuratedRLError(f"--variant {name!r} is not in canonical form: write it "
                             f"{variant_name({k: getattr(cfg, k) for k in pairs})!r}")
