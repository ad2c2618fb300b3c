"""curatedrl: an offline-RL benchmark suite for BC, filtered BC and importance-weighted BC.

The repository root is this package (see setup.cfg); import submodules as ``curatedrl.datasets``,
``curatedrl.envs``, ``curatedrl.algos`` and ``curatedrl.benchmarks``.
"""

__version__ = "0.1.0"
