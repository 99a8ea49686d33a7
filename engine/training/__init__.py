"""Training: one model or one population through one phase; optimizers, seeds and each model's start."""
