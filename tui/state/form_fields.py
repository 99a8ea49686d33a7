"""The setup form's fields: how each shows a config value and how what the user typed becomes one.

Kept free of widgets so the parsing and the per-field errors can be tested on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from engine.classes import CLASS_NAMES
from engine.config import (
    CnnNetwork,
    ExperimentConfig,
    config_from_dict,
    config_to_dict,
    parse_numbers,
    parse_pairs,
    parse_seeds,
)
from engine.config.choices import ACTIVATIONS, B_SAMPLES, INITIALIZERS, PRECISIONS, VALIDATION_SETS
from engine.config.optimizers import OPTIMIZERS
from engine.data.fashion_mnist import IDX_FILES
from engine.errors import ConfigError

Choices = tuple[tuple[str, Any], ...]

CLASS_CHOICES: Choices = tuple((f"{name} ({index})", index) for index, name in enumerate(CLASS_NAMES))
B_SAMPLE_LABELS = {"first": "first N, as the notebook", "random": "random N per seed"}
B_SAMPLE_CHOICES: Choices = tuple((B_SAMPLE_LABELS[name], name) for name in B_SAMPLES)
VALIDATION_LABELS = {"first": "first 5,000 (seed notebook)", "last": "last 5,000 (3rd edition)"}
VALIDATION_CHOICES: Choices = tuple((VALIDATION_LABELS[name], name) for name in VALIDATION_SETS)
PRECISION_LABELS = {"float32": "float32", "bfloat16": "bfloat16 matmuls (mixed)"}
PRECISION_CHOICES: Choices = tuple((PRECISION_LABELS[name], name) for name in PRECISIONS)
NETWORK_CHOICES: Choices = (("dense", "dense"), ("cnn: conv blocks, then dense", "cnn"))
SOURCE_CHOICES: Choices = (("model A (AnB)", "a"), ("B from scratch (BnB, selffer)", "b"))
# what a field of another kind of network shows until the user switches to that kind
OTHER_KIND_DEFAULTS = {"network.conv": CnnNetwork().conv}


@dataclass(frozen=True)
class FieldSpec:
    """One form field: `key` is the config key it sets (`split.b_classes` for both class fields)."""

    id: str
    key: str
    label: str
    kind: str  # int, float, intlist, depths, seeds, pairs, text, folder, choice, bool, reuse, names, networks
    section: str
    choices: Choices = ()
    placeholder: str = ""
    network_kinds: tuple[str, ...] = ()  # the kinds of network the field belongs to; empty: every kind

    def shown_for(self, network_kind: str) -> bool:
        return not self.network_kinds or network_kind in self.network_kinds


def _choices(names: tuple[str, ...]) -> Choices:
    return tuple((name, name) for name in names)


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("negative_class", "split.b_classes", "B class (negative)", "choice", "Split", CLASS_CHOICES),
    FieldSpec("positive_class", "split.b_classes", "B class (positive)", "choice", "Split", CLASS_CHOICES),
    FieldSpec("n_train_b", "split.n_train_b", "B training images", "int", "Split"),
    FieldSpec("b_sample", "split.b_sample", "Which B images", "choice", "Split", B_SAMPLE_CHOICES),
    FieldSpec("validation", "split.validation", "Validation images", "choice", "Split", VALIDATION_CHOICES),
    FieldSpec("extra_pairs", "split.extra_pairs", "More B pairs (study)", "pairs", "Split", placeholder="e.g. 0,2 7,9"),
    FieldSpec("network_kind", "network.kind", "Kind of network", "choice", "Network", NETWORK_CHOICES),
    FieldSpec(
        "conv", "network.conv", "Conv filters", "intlist", "Network", placeholder="32, 64", network_kinds=("cnn",)
    ),
    FieldSpec("hidden", "network.hidden", "Hidden layers", "intlist", "Network", placeholder="300, 100, 50"),
    FieldSpec("activation", "network.activation", "Activation", "choice", "Network", _choices(ACTIVATIONS)),
    FieldSpec("initializer", "network.initializer", "Initializer", "choice", "Network", _choices(INITIALIZERS)),
    FieldSpec(
        "batch_norm",
        "network.batch_norm",
        "Batch normalization",
        "bool",
        "Network",
        placeholder="after each hidden layer",
    ),
    FieldSpec("a_epochs", "train_a.epochs", "A epochs", "int", "Training"),
    FieldSpec("a_learning_rate", "train_a.learning_rate", "A learning rate", "float", "Training"),
    FieldSpec("a_optimizer", "train_a.optimizer", "A optimizer", "choice", "Training", _choices(OPTIMIZERS)),
    FieldSpec("frozen_epochs", "transfer.frozen_epochs", "Frozen epochs", "int", "Training"),
    FieldSpec("frozen_learning_rate", "transfer.frozen_learning_rate", "Frozen learning rate", "float", "Training"),
    FieldSpec("unfrozen_epochs", "transfer.unfrozen_epochs", "Fine-tune epochs", "int", "Training"),
    FieldSpec(
        "unfrozen_learning_rate", "transfer.unfrozen_learning_rate", "Fine-tune learning rate", "float", "Training"
    ),
    FieldSpec("scratch_learning_rate", "transfer.scratch_learning_rate", "Scratch learning rate", "float", "Training"),
    FieldSpec("b_optimizer", "transfer.optimizer", "B optimizer", "choice", "Training", _choices(OPTIMIZERS)),
    FieldSpec("reuse_layers", "transfer.reuse_layers", "Layers reused", "reuse", "Training", placeholder="all or n"),
    FieldSpec("fine_tune", "transfer.fine_tune", "Fine-tune reused", "bool", "Training", placeholder="unfreeze them"),
    FieldSpec("source", "transfer.source", "Reuse layers of", "choice", "Training", SOURCE_CHOICES),
    FieldSpec("batch_size", "run.batch_size", "Batch size", "int", "Training"),
    FieldSpec("seeds", "run.seeds", "Seeds", "seeds", "Training", placeholder="42 or 1-5 or 1,2,42"),
    FieldSpec("precision", "run.precision", "Precision", "choice", "Training", PRECISION_CHOICES),
    FieldSpec("population_memory_gb", "run.population_memory_gb", "Population memory (GiB)", "float", "Training"),
    FieldSpec("data_dir", "data.dir", "Data folder", "folder", "Data", placeholder="$TRANSFER_TUI_DATA or download"),
    FieldSpec("study_layers", "study.layers", "Sweep depths", "depths", "Study", placeholder="0-3 or 0, 2; empty: all"),
    FieldSpec("treatments", "study.treatments", "Treatments", "names", "Study", placeholder="AnB, AnB+, BnB, BnB+"),
    FieldSpec(
        "networks", "study.networks", "Networks to map", "networks", "Study", placeholder="e.g. dense, cnn (presets)"
    ),
    FieldSpec("tune_budget", "tune.budget", "Trials per arm", "int", "Tune"),
    FieldSpec("tune_epochs", "tune.epochs", "Epochs per trial", "int", "Tune"),
    FieldSpec("tune_draw_seed", "tune.draw_seed", "Draws' seed", "int", "Tune"),
    FieldSpec("tune_arms", "tune.arms", "Arms", "names", "Tune", placeholder="scratch, transfer, AnB+:3, BnB:2"),
    FieldSpec(
        "cluster", "cluster.address", "Ray cluster", "text", "Cluster", placeholder="empty: here; local, auto, ray://…"
    ),
    FieldSpec("gpus_per_unit", "cluster.gpus_per_unit", "GPUs per unit (-1 auto)", "float", "Cluster"),
    FieldSpec("cpus_per_unit", "cluster.cpus_per_unit", "CPUs per unit", "float", "Cluster"),
)

FIELDS_BY_ID = {spec.id: spec for spec in FIELDS}


def form_values(config: ExperimentConfig) -> dict[str, Any]:
    """What each widget shows for `config`: text for inputs, the value itself for selects and checkboxes."""
    values = config_to_dict(config)
    shown: dict[str, Any] = {}
    for spec in FIELDS:
        section, key = spec.key.split(".")
        value = values[section].get(key, OTHER_KIND_DEFAULTS.get(spec.key))
        if spec.id in ("negative_class", "positive_class"):
            value = value[0 if spec.id == "negative_class" else 1]
        shown[spec.id] = _display(spec.kind, value)
    return shown


def _display(kind: str, value: Any) -> Any:
    if kind == "pairs":
        return " ".join(f"{first},{second}" for first, second in value)
    if kind in ("intlist", "depths", "seeds", "names"):
        return ", ".join(str(v) for v in value)
    if kind == "networks":  # a [network] table from a TOML file shows as its kind: saved here, the preset
        return ", ".join(v if isinstance(v, str) else v["kind"] for v in value)
    if kind in ("int", "float") or (kind == "reuse" and value != "all"):
        return repr(value)  # 20 -> '20', 1e-3 -> '0.001', 1e-05 -> '1e-05'
    return value


def _parse_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("must be a whole number") from None


def _parse_float(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ValueError("must be a number, e.g. 0.001 or 1e-3") from None


def _parse_int_list(text: str) -> list[int]:
    """'300, 100' (or '300 100') -> [300, 100]; an empty entry between commas ('300,,100') is refused, as the
    CLI refuses [300,,100], rather than read as two layers."""
    entries = [entry.strip() for entry in text.split(",")]
    if text.strip() and not all(entries):
        raise ValueError("has an empty entry between commas")
    try:
        return [int(part) for entry in entries for part in entry.split()]
    except ValueError:
        raise ValueError("must be whole numbers separated by commas") from None


def _parse_depths(text: str) -> list[int]:
    """The sweep's depths as the CLI's --layers takes them: '0-3', '0, 2, 4', '0-2, 5'; empty: every depth."""
    if not text.strip():
        return []
    try:
        return list(parse_numbers(text, "study.layers", "depths", "0-3 or 0, 2, 4"))
    except ConfigError as exc:
        raise ValueError(str(exc).removeprefix("depths ")) from None


def _parse_reuse(text: str) -> int | str:
    if text.strip().lower() == "all":
        return "all"
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("must be all or a whole number") from None


def _parse_names(text: str) -> list[str]:
    return [part for part in text.replace(",", " ").split() if part]


def _parse_seeds(text: str) -> list[int]:
    try:
        return list(parse_seeds(text))
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


def _parse_pairs(text: str) -> list[list[int]]:
    try:
        return [list(pair) for pair in parse_pairs(text.replace(";", " ").split())]
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


def _parse_folder(text: str) -> str:
    """A data folder as typed ('' leaves it to $TRANSFER_TUI_DATA or the download): it must exist and hold the four
    files, checked here so that a run does not start only to fail (their contents are checked when they are read)."""
    folder = text.strip()
    if not folder:
        return folder
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ValueError(f"no folder {path}")
    missing = [name for name in IDX_FILES if not (path / name).is_file()]
    if missing:
        raise ValueError(f"{path} has no {', '.join(missing)}")
    return folder


PARSERS: dict[str, Callable[[Any], Any]] = {
    "pairs": _parse_pairs,
    "int": _parse_int,
    "float": _parse_float,
    "intlist": _parse_int_list,
    "depths": _parse_depths,
    "reuse": _parse_reuse,
    "names": _parse_names,
    "networks": _parse_names,
    "seeds": _parse_seeds,
    "text": lambda text: text.strip(),
    "folder": _parse_folder,
    "choice": lambda value: value,
    "bool": bool,
}


def parse_form(
    values: dict[str, Any], base: ExperimentConfig | None = None
) -> tuple[ExperimentConfig | None, dict[str, str]]:
    """The config the form describes over `base` (which keeps what the form does not show, such as the
    leaderboard settings), or None with an error message per field id."""
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    network_kind = values["network_kind"]
    for spec in FIELDS:
        if not spec.shown_for(network_kind):
            continue
        try:
            parsed[spec.id] = PARSERS[spec.kind](values[spec.id])
        except ValueError as exc:  # a list of numbers shows its own field's example
            errors[spec.id] = f"{exc}, e.g. {spec.placeholder}" if spec.kind == "intlist" else str(exc)
    by_key = _by_key(parsed)
    # the form's network, which a value may have to fit (the layers reused are at most its hidden layers)
    network = {key: value for key, value in by_key.items() if key.startswith("network.")}
    for key, value in by_key.items():
        alone = {key: value, "network.kind": network_kind} if key.startswith("network.") else {key: value, **network}
        if key == "split.extra_pairs" and "split.b_classes" in by_key:  # checked against the form's own pair
            alone["split.b_classes"] = by_key["split.b_classes"]
        try:  # each value alone over what the form does not show (a tuning's spaces), so every bad field shows
            config_from_dict(_sections(alone), _hidden_part(base))
        except ConfigError as exc:
            about = exc.key or key  # checked with the form's pair, an error may be about that pair
            field = _field_for(about)
            if field is None:  # about a key no field sets (a tuning's search space): shown, whole, at this one
                errors.setdefault(_field_for(key), str(exc))
            else:
                errors.setdefault(field, _without_key(str(exc), about))
    if errors:
        return None, errors
    try:
        return config_from_dict(_sections(by_key), base), {}
    except ConfigError as exc:
        key = exc.key or "run.seeds"
        field = _field_for(key)
        return None, {field or "seeds": _without_key(str(exc), key) if field else str(exc)}


def _by_key(parsed: dict[str, Any]) -> dict[str, Any]:
    """Field values by config key; the two class fields make one b_classes list (only if both parsed)."""
    by_key = {FIELDS_BY_ID[field_id].key: value for field_id, value in parsed.items() if "class" not in field_id}
    if "negative_class" in parsed and "positive_class" in parsed:
        by_key["split.b_classes"] = [parsed["negative_class"], parsed["positive_class"]]
    return by_key


def _sections(by_key: dict[str, Any]) -> dict[str, dict[str, Any]]:
    sections: dict[str, dict[str, Any]] = {}
    for key, value in by_key.items():
        section, name = key.split(".")
        sections.setdefault(section, {})[name] = value
    return sections


def _hidden_part(base: ExperimentConfig | None) -> ExperimentConfig | None:
    """`base` with every value the form shows at its default: what a field's value is checked against."""
    if base is None:
        return None
    hidden = config_to_dict(base)
    defaults = config_to_dict(ExperimentConfig())
    for spec in FIELDS:
        section, key = spec.key.split(".")
        if key in defaults.get(section, {}):
            hidden[section][key] = defaults[section][key]
    hidden["network"] = defaults["network"]
    try:
        return config_from_dict(hidden)
    except ConfigError:  # what it keeps fits only with the form's values: check against the defaults instead
        return None


