"""Config values as people type them: `--set section.key=value`, seed lists like 1-10, class pairs like 5,6."""

from __future__ import annotations

import tomllib
from typing import Any

from engine.classes import ALL_PAIRS, CLASS_NAMES
from engine.config.codec import config_from_dict
from engine.config.schema import ExperimentConfig
from engine.errors import ConfigError


def apply_overrides(config: ExperimentConfig, assignments: list[str]) -> ExperimentConfig:
    """Apply `section.key=value` strings; a value is read as TOML, falling back to a plain string."""
    return config_from_dict(override_values(assignments), config)


def override_values(assignments: list[str]) -> dict[str, dict[str, Any]]:
    """`section.key=value` strings as sections of values, to overlay on a config (config_from_dict)."""
    values: dict[str, dict[str, Any]] = {}
    for assignment in assignments:
        key, sep, raw = _split_assignment(assignment)
        path = _key_path(key) if sep else []
        if len(path) < 2:
            raise ConfigError(f"--set expects section.key=value, got {assignment!r}")
        section, *parents, leaf = path  # leaderboard.hyperparameters.adam.learning_rate=0.01
        table = values.setdefault(section, {})
        for parent in parents:
            table = table.setdefault(parent, {})
        table[leaf] = parse_value(raw.strip())
    return values


def _split_assignment(assignment: str) -> tuple[str, str, str]:
    """At the first = outside a quoted key part: 'tune.space."AnB:2".learning_rate={...}'."""
    quote = None
    for at, char in enumerate(assignment):
        if char in "\"'" and quote in (None, char):
            quote = None if quote else char
        elif char == "=" and quote is None:
            return assignment[:at], "=", assignment[at + 1 :]
    return assignment, "", ""


def _key_path(key: str) -> list[str]:
    """A dotted key's parts as TOML reads them (a part may be quoted: an arm named "AnB+:3")."""
    try:
        table: Any = tomllib.loads(f"{key.strip()} = 0")
    except tomllib.TOMLDecodeError:
        return []
    path = []
    while isinstance(table, dict) and len(table) == 1:
        name, table = next(iter(table.items()))
        path.append(name)
    return path


def parse_value(raw: str) -> Any:
    """'[300, 100]' -> [300, 100], '1e-3' -> 0.001, 'relu' -> 'relu', and a list of bare names as names:
    '[AnB, AnB+:3]' -> ['AnB', 'AnB+:3'] (as TOML would read them quoted)."""
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        pass
    inside = raw.strip()
    if inside.startswith("[") and inside.endswith("]") and not any(c in inside[1:-1] for c in "[]{}\"'"):
        items = [item.strip() for item in inside[1:-1].split(",")]
        if all(items):
            return [parse_value(item) for item in items]
    return raw


def parse_pairs(texts: list[str]) -> tuple[tuple[int, int], ...]:
    """['5,6', '0,2'] or ['sandal,shirt'] -> ((5, 6), (0, 2)), for --b-classes and the app's form; a class is its
    number or its name; 'all' stands for every pair."""
    pairs = []
    for text in texts:
        if text.strip().lower() == "all":
            pairs += [pair for pair in ALL_PAIRS if pair not in pairs]
            continue
        parts = text.replace(" ", "").split(",")
        try:
            first, second = (class_index(part) for part in parts)
        except ValueError:
            names = ", ".join(name.lower() for name in CLASS_NAMES)
            raise ConfigError(
                f"class pairs look like 5,6 or sandal,shirt (a class is 0-9 or one of {names}); cannot read {text!r}",
                key="split.b_classes",
            ) from None
        pairs.append((first, second))
    return tuple(pairs)


def class_index(text: str) -> int:
    """'5', 'Sandal', 'sandals' or 'ankle-boot' -> the class's number; ValueError for anything else."""
    if text.lstrip("-").isdigit():
        return int(text)
    wanted = text.lower().replace("-", " ").replace("_", " ")
    for index, name in enumerate(CLASS_NAMES):
        spelled = name.lower().replace("-", " ")
        if wanted in (spelled, spelled + "s", spelled.split("/")[0]):
            return index
    raise ValueError(text)


def parse_seeds(text: str) -> tuple[int, ...]:
    """'42,1,2' or '1-10' or '1-3,42' -> a tuple of seeds, in the order given."""
    return parse_numbers(text, "run.seeds", "seeds", "42,1,2 or 1-10")


def parse_numbers(text: str, key: str, what: str, example: str) -> tuple[int, ...]:
    """'42,1,2' or '1-10' or '1-3,42' -> a tuple of whole numbers, in the order given; errors name `key` and
    show `example`, which says what this list looks like."""
    numbers: list[int] = []
    for part in text.replace(" ", "").split(","):
        start, dash, end = part.partition("-")
        try:
            if dash:
                first, last = int(start), int(end)
            else:
                numbers.append(int(part))
                continue
        except ValueError:
            raise ConfigError(f"{what} must look like {example}; cannot read {part!r}", key=key) from None
        if last < first:
            raise ConfigError(f"{what} must count upward in a range: {last}-{first}, not {part}", key=key)
        numbers.extend(range(first, last + 1))
    return tuple(numbers)
