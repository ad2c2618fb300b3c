"""The committed results tree and what is read from it: admission, statistics, paired claims,
the leaderboard's sections, LEADERBOARD.md, the static site, its plots, and published scores."""
