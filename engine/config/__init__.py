"""The experiment's configuration: typed sections, validation with messages that name the key, TOML in and out.

Every value a user can set lives here, so the CLI, the TOML file and the app's form all
validate the same way.
"""

import dataclasses
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.config.choices import ACTIVATIONS, B_SAMPLES, INITIALIZERS
from engine.data.classes import N_CLASSES
from engine.errors import ConfigError
from engine.training.optimizers import HYPERPARAMETER_RANGES, OPTIMIZER_SPECS, OPTIMIZERS, default_hyperparameters

IntList = tuple[int, ...]
PairList = tuple[tuple[int, int], ...]
NameList = tuple[str, ...]
Hyperparameters = dict[str, dict[str, Any]]
LEADERBOARD_TASKS = ("a", "b_scratch", "b_on_a")
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class DataConfig:
    """Where the data comes from; empty `dir` means $TRANSFER_TUI_DATA or the Keras download."""

    dir: str = ""


@dataclass(frozen=True)
class SplitConfig:
    """Which two classes form task B (the second is the positive class) and how many B images to train on.

    `extra_pairs` turns the experiment into a study: the same experiment again for each further pair.
    """

    b_classes: IntList = (5, 6)
    n_train_b: int = 200
    b_sample: str = "first"
    extra_pairs: PairList = ()

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """Every B class pair of the study: b_classes first, then extra_pairs."""
        return [(self.b_classes[0], self.b_classes[1]), *self.extra_pairs]


@dataclass(frozen=True)
class NetworkConfig:
    """The dense network shared by model A, B on A and B from scratch."""

    hidden: IntList = (300, 100, 50, 50, 50)
    activation: str = "selu"
    initializer: str = "lecun_normal"
    batch_norm: bool = False


@dataclass(frozen=True)
class TrainAConfig:
    """Training model A on the 8-class task."""

    epochs: int = 20
    learning_rate: float = 1e-3
    optimizer: str = "sgd"


@dataclass(frozen=True)
class TransferConfig:
    """Training B on A (frozen, then fine-tuned) and the scratch baseline."""

    frozen_epochs: int = 4
    unfrozen_epochs: int = 16
    frozen_learning_rate: float = 1e-3
    unfrozen_learning_rate: float = 1e-4
    scratch_learning_rate: float = 1e-3
    optimizer: str = "sgd"


@dataclass(frozen=True)
class RunConfig:
    """Which seeds to run and the batch size of every phase."""

    seeds: IntList = (42,)
    batch_size: int = 32


@dataclass(frozen=True)
class LeaderboardConfig:
    """Which optimizers race, on which task, for how long; hyperparameters are merged over the notebook's."""

    optimizers: NameList = OPTIMIZERS
    task: str = "a"
    epochs: int = 10
    target_accuracy: float = 0.85
    hyperparameters: Hyperparameters = field(default_factory=default_hyperparameters)


