"""Execution: the plan of a run and the runners that follow it (one seed at a time, or populations)."""
