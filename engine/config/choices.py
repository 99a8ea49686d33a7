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
# auto: drawn per seed in a tuning, a map of networks over pairs and a race over tasks (where B's sample is one of
# the sources of variance a reading over seeds must cover), the first N elsewhere (the notebook's design); resolved
# by the kind of run when it starts
B_SAMPLES: tuple[str, ...] = ("auto", "first", "random")
# a tuning's (and a budget race's) trials: the same Sobol draws for every seed, or drawn afresh for each seed
DRAWS: tuple[str, ...] = ("per_seed", "shared")
VALIDATION_SETS: tuple[str, ...] = ("first", "last")
TRANSFER_SOURCES: tuple[str, ...] = ("a", "b")  # reuse model A's layers, or this seed's B from scratch (selffer)
# Yosinski et al. 2014: AnB reuses A's first n layers frozen, BnB the scratch B's (selffer control); "+" fine-tunes
TREATMENTS: tuple[str, ...] = ("AnB", "AnB+", "BnB", "BnB+")
TUNE_ARMS: tuple[str, ...] = ("scratch", "transfer")  # B from scratch and B on A, each tuned at an equal budget
# what the matmuls and convolutions compute in: bfloat16 and float16 keep weights, optimizer state, loss and metrics
# float32 (float16 scales each member's loss); "auto" is resolved when a run starts (engine.hardware.auto_precision)
COMPUTE_PRECISIONS: tuple[str, ...] = ("float32", "bfloat16", "float16")
PRECISIONS: tuple[str, ...] = (*COMPUTE_PRECISIONS, "auto")