@dataclass(frozen=True)
class ExperimentConfig:
    """A whole experiment, one field per TOML section."""

    data: DataConfig = field(default_factory=DataConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    train_a: TrainAConfig = field(default_factory=TrainAConfig)
    transfer: TransferConfig = field(default_factory=TransferConfig)
    run: RunConfig = field(default_factory=RunConfig)
    leaderboard: LeaderboardConfig = field(default_factory=LeaderboardConfig)

    def __post_init__(self) -> None:
        validate(self)


SECTIONS: dict[str, type] = {f.name: f.type for f in dataclasses.fields(ExperimentConfig)}


def config_to_dict(config: ExperimentConfig) -> dict[str, dict[str, Any]]:
    """Plain nested dict (lists, not tuples), as written to TOML and JSON."""
    return {
        name: {key: _plain(value) for key, value in section.items()}
        for name, section in dataclasses.asdict(config).items()
    }


def _plain(value: Any) -> Any:
    return [_plain(item) for item in value] if isinstance(value, tuple) else value


def config_from_dict(values: dict[str, Any], base: ExperimentConfig | None = None) -> ExperimentConfig:
    """Overlay `values` (sections of keys) on `base`; unknown keys and wrong types raise ConfigError."""
    base = base or ExperimentConfig()
    sections = {}
    for name, section_type in SECTIONS.items():
        current = getattr(base, name)
        given = values.get(name, {})
        if not isinstance(given, dict):
            raise ConfigError(f"[{name}] must be a table of keys, got {type(given).__name__}")
        sections[name] = dataclasses.replace(current, **_typed_section(name, section_type, given, current))
    for name in values:
        if name not in SECTIONS:
            raise ConfigError(f"unknown section [{name}]; known sections: {', '.join(SECTIONS)}")
    return ExperimentConfig(**sections)


def _typed_section(name: str, section_type: type, given: dict[str, Any], current: Any) -> dict[str, Any]:
    types = {f.name: f.type for f in dataclasses.fields(section_type)}
    typed = {}
    for key, value in given.items():
        if key not in types:
            raise ConfigError(
                f"unknown key {name}.{key}; known keys in [{name}]: {', '.join(types)}", key=f"{name}.{key}"
            )
        if types[key] is Hyperparameters:
            typed[key] = _merged_hyperparameters(f"{name}.{key}", getattr(current, key), value)
        else:
            typed[key] = _coerce(f"{name}.{key}", types[key], value)
    return typed


def _merged_hyperparameters(key: str, current: Hyperparameters, given: Any) -> Hyperparameters:
    """Given values replace the current ones key by key; what is not given keeps its value."""
    if not isinstance(given, dict) or not all(isinstance(v, dict) for v in given.values()):
        raise ConfigError.about(key, "must be a table of optimizer tables, e.g. adam = { learning_rate = 0.01 }")
    merged = {name: dict(values) for name, values in current.items()}
    for name, values in given.items():
        if name not in OPTIMIZER_SPECS:
            raise ConfigError.about(key, f"names an unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")
        numbers = {k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in values.items()}
        merged.setdefault(name, {}).update(numbers)
    return merged


def _coerce(key: str, expected: Any, value: Any) -> Any:
    if expected is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError.about(key, f"must be true or false, got {value!r}")
    if expected is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError.about(key, f"must be a whole number, got {value!r}")
    if expected is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError.about(key, f"must be a number, got {value!r}")
    if expected is str:
        if isinstance(value, str):
            return value
        raise ConfigError.about(key, f"must be a string, got {value!r}")
    if expected is NameList:
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ConfigError.about(key, f"must be a list of names, got {value!r}")
    if expected is PairList:
        if isinstance(value, (list, tuple)) and all(_is_int_list(pair) for pair in value):
            return tuple(tuple(pair) for pair in value)
        raise ConfigError.about(key, f"must be a list of class pairs like [[0, 2], [7, 9]], got {value!r}")
    if _is_int_list(value):
        return tuple(value)
    raise ConfigError.about(key, f"must be a list of whole numbers, got {value!r}")


def _is_int_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)


def validate(config: ExperimentConfig) -> None:
    """Range and consistency checks; the message names the key and the accepted values."""
    split, net, train_a, transfer, run = config.split, config.network, config.train_a, config.transfer, config.run
    _class_pair("split.b_classes", split.b_classes)
    for pair in split.extra_pairs:
        _class_pair("split.extra_pairs", pair)
    if len(set(split.pairs)) != len(split.pairs):
        raise ConfigError.about("split.extra_pairs", f"repeats a pair: {[list(p) for p in split.pairs]}")
    if split.n_train_b < 1:
        raise ConfigError.about("split.n_train_b", f"must be at least 1, got {split.n_train_b}")
    _one_of("split.b_sample", split.b_sample, B_SAMPLES)
    if not 1 <= len(net.hidden) <= 20 or any(not 1 <= n <= 100_000 for n in net.hidden):
        raise ConfigError.about(
            "network.hidden", f"must be 1 to 20 layer sizes between 1 and 100000, got {list(net.hidden)}"
        )
    _one_of("network.activation", net.activation, ACTIVATIONS)
    _one_of("network.initializer", net.initializer, INITIALIZERS)
    _one_of("train_a.optimizer", train_a.optimizer, OPTIMIZERS)
    _one_of("transfer.optimizer", transfer.optimizer, OPTIMIZERS)
    _epochs("train_a.epochs", train_a.epochs, minimum=1)
    _epochs("transfer.frozen_epochs", transfer.frozen_epochs, minimum=0)
    _epochs("transfer.unfrozen_epochs", transfer.unfrozen_epochs, minimum=0)
    if transfer.frozen_epochs + transfer.unfrozen_epochs < 1:
        raise ConfigError(
            "transfer.frozen_epochs + transfer.unfrozen_epochs must be at least 1", key="transfer.unfrozen_epochs"
        )
    for key in (
        "train_a.learning_rate",
        "transfer.frozen_learning_rate",
        "transfer.unfrozen_learning_rate",
        "transfer.scratch_learning_rate",
    ):
        section, name = key.split(".")
        rate = getattr(getattr(config, section), name)
        if not (math.isfinite(rate) and 0 < rate <= 10):
            raise ConfigError.about(key, f"must be a number in (0, 10], got {rate}")
    if not run.seeds:
        raise ConfigError.about("run.seeds", "must list at least one seed")
    if any(not 0 <= s <= MAX_SEED for s in run.seeds):
        raise ConfigError.about("run.seeds", f"must be between 0 and {MAX_SEED}, got {list(run.seeds)}")
    if len(set(run.seeds)) != len(run.seeds):
        raise ConfigError.about("run.seeds", f"must not repeat a seed, got {list(run.seeds)}")
    if not 1 <= run.batch_size <= 65_536:
        raise ConfigError.about("run.batch_size", f"must be between 1 and 65536, got {run.batch_size}")
    _validate_leaderboard(config.leaderboard)


