"""Names a config may use for activations, initializers and B sampling (kept free of TensorFlow)."""

ACTIVATIONS: tuple[str, ...] = ("selu", "relu", "elu", "leaky_relu", "gelu", "swish", "tanh", "sigmoid", "softplus")
INITIALIZERS: tuple[str, ...] = (
    "lecun_normal",
    "lecun_uniform",
    "glorot_uniform",
    "glorot_normal",
    "he_normal",
    "he_uniform",
)
B_SAMPLES: tuple[str, ...] = ("first", "random")
VALIDATION_SETS: tuple[str, ...] = ("first", "last")
