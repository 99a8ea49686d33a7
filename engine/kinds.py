"""The kinds of run, each declared once: what runs it and what it produces (which app views show it is the
interface's business: tui/kinds.py).

The run store, the CLI, the app's engine thread, History, compare and exports ask here (or ask the result
itself: its summary line and export rows) instead of branching on the kind. Adding a kind means one entry
below plus its own modules: the study that runs it and the result type it produces.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import msgspec

from engine.config import ExperimentConfig
from engine.config.race import B_TASKS, is_race, race_tasks
from engine.data.fashion_mnist import Dataset
from engine.errors import ConfigError
from engine.progress import Listener, PlannedPhase, StopToken, ignore
from engine.results.experiment import ExperimentResult
from engine.results.leaderboard import LeaderboardResult
from engine.results.pair_map import MapResult
from engine.results.protocol import ResultType, RunResult
from engine.results.race import RaceResult
from engine.results.study import StudyResult
from engine.results.tune import TuneResult
from engine.results.variance import sources_line

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """How a run was started beyond its config, kept in the run store so `runs resume` starts it the same way."""

    model_a: str | None = None  # the user's model A file, instead of training one
    save_models: bool = True
    use_cache: bool = True  # reuse a model A trained before with the same settings
    tensorboard: str | None = None  # a folder for TensorBoard logs

    INPUT_FILES = ("model_a",)  # the options that name a file the run reads (a cluster ships them to its units)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def input_files(self) -> dict[str, Path]:
        """The files the run reads, by option name (those set)."""
        return {name: Path(getattr(self, name)) for name in self.INPUT_FILES if getattr(self, name)}

    def for_unit(self, files: dict[str, Path]) -> RunOptions:
        """These options on a cluster's worker: the input files where the unit wrote them, no model A cache (a
        worker's disk is not ours) and no TensorBoard logs (the driver writes them from the events)."""
        paths = {name: str(path) for name, path in files.items()}
        return dataclasses.replace(self, use_cache=False, tensorboard=None, **paths)

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


class Study(Protocol):
    """What a kind's study module provides (a module satisfies it)."""

    def run_kind(self, config: ExperimentConfig, dataset: Dataset, context: RunContext) -> RunResult:
        """Train the run in this process."""
        ...

    def plan_kind(
        self, config: ExperimentConfig, dataset: Dataset, options: RunOptions, indexed: bool
    ) -> list[PlannedPhase]:
        """The plan of a unit, before any training (for a cluster's driver), with the unit's options."""
        ...

    def cut_kind(self, config: ExperimentConfig, workers: int) -> list[tuple[ExperimentConfig, bool]]:
        """The run cut into units: each a config and whether its pairs train indexed, as the whole run's do."""
        ...

    def unit_words(self, config: ExperimentConfig) -> str:
        """What tells a unit apart besides its pairs and seeds ('' if nothing): its optimizers, its network."""
        ...


@dataclass(frozen=True)
class RunKind:
    """One kind of run. `module` names its Study module, imported only when a run starts, because it imports
    TensorFlow (results read back without it); `result_type` reads results back and merges units' results."""

    name: str  # as the run store records it
    title: str
    result_type: ResultType
    module: str
    trains_b: Callable[[ExperimentConfig], bool] = lambda _config: True  # whether task B's split must fit the data
    # where split.b_sample is "auto": whether each seed draws its own B images (else the first N, as the notebook);
    # by kind, not by the number of pairs, so that a run done in parts a pair at a time merges into the whole
    draws_b_per_seed: bool = False

    def prepared(self, config: ExperimentConfig) -> ExperimentConfig:
        """`config` as this kind runs it and the run store records it: an "auto" B sample resolved."""
        split = config.split
        if split.b_sample != "auto":
            return config
        sample = "random" if self.draws_b_per_seed else "first"
        return msgspec.structs.replace(config, split=msgspec.structs.replace(split, b_sample=sample))

    def start(self, config: ExperimentConfig, dataset: Dataset, context: RunContext) -> RunResult:
        """Run it in this process (the CLI's, the app's engine thread, a cluster's unit), deterministic as asked."""
        from engine.runtime import set_determinism

        note = set_determinism(config.run.deterministic)
        if note:
            log.warning(note)
        return self.study().run_kind(config, dataset, context)

    def study(self) -> Study:
        """The study module (imports TensorFlow)."""
        return importlib.import_module(self.module)  # type: ignore[return-value]

    def result_from(self, data: dict[str, Any]) -> RunResult:
        """A stored result read back."""
        return self.result_type.from_dict(data)


EXPERIMENT = RunKind(
    name="experiment",
    title="transfer experiment",
    result_type=ExperimentResult,
    module="engine.studies.experiment",
)
LEADERBOARD = RunKind(
    name="leaderboard",
    title="optimizer leaderboard",
    result_type=LeaderboardResult,
    module="engine.studies.leaderboard",
    trains_b=lambda config: config.leaderboard.task in ("b_scratch", "b_on_a"),
)
STUDY = RunKind(
    name="study",
    title="layer sweep",
    result_type=StudyResult,
    module="engine.studies.sweep",
)
MAP = RunKind(
    name="map",
    title="transfer map",
    result_type=MapResult,
    module="engine.studies.pair_map",
    draws_b_per_seed=True,
)
TUNE = RunKind(
    name="tune",
    title="tuning at an equal budget",
    result_type=TuneResult,
    module="engine.studies.tune",
    draws_b_per_seed=True,
)
RACE = RunKind(
    name="race",
    title="optimizer race over tasks",
    result_type=RaceResult,
    module="engine.studies.race",
    trains_b=lambda config: any(name in B_TASKS for name, _ in race_tasks(config)),
    draws_b_per_seed=True,
)
KINDS: dict[str, RunKind] = {kind.name: kind for kind in (EXPERIMENT, LEADERBOARD, STUDY, MAP, TUNE, RACE)}


def kind_named(name: str) -> RunKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ConfigError(f"unknown kind of run {name!r}; known: {', '.join(KINDS)}") from None


def kind_of(result: RunResult) -> RunKind:
    """The kind that produced `result`."""
    return next(kind for kind in KINDS.values() if isinstance(result, kind.result_type))


def variance_line(result: RunResult) -> str:
    """Which sources of variance `result`'s intervals cover and which it held fixed, for its kind: every report
    ends with it."""
    return sources_line(result.settings, kind_of(result).name)


def kind_for(config: ExperimentConfig, asked: str) -> RunKind:
    """What a config runs as, for the CLI's commands and the app's keys alike (`asked`: "run", "study",
    "leaderboard" or "tune"). A leaderboard over several pairs or tasks is a race over tasks. Running maps
    transfer over the pairs for each network when [study] networks names several; a study maps transfer over
    several pairs or networks, and sweeps the layers of one pair and network."""
    several_networks = len(config.study.networks) > 1
    if asked == "leaderboard":
        return RACE if is_race(config) else LEADERBOARD
    if asked == "tune":
        return TUNE
    if asked == "run":
        return MAP if several_networks else EXPERIMENT
    if asked == "study":
        return MAP if several_networks or len(config.split.pairs) > 1 else STUDY
    raise ValueError(f"unknown command {asked!r}")
