"""The phases of one transfer experiment, in the order they run for each seed."""

MODEL_A = "model_a"
B_FROZEN = "b_frozen"
B_FINETUNE = "b_finetune"
B_SCRATCH = "b_scratch"


PHASE_TITLES = {
    MODEL_A: "Model A",
    B_FROZEN: "B on A, frozen",
    B_FINETUNE: "B on A, fine-tune",
    B_SCRATCH: "B from scratch",
}

# Stable small integers that, with the seed and the epoch, name each phase's data order.
PHASE_CODES = {MODEL_A: 1, B_FROZEN: 2, B_FINETUNE: 3, B_SCRATCH: 4}


def frozen_layers(phase: str, reused: int, fine_tune: bool) -> int:
    """How many of its first hidden layers a model that reuses `reused` of them keeps frozen in `phase`: all in the
    frozen phase, and after it too unless they are fine-tuned; none in any other phase. The one rule every trainer
    follows (the experiment's, the layer sweep's cells, a tuning's arms)."""
    if phase == B_FROZEN or (phase == B_FINETUNE and not fine_tune):
        return reused
    return 0
