"""The transfer map as a kind of run: the same pairs and seeds for each network of [study] networks, all in one
plan, so progress, the run store, checkpoints and resume see one run."""

from __future__ import annotations

from pathlib import Path

import msgspec

from engine.config import ExperimentConfig, NetworkConfig, config_to_dict
from engine.config.presets import study_networks
from engine.data.fashion_mnist import Dataset
from engine.errors import ConfigError
from engine.execution.plan import PlanCursor
from engine.kinds import RunContext, RunOptions
from engine.progress import PlannedPhase, RunPlanned
from engine.results.experiment import ExperimentResult
from engine.results.pair_map import MapResult
from engine.runtime import device_name
from engine.storage.model_cache import ModelACache
from engine.studies.experiment import Prepared, prepare_experiment, run_prepared
from engine.studies.experiment import cut_kind as cut_experiment
from engine.trains import Network


def _prepared(
    config: ExperimentConfig, dataset: Dataset, cache: ModelACache | None, indexed: bool
) -> list[tuple[str, Prepared]]:
    """Each network's experiment, prepared, its plan entries named by the network."""
    return [
        (
            name,
            prepare_experiment(
                with_network(config, net), dataset, model_a_cache=cache, trains=Network(name), indexed=indexed
            ),
        )
        for name, net in study_networks(config)
    ]


def with_network(config: ExperimentConfig, network: NetworkConfig) -> ExperimentConfig:
    return msgspec.structs.replace(config, network=network)


def run_kind(config: ExperimentConfig, dataset: Dataset, context: RunContext) -> MapResult:
    """Every network's experiment over the config's pairs and seeds; a stop keeps what finished."""
    cache = ModelACache() if context.options.use_cache else None
    prepared = _prepared(config, dataset, cache, context.indexed)
    cursor = PlanCursor([planned for _, one in prepared for planned in one.plan])
    context.listener(RunPlanned(tuple(cursor.plan)))
    results: dict[str, ExperimentResult] = {}
    status = "finished"
    for name, one in prepared:
        save_dir = Path(context.run_dir) / name if context.options.save_models else None
        result = run_prepared(
            one, dataset, cursor, context.listener, context.stop, save_dir, context.checkpoints, cache
        )
        results[name] = result
        if result.status == "cancelled":
            status = "cancelled"
            break
    return MapResult(config_to_dict(config), results, status, device_name(config.run.precision))


def plan_kind(config: ExperimentConfig, dataset: Dataset, _options: RunOptions, indexed: bool) -> list[PlannedPhase]:
    """The plan of a unit on a cluster (no model A from the cache)."""
    return [planned for _, one in _prepared(config, dataset, None, indexed) for planned in one.plan]


def unit_words(config: ExperimentConfig) -> str:
    """A unit of a map trains one network."""
    return study_networks(config)[0][0]


def cut_kind(config: ExperimentConfig, workers: int) -> list[tuple[ExperimentConfig, bool]]:
    """Units: each network's experiment cut as an experiment is, a unit keeping its one network as a map."""
    networks = study_networks(config)
    entries = config.study.networks or (config.network,)
    if [name for name, _ in networks] != [entry if isinstance(entry, str) else entry.kind for entry in entries]:
        raise ConfigError.about("study.networks", "names one kind of network twice; on a cluster, map them in two runs")
    units = []
    for entry, (_, net) in zip(entries, networks, strict=True):
        study = msgspec.structs.replace(config.study, networks=(entry,) if config.study.networks else ())
        for part, _ in cut_experiment(with_network(config, net), workers):
            units.append((msgspec.structs.replace(part, study=study), True))
    return units
