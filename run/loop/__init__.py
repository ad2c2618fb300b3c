"""The training loop: one seed (``train``) or N stacked (``train_stacked``), the stage-1 reference
policy it trains once and caches (``reference``), and its progress display."""
