"""Config values as people type them: `--set section.key=value`, seed lists like 1-10, class pairs like 5,6."""

from __future__ import annotations

import tomllib
from typing import Any

from engine.config.codec import config_from_dict
from engine.config.schema import ExperimentConfig
from engine.data.classes import ALL_PAIRS
from engine.errors import ConfigError


def apply_overrides(config: ExperimentConfig, assignments: list[str]) -> ExperimentConfig:
    """Apply `section.key=value` strings; a value is read as TOML, falling back to a plain string."""
    return config_from_dict(override_values(assignments), config)


def override_values(assignments: list[str]) -> dict[str, dict[str, Any]]:
    """`section.key=value` strings as sections of values, to overlay on a config (config_from_dict)."""
    values: dict[str, dict[str, Any]] = {}
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        section, dot, name = key.strip().partition(".")
        if not sep or not dot or not name:
            raise ConfigError(f"--set expects section.key=value, got {assignment!r}")
        *parents, leaf = name.split(".")  # leaderboard.hyperparameters.adam.learning_rate=0.01
        table = values.setdefault(section, {})
        for parent in parents:
            table = table.setdefault(parent, {})
        table[leaf] = parse_value(raw.strip())
    return values


def parse_value(raw: str) -> Any:
    """'[300, 100]' -> [300, 100], '1e-3' -> 0.001, 'relu' -> 'relu'."""
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw


def parse_pairs(texts: list[str]) -> tuple[tuple[int, int], ...]:
    """['5,6', '0,2'] -> ((5, 6), (0, 2)), for --b-classes and the app's form; 'all' stands for every pair."""
    pairs = []
    for text in texts:
        if text.strip().lower() == "all":
            pairs += [pair for pair in ALL_PAIRS if pair not in pairs]
            continue
        parts = text.replace(" ", "").split(",")
        try:
            first, second = (int(part) for part in parts)
        except ValueError:
            raise ConfigError(
                f"class pairs look like 5,6 or 0,2; cannot read {text!r}", key="split.b_classes"
            ) from None
        pairs.append((first, second))
    return tuple(pairs)


def parse_seeds(text: str) -> tuple[int, ...]:
    """'42,1,2' or '1-10' or '1-3,42' -> a tuple of seeds, in the order given."""
    return parse_numbers(text, "run.seeds", "seeds")


def parse_numbers(text: str, key: str, what: str) -> tuple[int, ...]:
    """'42,1,2' or '1-10' or '1-3,42' -> a tuple of whole numbers, in the order given; errors name `key`."""
    seeds: list[int] = []
    for part in text.replace(" ", "").split(","):
        start, dash, end = part.partition("-")
        try:
            if dash:
                first, last = int(start), int(end)
                if last < first:
                    raise ValueError
                seeds.extend(range(first, last + 1))
            else:
                seeds.append(int(part))
        except ValueError:
            raise ConfigError(f"{what} must look like 42,1,2 or 1-10; cannot read {part!r}", key=key) from None
    return tuple(seeds)
