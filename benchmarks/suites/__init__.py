"""Suites, schedules and per-(algo, dataset) configs (``configs/``), resolved for one cell, the
data sources a cell trains on, and `make demo`."""
