"""The config in and out: plain dicts, TOML files, and the one-line errors a bad value gets.

Reading overlays what is given on a base config, key by key, then lets msgspec check every type against
the schema; its errors are reworded to name the key as users write it (`split.n_train_b`).
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import msgspec

from engine.config.schema import (
    DISTRIBUTIONS,
    NETWORK_KINDS,
    SECTIONS,
    Dimension,
    ExperimentConfig,
    Hyperparameters,
    IntList,
    NameList,
    PairList,
)
from engine.errors import ConfigError

# what a value of each declared type must be, in words
EXPECTED = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "a string",
    int | str: 'a whole number or "all"',
    IntList: "a list of whole numbers",
    NameList: "a list of names",
    PairList: "a list of class pairs like [[0, 2], [7, 9]]",
    Hyperparameters: "a table of optimizer tables, e.g. adam = { learning_rate = 0.01 }",
}
_LOCATION = re.compile(r" - at `\$(?P<path>[^`]*)`$")


def config_to_dict(config: ExperimentConfig) -> dict[str, dict[str, Any]]:
    """Plain nested dict (lists, not tuples), as written to TOML and JSON."""
    return json.loads(msgspec.json.encode(config))


def config_from_dict(values: dict[str, Any], base: ExperimentConfig | None = None) -> ExperimentConfig:
    """Overlay `values` (sections of keys) on `base`; unknown keys and wrong types raise ConfigError."""
    merged = overlay(config_to_dict(base or ExperimentConfig()), values)
    try:
        return msgspec.convert(merged, ExperimentConfig, strict=True)
    except msgspec.ValidationError as exc:
        raise _reworded(str(exc), merged) from None


# what a run stored by an earlier version did where a key it left out now defaults otherwise: B's first N images
# for every seed, and the same tuning draws for every seed
STORED_BEFORE: dict[str, dict[str, Any]] = {"split": {"b_sample": "first"}, "tune": {"draws": "shared"}}


def stored_config(values: dict[str, Any]) -> ExperimentConfig:
    """A config the run store kept, read as the run ran it: keys it left out take what its version did."""
    return config_from_dict(overlay(STORED_BEFORE, values))


def overlay(base: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """`given` over `base`, tables merged key by key (so one hyperparameter can change alone). A [network] of
    another kind starts from that kind's defaults: keys of the old kind do not carry over."""
    merged = dict(base)
    for key, value in given.items():
        current = merged.get(key)
        if not (isinstance(value, dict) and isinstance(current, dict)):
            merged[key] = value
            continue
        if key == "network" and value.get("kind", current.get("kind")) != current.get("kind"):
            current = {}
        merged[key] = overlay(current, value)
    return merged


def _reworded(message: str, values: dict[str, Any]) -> ConfigError:
    """msgspec's 'Expected `int`, got `str` - at `$.split.n_train_b`' as 'split.n_train_b must be a whole
    number, got 'x''; the key goes with the error so the app can show it at its field."""
    location = _LOCATION.search(message)
    problem = message[: location.start()] if location else message
    path = [part for part in re.split(r"\.|\[[^]]*\]", location.group("path")) if part] if location else []
    unknown = re.match(r"Object contains unknown field `(?P<name>[^`]+)`", problem)
    if unknown and not path:
        return ConfigError(f"unknown section [{unknown['name']}]; known sections: {', '.join(SECTIONS)}")
    if unknown:
        section, name = path[0], unknown["name"]
        key = ".".join([*path, name])
        known = ", ".join(_fields_of(section, values))
        return ConfigError(f"unknown key {key}; known keys in [{section}]: {known}", key=key)
    if len(path) == 1:
        return ConfigError(f"[{path[0]}] must be a table of keys, got {type(values.get(path[0])).__name__}")
    if path[:2] == ["network", "kind"]:
        return ConfigError.about(
            "network.kind", f"must be one of {', '.join(NETWORK_KINDS)}; got {_at(values, path)!r}"
        )
    if path[:2] == ["study", "networks"] and path[-1] == "kind":  # a [network]-style table of an unknown kind
        kinds = [entry.get("kind") for entry in values["study"]["networks"] if isinstance(entry, dict)]
        bad = next((kind for kind in kinds if kind not in NETWORK_KINDS), kinds[0] if kinds else None)
        return ConfigError.about(
            "study.networks",
            f"entries are a preset's name, dense, or a network table of kind {' or '.join(NETWORK_KINDS)}; "
            f"got kind {bad!r}",
        )
    if path[:2] == ["tune", "space"]:  # msgspec does not name the arm or the value: find them
        return _bad_space(values["tune"]["space"])
    key = ".".join(path[:2])
    expected = _declared(path[0], path[1], values)
    if expected == Hyperparameters and "hyperparameters[" in location.group("path"):  # a value inside the tables
        return _bad_hyperparameter(values[path[0]][path[1]], key)
    return ConfigError.about(key, f"must be {EXPECTED.get(expected, problem)}, got {_at(values, path[:2])!r}")


SPACE_EXAMPLE = 'a table such as {dist="log", low=1e-4, high=0.1} or {dist="choice", values=[0, 2]}'


