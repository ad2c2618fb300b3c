"""Sweeps of algos × datasets × seeds: the cells, whether they are done, and the ``curatedrl
train`` processes that run them (locally or on Ray)."""
