"""One training run: the train loop (one seed or N stacked), its run directory, checkpoints and
journal, locks, schemas of what it writes, and the stage-1 reference cache."""