def _bad_space(space: Any) -> ConfigError:
    """The first arm table or searched value of [tune.space] that is not what it must be."""
    if not isinstance(space, dict):
        return ConfigError.about("tune.space", f"must be a table of arms' tables, got {space!r}")
    for arm, table in space.items():
        if not isinstance(table, dict):
            return ConfigError.about(f"tune.space.{arm}", f"must be a table of searched values, got {table!r}")
        for name, dimension in table.items():
            try:
                msgspec.convert(dimension, Dimension, strict=True)
            except msgspec.ValidationError:
                return ConfigError.about(
                    f"tune.space.{arm}.{name}",
                    f"must be {SPACE_EXAMPLE} (dist: {', '.join(DISTRIBUTIONS)}), got {dimension!r}",
                )
    return ConfigError.about("tune.space", f"must be {SPACE_EXAMPLE} per searched value")


def _bad_hyperparameter(tables: dict[str, Any], key: str) -> ConfigError:
    """msgspec does not say which optimizer's table or which value was wrong: find it."""
    for name, table in tables.items():
        if not isinstance(table, dict):
            return ConfigError.about(
                f"{key}.{name}", f"must be a table such as {{ learning_rate = 0.01 }}, got {table!r}"
            )
        for parameter, value in table.items():
            if not isinstance(value, (int, float, bool)):
                return ConfigError.about(f"{key}.{name}.{parameter}", f"must be a number or true/false, got {value!r}")
    return ConfigError.about(key, f"must be {EXPECTED[Hyperparameters]}")


def _fields_of(section: str, values: dict[str, Any]) -> list[str]:
    section_type = SECTIONS[section]
    if section == "network":
        section_type = NETWORK_KINDS.get(values["network"].get("kind"), section_type)
    return [field.name for field in msgspec.structs.fields(section_type)]


def _declared(section: str, name: str, values: dict[str, Any]) -> Any:
    section_type = SECTIONS[section]
    if section == "network":
        section_type = NETWORK_KINDS.get(values["network"].get("kind"), section_type)
    return next((f.type for f in msgspec.structs.fields(section_type) if f.name == name), None)


def _at(values: dict[str, Any], path: list[str]) -> Any:
    for part in path:
        values = values[part]
    return values


def load_config_file(path: Path, base: ExperimentConfig | None = None) -> ExperimentConfig:
    """Read a TOML experiment file over `base` (default: the built-in defaults)."""
    try:
        with open(path, "rb") as stream:
            values = tomllib.load(stream)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    try:
        return config_from_dict(values, base)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}", key=exc.key) from None


def config_to_toml(config: ExperimentConfig) -> str:
    """The config as a TOML document that `load_config_file` reads back unchanged. [tune.space] lists the user's
    searched values one per line, then the default spaces as comments, ready to uncomment and edit."""
    values = config_to_dict(config)
    values["tune"]["space"] = {
        arm: {name: dimension.as_written() for name, dimension in space.items()}
        for arm, space in config.tune.space.items()
    }
    lines: list[str] = []
    for name, section in values.items():
        tables = {key: value for key, value in section.items() if isinstance(value, dict)}
        lines += ["", f"[{name}]"]
        lines += [f"{_toml_key(key)} = {_toml_value(value)}" for key, value in section.items() if key not in tables]
        for key, table in tables.items():
            lines += ["", f"[{name}.{_toml_key(key)}]"]
            lines += _table_lines(table)
            if (name, key) == ("tune", "space"):
                lines += _default_space_comments(config)
    return "\n".join(lines[1:]) + "\n"


def _table_lines(table: dict[str, Any]) -> list[str]:
    """A table's entries, one per line; an entry that is a table of tables is written as dotted keys, one inner
    table per line, so that each can be edited or commented out alone."""
    lines = []
    for entry, value in table.items():
        if isinstance(value, dict) and value and all(isinstance(inner, dict) for inner in value.values()):
            lines += [f"{_toml_key(entry)}.{_toml_key(key)} = {_toml_value(inner)}" for key, inner in value.items()]
        else:
            lines.append(f"{_toml_key(entry)} = {_toml_value(value)}")
    return lines


def _default_space_comments(config: ExperimentConfig) -> list[str]:
    """The default search spaces (as this config's tune.epochs leaves them) of the values no table replaces."""
    lines = []
    for kind in ("scratch", "transfer"):
        written = config.tune.space.get(kind, {})
        for name, dimension in config.tune.default_space(kind).items():
            if name not in written:
                lines.append(f"# {kind}.{name} = {_toml_value(dimension.as_written())}")
    if not lines:
        return []
    heading = "# The default spaces, searched where no line above replaces a value (uncomment a line to change it):"
    return [heading, *lines]


BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    """A key as TOML needs it: bare where it can be, else quoted ("AnB+:3")."""
    return key if BARE_KEY.match(key) else _toml_string(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(item)}" for k, item in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return _toml_string(value)
    return repr(value)


# the characters a TOML basic string must escape, with their short escapes where TOML has one
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_string(text: str) -> str:
    """A TOML basic string: every character as itself (the file is UTF-8, emoji included) but the quote, the
    backslash and control characters, which are escaped (the config refuses text that is not UTF-8)."""
    out = []
    for char in text:
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
