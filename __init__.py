"""curatedrl: an offline-RL benchmark suite for BC, filtered BC and importance-weighted BC.

The repository root is this package (see setup.cfg). Its layers, each importing only those below
it: ``cli`` → ``benchmarks`` (suites, sweeps, results, leaderboard, speed figures) → ``run``
(one training run) → ``algos`` → ``datasets`` → ``envs`` → root modules (``errors``,
``provenance``, ``fileio``, ``constants``).
"""

__version__ = "0.1.0"