def _field_for(key: str) -> str | None:
    """The field that shows errors about `key`: the last field setting it (the positive class for b_classes);
    None for a key no field sets (a tuning's search space)."""
    fields = [spec.id for spec in FIELDS if spec.key == key]
    return fields[-1] if fields else None


def field_label(key: str) -> str | None:
    """The label of the field that sets config value `key` ('Data folder'), None if no field does."""
    field = _field_for(key)
    return None if field is None else FIELDS_BY_ID[field].label


def _without_key(message: str, key: str) -> str:
    """The message as shown beside the field, where the key is already obvious."""
    return message[len(key) + 1 :] if message.startswith(key + " ") else message


def with_preset(
    preset_config: ExperimentConfig, current: ExperimentConfig, launch: dict[str, Any] | None = None
) -> ExperimentConfig:
    """A preset, keeping the data folder and the leaderboard settings the user already chose, with what the
    command line set laid over it again (`launch`: --set, --seeds, --cluster...), as the CLI lays them over its
    --preset. A launch value this preset cannot take (a CNN's conv filters on a dense preset) is left out."""
    chosen = msgspec.structs.replace(preset_config, data=current.data, leaderboard=current.leaderboard)
    for section, values in (launch or {}).items():
        try:
            chosen = config_from_dict({section: values}, chosen)
        except ConfigError:
            continue
    return chosen
