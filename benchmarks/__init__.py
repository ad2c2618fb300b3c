"""What makes curatedrl a benchmark: its suites and schedules (``suites/``), the sweeps that run
their cells (``sweeps/``), the results tree, statistics, leaderboard and site (``leaderboard/``),
and the speed and fidelity figures (``speed/``)."""
