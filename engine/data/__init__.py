"""The data: Fashion-MNIST read and checked, its class names, and the split into tasks A and B."""