def _validate_leaderboard(board: LeaderboardConfig) -> None:
    if not board.optimizers:
        raise ConfigError.about("leaderboard.optimizers", "must list at least one optimizer")
    for name in board.optimizers:
        _one_of("leaderboard.optimizers", name, OPTIMIZERS)
    if len(set(board.optimizers)) != len(board.optimizers):
        raise ConfigError.about("leaderboard.optimizers", f"must not repeat an optimizer, got {list(board.optimizers)}")
    _one_of("leaderboard.task", board.task, LEADERBOARD_TASKS)
    _epochs("leaderboard.epochs", board.epochs, minimum=1)
    if not 0 < board.target_accuracy <= 1:
        raise ConfigError.about("leaderboard.target_accuracy", f"must be in (0, 1], got {board.target_accuracy}")
    for name, values in board.hyperparameters.items():
        key = f"leaderboard.hyperparameters.{name}"
        allowed = {"learning_rate", *OPTIMIZER_SPECS[name][1]}
        for parameter, value in values.items():
            if parameter not in allowed:
                raise ConfigError.about(key, f"has no {parameter!r}; {name} takes {', '.join(sorted(allowed))}")
            if parameter == "nesterov":
                if not isinstance(value, bool):
                    raise ConfigError.about(f"{key}.nesterov", f"must be true or false, got {value!r}")
                continue
            low, high = HYPERPARAMETER_RANGES[parameter]
            valid_number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            if not (valid_number and low <= value <= high and (parameter != "learning_rate" or value > 0)):
                raise ConfigError.about(f"{key}.{parameter}", f"must be a number in [{low}, {high}], got {value!r}")


def _class_pair(key: str, pair: tuple[int, ...]) -> None:
    if len(pair) != 2:
        raise ConfigError.about(key, f"must hold exactly two classes, got {list(pair)}")
    if any(not 0 <= c < N_CLASSES for c in pair):
        raise ConfigError.about(key, f"must be classes 0..9, got {list(pair)}")
    if pair[0] == pair[1]:
        raise ConfigError.about(key, f"must be two different classes, got {list(pair)}")


def _one_of(key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError.about(key, f"must be one of {', '.join(allowed)}; got {value!r}")


def _epochs(key: str, value: int, minimum: int) -> None:
    if not minimum <= value <= 10_000:
        raise ConfigError.about(key, f"must be between {minimum} and 10000, got {value}")


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


def apply_overrides(config: ExperimentConfig, assignments: list[str]) -> ExperimentConfig:
    """Apply `section.key=value` strings; a value is read as TOML, falling back to a plain string."""
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
    return config_from_dict(values, config)


def parse_value(raw: str) -> Any:
    """'[300, 100]' -> [300, 100], '1e-3' -> 0.001, 'relu' -> 'relu'."""
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw


def config_to_toml(config: ExperimentConfig) -> str:
    """The config as a TOML document that `load_config_file` reads back unchanged."""
    lines: list[str] = []
    for name, section in config_to_dict(config).items():
        tables = {key: value for key, value in section.items() if isinstance(value, dict)}
        lines += ["", f"[{name}]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in section.items() if key not in tables]
        for key, table in tables.items():
            lines += ["", f"[{name}.{key}]"]
            lines += [f"{entry} = {_toml_value(value)}" for entry, value in table.items()]
    return "\n".join(lines[1:]) + "\n"


def parse_pairs(texts: list[str]) -> tuple[tuple[int, int], ...]:
    """['5,6', '0,2'] -> ((5, 6), (0, 2)), for --b-classes and the app's form."""
    pairs = []
    for text in texts:
        parts = text.replace(" ", "").split(",")
        try:
            first, second = (int(part) for part in parts)
        except ValueError:
            raise ConfigError(
                f"class pairs look like 5,6 or 0,2; cannot read {text!r}", key="split.b_classes"
            ) from None
        pairs.append((first, second))
    return tuple(pairs)


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml_value(item)}" for key, item in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def parse_seeds(text: str) -> tuple[int, ...]:
    """'42,1,2' or '1-10' or '1-3,42' -> a tuple of seeds, in the order given."""
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
            raise ConfigError(f"seeds must look like 42,1,2 or 1-10; cannot read {part!r}", key="run.seeds") from None
    return tuple(seeds)
