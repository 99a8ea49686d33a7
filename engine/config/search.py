"""The trials of a tuning: points of a scrambled Sobol sequence (scipy.stats.qmc), one coordinate per searched
value, mapped onto each value's range. The draws depend on the search space, `draw_seed` and, with
`tune.draws = "per_seed"` (the default), the run's seed: each seed then tunes its own trials, so that an interval
over seeds covers the search's luck too (Bouthillier et al. 2021); with "shared" every seed tunes the same ones."""

from __future__ import annotations

import warnings

import numpy as np

from engine.config.arms import REUSED_LAYERS, SCRATCH
from engine.config.optimizers import OPTIMIZER_SPECS
from engine.config.schema import Dimension, ExperimentConfig, SearchSpace

ONE_SHOT = -1  # the trial number of an arm's own configuration as the notebook runs it, outside the budget
Values = dict[str, float]


def draws_seed(draw_seed: int, draws: str, seed: int) -> int:
    """The scramble of one seed's trials: `draw_seed` itself when every seed shares the draws, else one mixed
    from it and the seed (the same seed always gets the same trials)."""
    if draws == "shared":
        return draw_seed
    return int(np.random.SeedSequence([draw_seed, seed]).generate_state(1)[0])


def trial_values(space: SearchSpace, budget: int, draw_seed: int) -> list[dict[str, float]]:
    """`budget` trials, each a value for every name of `space`, in the space's order."""
    from scipy.stats import qmc

    names = list(space)
    sampler = qmc.Sobol(d=len(names), scramble=True, seed=draw_seed)
    with warnings.catch_warnings():  # a budget that is not a power of two loses some of Sobol's balance, not its use
        warnings.simplefilter("ignore", UserWarning)
        points = sampler.random(budget)
    return [{name: space[name].value_at(float(u)) for name, u in zip(names, point, strict=True)} for point in points]


def edges(space: SearchSpace, values: dict[str, float]) -> tuple[str, ...]:
    """The values at the edge of their range, in words: 'learning_rate at the top of [0.0001, 0.1]'."""
    found = []
    for name, value in values.items():
        side = space[name].edge_of(value)
        if side is not None:
            found.append(f"{name} {value:.3g} at the {side} of [{space[name].low:g}, {space[name].high:g}]")
    return tuple(found)


def arm_trials(config: ExperimentConfig, arm: str, seed: int) -> list[tuple[int, Values]]:
    """An arm's trials for `seed` as (number, values): the budget's draws, then the notebook's own configuration."""
    tune, transfer = config.tune, config.transfer
    scramble = draws_seed(tune.draw_seed, tune.draws, seed)
    drawn = list(enumerate(trial_values(tune.space_of(arm), tune.budget, scramble)))
    if arm == SCRATCH:
        return [*drawn, (ONE_SHOT, {"learning_rate": transfer.scratch_learning_rate})]
    ratio = transfer.unfrozen_learning_rate / transfer.frozen_learning_rate
    notebook = {
        "learning_rate": transfer.frozen_learning_rate,
        "frozen_epochs": float(transfer.frozen_epochs),
        "fine_tune_ratio": ratio,
    }
    if REUSED_LAYERS in tune.space_of(arm):
        notebook[REUSED_LAYERS] = float(config.reused_layers)
    return [*drawn, (ONE_SHOT, notebook)]


EPSILON_TUNED = ("RMSprop", "Adam", "Adamax", "Nadam", "AdamW")  # as Choi et al. 2019 tune it


def optimizer_space(name: str, extended: bool) -> SearchSpace:
    """An optimizer's search space at an equal budget: its learning rate log-uniform over [1e-5, 1]; for momentum
    and Nesterov, 1 - momentum log-uniform over [1e-3, 0.3]; `extended`: epsilon over [1e-10, 1] too, for
    RMSProp and the Adam family."""
    class_name, spec = OPTIMIZER_SPECS[name]
    space = {"learning_rate": Dimension(dist="log", low=1e-5, high=1.0)}
    if "momentum" in spec:
        space["one_minus_momentum"] = Dimension(dist="log", low=1e-3, high=0.3)
    if extended and class_name in EPSILON_TUNED:
        space["epsilon"] = Dimension(dist="log", low=1e-10, high=1.0)
    return space


def optimizer_trials(name: str, extended: bool, budget: int, draw_seed: int) -> list[Values]:
    """An optimizer's trials: drawn over every optimizer's values at once, then kept to its own, so that every
    optimizer gets the same learning rates (and the same momenta where it has one): the trials pair up."""
    every = {**optimizer_space("momentum", extended), **optimizer_space("adam", extended)}
    own = optimizer_space(name, extended)
    return [
        {key: value for key, value in values.items() if key in own} for values in trial_values(every, budget, draw_seed)
    ]


def optimizer_hyperparameters(base: dict, values: Values) -> dict:
    """A trial's hyperparameters: the optimizer's own, with the drawn values in place (1 - momentum read back)."""
    drawn = {("momentum" if name == "one_minus_momentum" else name): value for name, value in values.items()}
    if "one_minus_momentum" in values:
        drawn["momentum"] = 1.0 - values["one_minus_momentum"]
    return {**base, **drawn}
