"""What runs say, as Rich renderables, for the terminal and the app alike: the per-run tables, epoch rows and
verdicts (runs), the transfer map (map), a tuning's report (tune)."""
