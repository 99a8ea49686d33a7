"""Where a run's units train: in this process (the default), or on a Ray cluster. The rest of the engine asks
`executor_for(config)` and never knows which."""

from __future__ import annotations

from typing import Protocol

from engine.config import ExperimentConfig
from engine.data.fashion_mnist import Dataset
from engine.kinds import RunContext, RunKind
from engine.results.protocol import RunResult


class Executor(Protocol):
    def check(self, config: ExperimentConfig) -> None:
        """Raise a UserError now, before anything is recorded or trained, if the run cannot start there."""
        ...

    def run(self, kind: RunKind, config: ExperimentConfig, dataset: Dataset, context: RunContext) -> RunResult:
        """Run `kind` with `config`: progress to `context.listener`, checkpoints and models in its folder."""
        ...


class InProcess:
    """Every population trains here, one after another, in the engine thread."""

    def check(self, config: ExperimentConfig) -> None:
        """Nothing to check: this process is here."""

    def run(self, kind: RunKind, config: ExperimentConfig, dataset: Dataset, context: RunContext) -> RunResult:
        return kind.start(config, dataset, context)


class OnRay:
    """The run cut into units that train as Ray tasks on the cluster [cluster] address names."""

    def check(self, config: ExperimentConfig) -> None:
        """Ray installed, the cluster reachable, and a node that fits a unit."""
        from engine.execution.ray_executor import capacity, connect

        capacity(connect(config.cluster), config.cluster)

    def run(self, kind: RunKind, config: ExperimentConfig, dataset: Dataset, context: RunContext) -> RunResult:
        from engine.execution.ray_executor import run_on_cluster

        return run_on_cluster(kind, config, dataset, context)


def executor_for(config: ExperimentConfig) -> Executor:
    return OnRay() if config.cluster.address else InProcess()
