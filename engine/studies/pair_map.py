"""The transfer map as a kind of run: the same pairs and seeds for each network of [study] networks, all in one
plan, so progress, the run store, checkpoints and resume see one run."""

from __future__ import annotations

from pathlib import Path

import msgspec

from engine.config import ExperimentConfig, config_to_dict
from engine.config.presets import study_networks
from engine.data.fashion_mnist import Dataset
from engine.execution.plan import PlanCursor
from engine.kinds import RunContext
from engine.progress import RunPlanned
from engine.results.experiment import ExperimentResult
from engine.results.pair_map import MapResult
from engine.runtime import device_name
from engine.storage.model_cache import ModelACache
from engine.studies.experiment import prepare_experiment, run_prepared


def run_kind(config: ExperimentConfig, dataset: Dataset, context: RunContext) -> MapResult:
    """Every network's experiment over the config's pairs and seeds; a stop keeps what finished."""
    cache = ModelACache() if context.options.use_cache else None
    networks = study_networks(config)
    prepared = [
        prepare_experiment(msgspec.structs.replace(config, network=net), dataset, model_a_cache=cache, variant=name)
        for name, net in networks
    ]
    cursor = PlanCursor([planned for one in prepared for planned in one.plan])
    context.listener(RunPlanned(tuple(cursor.plan)))
    results: dict[str, ExperimentResult] = {}
    status = "finished"
    for (name, _), one in zip(networks, prepared, strict=True):
        save_dir = Path(context.run_dir) / name if context.options.save_models else None
        result = run_prepared(
            one, dataset, cursor, context.listener, context.stop, save_dir, context.checkpoints, cache
        )
        results[name] = result
        if result.status == "cancelled":
            status = "cancelled"
            break
    return MapResult(config_to_dict(config), results, status, device_name())
