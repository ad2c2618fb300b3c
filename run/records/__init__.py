"""The run directory and its records: atomic files (``rundir``), resume checkpoints, the journal
of unfinished rows, the state a directory is in before a run writes to it (``runstate``), and the
files a run writes while it trains (``runrecord``)."""
