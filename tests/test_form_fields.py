"""The setup form's parsing, without widgets: every config survives the round trip, bad fields are all reported."""

from __future__ import annotations

import msgspec
import pytest

from engine.config import NETWORK_KINDS, SECTIONS, apply_overrides, config_from_dict, config_to_dict
from engine.config.presets import PRESETS, preset
from tui.state.form_fields import FIELDS, form_values, parse_form


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_round_trip_through_the_form(name: str, real_data_dir) -> None:
    config = apply_overrides(
        preset(name), ["run.seeds=[1, 2, 42]", f"data.dir='{real_data_dir}'", "split.extra_pairs=[[7, 9]]"]
    )
    # the form does not show [leaderboard]: it comes from the base, which is the defaults otherwise
    base = config_from_dict({"leaderboard": config_to_dict(config)["leaderboard"]})
    parsed, errors = parse_form(form_values(config), base)
    assert errors == {} and parsed == config


def test_every_config_key_has_a_field() -> None:
    """Every key of every section the form shows (all but [leaderboard], which has its own dialog, and a tuning's
    search spaces, tables of tables set in TOML or with --set, and its arms, which are both arms)."""
    sections = [(name, kind) for name, kind in SECTIONS.items() if name not in ("leaderboard", "network")]
    sections += [("network", kind) for kind in NETWORK_KINDS.values()]
    expected = {f"{section}.{field.name}" for section, kind in sections for field in msgspec.structs.fields(kind)}
    assert {spec.key for spec in FIELDS} == expected - {"tune.space"} | {"network.kind"}


def test_network_kind_chooses_the_fields_that_count() -> None:
    values = form_values(preset("seed"))
    assert values["conv"] == "32, 64"  # shown once the kind is switched, not parsed for a dense network
    values["conv"] = "not numbers"
    parsed, errors = parse_form(values)
    assert errors == {} and parsed.network.kind == "dense"
    values.update(network_kind="cnn", conv="4, 8", hidden="16")
    parsed, errors = parse_form(values)
    assert errors == {} and (parsed.network.conv, parsed.network.hidden) == ((4, 8), (16,))
    values.update(conv="4, 8, 8, 8, 8")
    assert parse_form(values)[1] == {"conv": "must be 1 to 4 filter counts between 1 and 1024, got [4, 8, 8, 8, 8]"}


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("all", None),
        ("3", None),
        ("three", "must be all or a whole number"),
        ("6", "must be at most 5, the network's hidden layers; got 6"),
    ],
)
def test_layers_reused_field(typed: str, error: str | None) -> None:
    values = form_values(preset("seed"))
    values["reuse_layers"] = typed
    parsed, errors = parse_form(values)
    assert errors.get("reuse_layers") == error
    if error is None:
        assert parsed.transfer.reuse_layers == (typed if typed == "all" else int(typed))


def test_all_bad_fields_are_reported_together() -> None:
    values = form_values(preset("seed"))
    values.update(n_train_b="abc", hidden="300, x", a_learning_rate="-1", seeds="1-", frozen_epochs="-2")
    config, errors = parse_form(values)
    assert config is None
    assert errors == {
        "n_train_b": "must be a whole number; cannot read 'abc'",
        "hidden": "must be whole numbers separated by commas, e.g. 300, 100, 50",
        "a_learning_rate": "must be a number in (0, 10], got -1.0",
        "seeds": "must look like 42,1,2 or 1-10; cannot read '1-'",
        "frozen_epochs": "must be between 0 and 10000, got -2",
    }


def test_same_class_twice_is_shown_on_the_positive_class() -> None:
    values = form_values(preset("seed"))
    values["negative_class"] = 6
    _, errors = parse_form(values)
    assert errors == {"positive_class": "must be two different classes, got [6, 6]"}


def test_cross_field_rule() -> None:
    values = form_values(preset("seed"))
    values.update(frozen_epochs="0", unfrozen_epochs="0")
    _, errors = parse_form(values)
    assert errors == {"unfrozen_epochs": "transfer.frozen_epochs + transfer.unfrozen_epochs must be at least 1"}


def test_learning_rates_show_as_typed() -> None:
    values = form_values(preset("seed"))
    assert values["unfrozen_learning_rate"] == "0.0001" and values["hidden"] == "300, 100, 50, 50, 50"
    values["unfrozen_learning_rate"] = "1e-5"
    config, _ = parse_form(values)
    assert config.transfer.unfrozen_learning_rate == 1e-5


