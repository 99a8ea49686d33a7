"""The setup form's fields: how each shows a config value and how what the user typed becomes one. The fields are
the option table's entries with a label (tui/options.py), parsed by the same parsers as their flags.

Kept free of widgets so the parsing and the per-field errors can be tested on their own.
"""

from __future__ import annotations

from typing import Any

import msgspec

from engine.config import CnnNetwork, ExperimentConfig, config_from_dict, config_to_dict
from engine.errors import ConfigError
from tui.options import FORM_OPTIONS, Option

FIELDS: tuple[Option, ...] = FORM_OPTIONS
FIELDS_BY_ID = {spec.id: spec for spec in FIELDS}
# what a field of another kind of network shows until the user switches to that kind
OTHER_KIND_DEFAULTS = {"network.conv": CnnNetwork().conv}


def form_values(config: ExperimentConfig) -> dict[str, Any]:
    """What each widget shows for `config`: text for inputs, the value itself for selects and checkboxes."""
    values = config_to_dict(config)
    shown: dict[str, Any] = {}
    for spec in FIELDS:
        section, key = spec.key.split(".")
        value = values[section].get(key, OTHER_KIND_DEFAULTS.get(spec.key))
        if spec.id in ("negative_class", "positive_class"):
            value = value[0 if spec.id == "negative_class" else 1]
        shown[spec.id] = shown_value(spec, value)
    return shown


def shown_value(spec: Option, value: Any) -> Any:
    """What the widget of `spec` shows for a config value."""
    kind = spec.kind
    if kind == "pairs":
        return " ".join(f"{first},{second}" for first, second in value)
    if kind in ("intlist", "depths", "seeds", "names"):
        return ", ".join(str(v) for v in value)
    if kind == "networks":  # a [network] table from a TOML file shows as its kind: saved here, the preset
        return ", ".join(v if isinstance(v, str) else v["kind"] for v in value)
    if kind in ("int", "float") or (kind == "reuse" and value != "all"):
        return repr(value)  # 20 -> '20', 1e-3 -> '0.001', 1e-05 -> '1e-05'
    return value


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
            parsed[spec.id] = spec.parse(values[spec.id])
        except ValueError as exc:
            errors[spec.id] = str(exc)
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
