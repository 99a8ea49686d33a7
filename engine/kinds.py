"""The kinds of run, each declared once: what runs it, what it produces, and which views show it.

The run store, the CLI, the app's engine thread, History, compare and exports ask here (or ask the result
itself: its summary line and export rows) instead of branching on the kind. Adding a kind means one entry
below plus its own modules: the study that runs it and the result type it produces.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.config import ExperimentConfig
from engine.data.fashion_mnist import Dataset
from engine.errors import ConfigError
from engine.progress import Listener, StopToken, ignore
from engine.results.experiment import ExperimentResult
from engine.results.leaderboard import LeaderboardResult
from engine.results.pair_map import MapResult
from engine.results.protocol import RunResult
from engine.results.study import StudyResult


@dataclass(frozen=True)
class RunOptions:
    """How a run was started beyond its config, kept in the run store so `runs resume` starts it the same way."""

    model_a: str | None = None  # the user's model A file, instead of training one
    save_models: bool = True
    use_cache: bool = True  # reuse a model A trained before with the same settings
    tensorboard: str | None = None  # a folder for TensorBoard logs

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunOptions:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{name: value for name, value in values.items() if name in names})


@dataclass(frozen=True)
class RunContext:
    """Everything a run needs besides its config and data: where progress goes, the stop request, its folder."""

    run_dir: Path
    listener: Listener = ignore
    stop: StopToken = field(default_factory=StopToken)
    checkpoints: Any = None  # engine.storage.checkpoints.Checkpoints: every phase resumes from and saves to it
    options: RunOptions = field(default_factory=RunOptions)
    indexed: bool = False  # a unit cut from a run over several pairs: its pairs train as that run trains them


@dataclass(frozen=True)
class RunKind:
    """One kind of run. `module` names the study module that runs it, imported only when a run starts, because
    it imports TensorFlow (results read back without it). The module has `run_kind` (train in this process),
    and for a cluster `plan_kind` (the plan, before any training) and `cut_kind` (the units); the result type
    has `merged` (the units' results put together)."""

    name: str  # as the run store records it
    title: str
    result_type: type
    module: str
    view: str  # the app view that shows its results, and the report the CLI prints
    live_view: str  # the app view that shows it while it runs
    trains_b: Callable[[ExperimentConfig], bool] = lambda _config: True  # whether task B's split must fit the data

    def start(self, config: ExperimentConfig, dataset: Dataset, context: RunContext) -> RunResult:
        return self.study().run_kind(config, dataset, context)

    def study(self) -> Any:
        """The study module (imports TensorFlow)."""
        return importlib.import_module(self.module)

    def result_from(self, data: dict[str, Any]) -> RunResult:
        """A stored result read back."""
        return self.result_type.from_dict(data)


EXPERIMENT = RunKind(
    name="experiment",
    title="transfer experiment",
    result_type=ExperimentResult,
    module="engine.studies.experiment",
    view="results",
    live_view="run",
)
LEADERBOARD = RunKind(
    name="leaderboard",
    title="optimizer leaderboard",
    result_type=LeaderboardResult,
    module="engine.studies.leaderboard",
    view="leaderboard",
    live_view="leaderboard",
    trains_b=lambda config: config.leaderboard.task in ("b_scratch", "b_on_a"),
)
STUDY = RunKind(
    name="study",
    title="layer sweep",
    result_type=StudyResult,
    module="engine.studies.sweep",
    view="study",
    live_view="study",
)
MAP = RunKind(
    name="map",
    title="transfer map",
    result_type=MapResult,
    module="engine.studies.pair_map",
    view="results",
    live_view="run",
)
KINDS: dict[str, RunKind] = {kind.name: kind for kind in (EXPERIMENT, LEADERBOARD, STUDY, MAP)}


def kind_named(name: str) -> RunKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ConfigError(f"unknown kind of run {name!r}; known: {', '.join(KINDS)}") from None


def kind_of(result: RunResult) -> RunKind:
    """The kind that produced `result`."""
    return next(kind for kind in KINDS.values() if isinstance(result, kind.result_type))


def kind_for(config: ExperimentConfig, asked: str) -> RunKind:
    """What a config runs as, for the CLI's commands and the app's keys alike (`asked`: "run", "study" or
    "leaderboard"). Running maps transfer over the pairs for each network when [study] networks names several;
    a study maps transfer over several pairs or networks, and sweeps the layers of one pair and network."""
    several_networks = len(config.study.networks) > 1
    if asked == "leaderboard":
        return LEADERBOARD
    if asked == "run":
        return MAP if several_networks else EXPERIMENT
    if asked == "study":
        return MAP if several_networks or len(config.split.pairs) > 1 else STUDY
    raise ValueError(f"unknown command {asked!r}")