def test_study_pairs_field() -> None:
    values = form_values(preset("seed"))
    values["extra_pairs"] = "0,2; 7,9"
    config, errors = parse_form(values)
    assert errors == {} and config.split.pairs == [(5, 6), (0, 2), (7, 9)]
    values["extra_pairs"] = "0,2 5,6"
    _, errors = parse_form(values)
    assert errors == {"extra_pairs": "repeats a pair: [[5, 6], [0, 2], [5, 6]]"}
    values["extra_pairs"] = "0-2"
    _, errors = parse_form(values)
    assert errors["extra_pairs"].startswith("class pairs look like 5,6 or sandal,shirt (a class is 0-9 or one of")
    assert errors["extra_pairs"].endswith("; cannot read '0-2'")


def test_more_pairs_are_checked_against_the_forms_own_pair_not_the_default() -> None:
    values = form_values(config_from_dict({"split": {"b_classes": [0, 1]}}))
    values["extra_pairs"] = "5,6 7,9"  # 5,6 is the default pair, not this form's
    parsed, errors = parse_form(values)
    assert errors == {} and parsed.split.pairs == [(0, 1), (5, 6), (7, 9)]
    values["extra_pairs"] = "0,1"
    assert parse_form(values)[1] == {"extra_pairs": "repeats a pair: [[0, 1], [0, 1]]"}


def test_sweep_depths_read_as_the_cli_reads_layers() -> None:
    values = form_values(preset("seed"))
    for text, depths in (("0-2", (0, 1, 2)), ("0, 2, 4", (0, 2, 4)), ("0-1, 4", (0, 1, 4)), ("", ())):
        values["study_layers"] = text
        parsed, errors = parse_form(values)
        assert errors == {} and parsed.study.layers == depths, text
    values["study_layers"] = "3-1"
    assert parse_form(values)[1] == {"study_layers": "must count upward in a range: 1-3, not 3-1"}
    values["study_layers"] = "a-b"
    assert parse_form(values)[1] == {"study_layers": "must look like 0-5 or 0,1,3; cannot read 'a-b'"}
    values.update(study_layers="0-2", network_kind="cnn", conv="32, x")
    assert parse_form(values)[1] == {"conv": "must be whole numbers separated by commas, e.g. 32, 64"}


def test_a_tunings_epochs_clip_the_default_space_and_are_checked_against_a_written_one_at_their_field() -> None:
    """The search space is not a field: a short tuning keeps the default frozen epochs that fit; a space the
    command line wrote (kept from the base config) that does not fit is refused at the field typed in."""
    values = form_values(preset("seed"))
    values["tune_epochs"] = "3"
    parsed, errors = parse_form(values, preset("seed"))
    assert errors == {} and parsed.tune.space_of("transfer")["frozen_epochs"].values == (0, 2)
    written = apply_overrides(preset("seed"), ['tune.space.transfer.frozen_epochs={dist="choice", values=[0,4]}'])
    parsed, errors = parse_form(values, written)
    assert parsed is None and list(errors) == ["tune_epochs"]
    assert (
        "tune.space.transfer.frozen_epochs must be whole epochs from 0 to fewer than tune.epochs (3)"
        in errors["tune_epochs"]
    )
    values["tune_epochs"] = "6"
    parsed, errors = parse_form(values, written)
    assert errors == {} and parsed.tune.epochs == 6
    assert parsed.tune.space_of("transfer")["frozen_epochs"].values == (0, 4)


def test_a_tunings_arms_are_typed_as_names_and_a_bad_one_is_refused_at_its_field() -> None:
    values = form_values(preset("seed"))
    assert values["tune_arms"] == "scratch, transfer"
    values["tune_arms"] = "scratch, AnB+:3, BnB:2"
    parsed, errors = parse_form(values, preset("seed"))
    assert errors == {} and parsed.tune.arms == ("scratch", "AnB+:3", "BnB:2")
    values["tune_arms"] = "scratch, AnB+:9"
    parsed, errors = parse_form(values, preset("seed"))
    assert parsed is None and "deeper than the network's 5 hidden layers" in errors["tune_arms"]


def test_an_empty_layer_between_commas_is_refused_as_the_cli_refuses_it() -> None:
    values = form_values(preset("seed"))
    values["hidden"] = "300,,100"
    assert parse_form(values)[1] == {"hidden": "has an empty entry between commas, e.g. 300, 100, 50"}
    values["hidden"] = "300, 100"
    assert parse_form(values)[0].network.hidden == (300, 100)


def test_the_layers_reused_are_checked_against_the_forms_own_network() -> None:
    values = form_values(preset("seed"))
    values.update(hidden="64, 64, 64, 64, 64, 64, 64", reuse_layers="8")
    assert parse_form(values)[1] == {"reuse_layers": "must be at most 7, the network's hidden layers; got 8"}
    values["reuse_layers"] = "7"
    parsed, errors = parse_form(values)
    assert errors == {} and parsed.reused_layers == 7
    values["hidden"] = "64, 64"
    assert parse_form(values)[1] == {"reuse_layers": "must be at most 2, the network's hidden layers; got 7"}
