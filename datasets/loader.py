"""``load(spec)``: one entry point for Minari ids and D4RL-format files."""

from __future__ import annotations

from curatedrl.datasets.d4rl import is_d4rl_path, load_d4rl
from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.datasets.minari_io import load_minari
from curatedrl.datasets.validate import check_finite, check_ranges
from curatedrl.errors import CuratedRLError, shown


def load(spec: str, env: str | None = None) -> EpisodeDataset:
    """Load a dataset by Minari id (``namespace/name-vN``) or D4RL-format file path.

    Args:
        spec: a locally stored Minari dataset id, or the path of a ``.hdf5`` file in D4RL format.
        env: for D4RL files whose name does not start with the env (hopper, halfcheetah, walker2d,
            ant), the env family; refused for a Minari id (its dataset names its env).

    Raises:
        CuratedRLError: unknown or malformed id, unreadable file, missing keys, no steps, NaN/inf
            values, actions outside the action space, observations or rewards beyond
            ``validate.MAX_OBS`` / ``MAX_REWARD``.
    """
    if is_d4rl_path(spec):
        ds = load_d4rl(spec, env)
    elif env is not None:
        raise CuratedRLError(f"env {shown(env)} names the env family of a D4RL-format file; "
                             f"{shown(spec)} is a Minari dataset id, and a Minari dataset "
                             f"records its own evaluation env: drop --env (or --set env)")
    else:
        ds = load_minari(spec)
    check_finite(ds)
    check_ranges(ds)
    return ds
