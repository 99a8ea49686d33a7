"""The networks: plain Keras models, model files, and populations (P networks stacked on a member axis)."""
