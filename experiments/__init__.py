"""Experiments over many runs: sweeps of algos × datasets × seeds with their configs and data
sources, the results tree, and the leaderboard, its plots and its web page."""
