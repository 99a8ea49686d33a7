"""The data: Fashion-MNIST read and checked, and the split into tasks A and B (its class names: engine/classes.py)."""
