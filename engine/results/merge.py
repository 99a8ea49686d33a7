"""Runs of one experiment done in parts put together as the run that would have done it all: a map (or a tuning
over pairs, the fair map) too long for one sitting (or one machine) is run a few pairs at a time, a result with
more seeds is run a few seeds at a time. The parts must agree in everything but their pairs or their seeds, so
the whole is one experiment."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.config import config_to_dict
from engine.config.differences import differing_keys
from engine.errors import ConfigError
from engine.results.experiment import ExperimentResult, pairs_of
from engine.results.pair_map import MapResult
from engine.results.protocol import RunResult, settings_of
from engine.results.tune import TuneResult

# results of cells pairs x seeds
MERGEABLE = {ExperimentResult: "transfer experiment", MapResult: "transfer map", TuneResult: "tuning"}
PAIR_KEYS = ("split.b_classes", "split.extra_pairs")
SEED_KEYS = ("run.seeds",)
# where a part ran and how its members were grouped, not what it computed (the data is checked wherever it lies)
HOW_KEYS = ("data.dir", "run.population_memory_gb")


@dataclass(frozen=True)
class Part:
    """One run to merge: `source` names it in messages (a run id or a file)."""

    source: str
    config: dict[str, Any]
    result: RunResult

    @property
    def title(self) -> str:
        return MERGEABLE.get(type(self.result), "run that does not merge")


def exported_result(data: Any) -> RunResult | None:
    """An exported JSON result read back (`runs export --format json`, `run --json`, `study --json`), if it is
    of a kind that merges: a map lists its networks, a tuning its trials, an experiment its seeds; None for anything
    else."""
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        return None
    if isinstance(data.get("networks"), dict):
        result_type = MapResult
    elif isinstance(data.get("trials"), list):
        result_type = TuneResult
    elif isinstance(data.get("seeds"), list):
        result_type = ExperimentResult
    else:
        return None
    try:
        return result_type.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return None


def merged_config(parts: list[Part]) -> dict[str, Any]:
    """The config of the whole: the first part's, with every part's pairs (or seeds) in the order given; a one-line
    error when the parts are not shares of one experiment."""
    if len(parts) < 2:
        raise ConfigError("merging needs at least two runs")
    first = parts[0]
    sources = [part.source for part in parts]
    for part in parts:
        if sources.count(part.source) > 1:
            raise ConfigError(f"{part.source} is given twice")
        if type(part.result) not in MERGEABLE:
            raise ConfigError(f"{part.source} is not a transfer experiment, map or tuning; only those merge")
        if type(part.result) is not type(first.result):
            raise ConfigError(f"{first.source} is a {first.title} but {part.source} is a {part.title}")
        if part.result.status != "finished":
            raise ConfigError(f"{part.source} ended {part.result.status}; only finished runs merge (resume it first)")
    # each part's config as the schema reads it: a part made by an earlier version, which lacks a key added since,
    # reads as that version ran (settings_of), not as differing from a part that has the key
    configs = [config_to_dict(settings_of(part.config)) for part in parts]
    for part, config in zip(parts[1:], configs[1:], strict=True):
        different = [
            key
            for key in differing_keys(configs[0], config)
            if key not in PAIR_KEYS + SEED_KEYS + HOW_KEYS and not key.startswith("cluster.")
        ]
        if different:
            raise ConfigError(
                f"{first.source} and {part.source} differ in {', '.join(different)}; "
                "only runs that differ in their pairs or their seeds merge"
            )
    pairs = [pairs_of(part.config) for part in parts]
    seeds = [list(settings_of(part.config).run.seeds) for part in parts]
    if all(set(p) == set(pairs[0]) for p in pairs):
        every_seed = _disjoint(seeds, parts, "seed", str)
        return {**configs[0], "run": {**configs[0]["run"], "seeds": every_seed}}
    if all(s == seeds[0] for s in seeds):
        every_pair = _disjoint(pairs, parts, "pair", lambda pair: f"{pair[0]},{pair[1]}")
        split = {
            **configs[0]["split"],
            "b_classes": list(every_pair[0]),
            "extra_pairs": [list(p) for p in every_pair[1:]],
        }
        return {**configs[0], "split": split}
    raise ConfigError("the runs must have the same seeds and different pairs, or the same pairs and different seeds")


def _disjoint(lists: list[list], parts: list[Part], what: str, spelled) -> list:
    """Every item of `lists` in order; an error naming the first item two parts share."""
    every: list = []
    owner: dict = {}
    for items, part in zip(lists, parts, strict=True):
        for item in items:
            if item in owner:
                raise ConfigError(f"{owner[item]} and {part.source} both ran {what} {spelled(item)}")
            owner[item] = part.source
            every.append(item)
    return every


def with_models_here(result: RunResult) -> tuple[RunResult, int]:
    """`result` listing only the model files that exist on this machine, and how many it left out: a part
    exported on another machine names files that are not on this one."""
    if isinstance(result, MapResult):
        kept = {name: with_models_here(one) for name, one in result.results.items()}
        missing = sum(count for _, count in kept.values())
        return dataclasses.replace(result, results={name: one for name, (one, _) in kept.items()}), missing
    if not isinstance(result, ExperimentResult):
        return result, 0
    seeds = [
        dataclasses.replace(r, model_files={role: path for role, path in r.model_files.items() if Path(path).exists()})
        for r in result.seeds
    ]
    return dataclasses.replace(result, seeds=seeds), len(result.model_files()) - sum(len(r.model_files) for r in seeds)


def merged_result(parts: list[Part]) -> tuple[dict[str, Any], RunResult]:
    """The config and result of the whole, as one run over every part's pairs and seeds would report them."""
    config = merged_config(parts)
    return config, type(parts[0].result).merged(config, [part.result for part in parts])
