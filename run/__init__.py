"""One training run, grouped by what a reader looks for: the loop (``loop/``: one seed or N
stacked, the stage-1 reference cache), the run directory and its records (``records/``:
checkpoints, journal, run state), and safety (``safety/``: locks, schemas, determinism, resources).
Imports point down: loop → records → safety."""
