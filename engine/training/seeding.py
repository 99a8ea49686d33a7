"""Seeds for each model's initial weights, derived from the run seed and the model's role.

Model A uses the run seed itself, as the notebook does. The others get seeds derived from
(seed, role), so a model's initial weights never depend on what was trained before it.
"""

import numpy as np

from engine.phases import MODEL_A, PHASE_CODES


def model_seed(seed: int, role: str) -> int:
    """The seed to pass to keras.utils.set_random_seed before building the model for `role`."""
    if role == MODEL_A:
        return seed
    return int(np.random.SeedSequence([seed, PHASE_CODES[role]]).generate_state(1)[0] % (2**31 - 1))
