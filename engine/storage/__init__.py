"""Storage: the run store (SQLite), checkpoints, the model A cache and TensorBoard logs."""
