"""What keeps a run safe and repeatable: one writer per directory (``lock``), schemas of every
file read back (``schema``), deterministic mode and the non-finite check (``determinism``), and
the device and memory checked before anything is written (``resources``)."""
