"""Config: defaults are the notebook's, every bad value is refused with a message naming its key, TOML round-trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import (
    ExperimentConfig,
    apply_overrides,
    config_from_dict,
    config_to_dict,
    config_to_toml,
    load_config_file,
    parse_seeds,
)
from engine.config.presets import PRESETS, preset
from engine.errors import ConfigError


def test_defaults_are_the_notebook() -> None:
    config = ExperimentConfig()
    assert config.split.b_classes == (5, 6) and config.split.n_train_b == 200
    assert config.network.hidden == (300, 100, 50, 50, 50)
    assert (config.network.activation, config.network.initializer) == ("selu", "lecun_normal")
    assert (config.train_a.epochs, config.train_a.learning_rate) == (20, 1e-3)
    assert (config.transfer.frozen_epochs, config.transfer.unfrozen_epochs) == (4, 16)
    assert (config.transfer.frozen_learning_rate, config.transfer.unfrozen_learning_rate) == (1e-3, 1e-4)
    assert config.run.batch_size == 32 and config.run.seeds == (42,)
    assert preset("seed") == config


def test_handson_presets() -> None:
    ml2, ml3 = preset("handson-ml2"), preset("handson-ml3")
    assert ml2.network.initializer == "glorot_uniform" and ml2.transfer.unfrozen_learning_rate == 1e-3
    assert ml3.split.b_classes == (0, 2)
    assert (ml3.network.hidden, ml3.network.activation, ml3.network.initializer) == (
        (100, 100, 100),
        "relu",
        "he_normal",
    )
    assert ml3.transfer.frozen_learning_rate == ml3.transfer.unfrozen_learning_rate == 1e-3


def test_unknown_preset() -> None:
    with pytest.raises(ConfigError, match="unknown preset 'nope'; choose one of seed, handson-ml2, handson-ml3"):
        preset("nope")


@pytest.mark.parametrize("name", list(PRESETS))
def test_toml_round_trip(name: str, tmp_path: Path) -> None:
    config = apply_overrides(preset(name), ["run.seeds=[1, 2, 3]", "network.batch_norm=true", "data.dir='/d \"x\"'"])
    path = tmp_path / "experiment.toml"
    path.write_text(config_to_toml(config))
    assert load_config_file(path) == config


ODD_TEXT = [
    "/tmp/x😀",  # outside the Basic Multilingual Plane: JSON writes it as two \\u escapes TOML refuses
    "C:\\data\\fashion",
    "quote \" and apostrophe '",
    "tab\tnew\nline\rbell\x07del\x7f",
    "ünïcødé 中文 ﷽",
    "",
    "\\u00e9 is not an escape here",
]


@pytest.mark.parametrize("text", ODD_TEXT)
def test_toml_round_trips_odd_text(text: str, tmp_path: Path) -> None:
    config = apply_overrides(ExperimentConfig(), [])
    config = config_from_dict({"data": {"dir": text}, "cluster": {"address": ""}}, config)
    path = tmp_path / "odd.toml"
    path.write_text(config_to_toml(config), encoding="utf-8")
    assert load_config_file(path).data.dir == text


def test_text_that_is_not_utf8_is_refused_by_name_not_written_broken() -> None:
    undecodable = b"/tmp/\xff".decode("utf-8", "surrogateescape")  # a file name's bytes as Python reads them
    with pytest.raises(ConfigError, match=r"data.dir holds .*, which is not valid text \(UTF-8\)") as raised:
        config_from_dict({"data": {"dir": undecodable}})
    assert raised.value.key == "data.dir"


def test_the_toml_shows_the_default_search_spaces_as_this_tuning_uses_them(tmp_path: Path) -> None:
    config = apply_overrides(
        ExperimentConfig(),
        ["tune.epochs=3", 'tune.arms=["scratch", "transfer", "AnB+:2"]',
         'tune.space."AnB+:2".learning_rate={dist="log", low=1e-3, high=1e-2}'],
    )  # fmt: skip
    text = config_to_toml(config)
    space = text[text.index("[tune.space]") :].split("\n\n")[0].splitlines()
    assert space[1] == '"AnB+:2".learning_rate = { dist = "log", low = 0.001, high = 0.01 }'
    assert '# transfer.frozen_epochs = { dist = "choice", values = [0, 2] }' in space
    assert '# scratch.learning_rate = { dist = "log", low = 0.0001, high = 0.1 }' in space
    path = tmp_path / "t.toml"
    path.write_text(text)
    assert load_config_file(path) == config
    # a commented default, uncommented, is the user's own: at these epochs it fits; at fewer it is refused
    path.write_text(text.replace("# transfer.frozen_epochs", "transfer.frozen_epochs"))
    assert load_config_file(path).tune.space["transfer"]["frozen_epochs"].values == (0, 2)
    shorter = text.replace("# transfer.frozen_epochs", "transfer.frozen_epochs").replace("epochs = 3", "epochs = 2")
    path.write_text(shorter)
    with pytest.raises(ConfigError, match=r"fewer than tune.epochs \(2\), .*; it is \[0, 2\] .*values=\[0\]"):
        load_config_file(path)


def test_a_short_tuning_clips_the_default_frozen_epochs_and_says_so() -> None:
    config = apply_overrides(ExperimentConfig(), ["tune.budget=4", "tune.epochs=3"])
    assert config.tune.space_of("transfer")["frozen_epochs"].values == (0, 2)
    assert config.tune.clipped_defaults() == [
        "tune.space.transfer.frozen_epochs: the default choices [0, 2, 4, 8] are kept to [0, 2], "
        "those below tune.epochs (3)"
    ]
    assert ExperimentConfig().tune.clipped_defaults() == []
    one = apply_overrides(ExperimentConfig(), ["tune.epochs=1"])
    assert one.tune.space_of("transfer")["frozen_epochs"].values == (0,)


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("split.b_classes=[5, 5]", "split.b_classes must be two different classes"),
        ("split.b_classes=[5, 10]", "split.b_classes must be classes 0..9"),
        ("split.b_classes=[1, 2, 3]", "split.b_classes must hold exactly two classes"),
        ("split.n_train_b=0", "split.n_train_b must be at least 1"),
        ("split.n_train_b=1.5", "split.n_train_b must be a whole number"),
        ("split.b_sample=sometimes", "split.b_sample must be one of auto, first, random"),
        ("network.hidden=[]", "network.hidden must be 1 to 20 layer sizes"),
        ("network.hidden=[300, 0]", "network.hidden must be 1 to 20 layer sizes"),
        ("network.hidden=300", "network.hidden must be a list of whole numbers"),
        ("network.activation=sigmoidal", "network.activation must be one of selu"),
        ("network.initializer=zeros", "network.initializer must be one of lecun_normal"),
        ("network.batch_norm=1", "network.batch_norm must be true or false"),
        ("train_a.epochs=0", "train_a.epochs must be between 1 and 10000"),
        ("train_a.learning_rate=-1", r"train_a.learning_rate must be a number in \(0, 10\]"),
        ("train_a.learning_rate=nan", r"train_a.learning_rate must be a number in \(0, 10\]"),
        ("train_a.learning_rate=fast", "train_a.learning_rate must be a number"),
        ("train_a.optimizer=lion", "train_a.optimizer must be one of sgd, momentum"),
        ("transfer.frozen_epochs=-1", "transfer.frozen_epochs must be between 0 and 10000"),
        ("run.seeds=[]", "run.seeds must list at least one seed"),
        ("run.seeds=[1, 1]", "run.seeds must not repeat a seed"),
        ("run.seeds=[-3]", "run.seeds must be between 0 and"),
        ("run.batch_size=0", "run.batch_size must be between 1 and 65536"),
        ("run.epochs=3", r"unknown key run.epochs; known keys in \[run\]: seeds, batch_size"),
        ("runs.seeds=[1]", r"unknown section \[runs\]"),
        ("seeds", "--set expects section.key=value"),
    ],
)
def test_bad_values_name_their_key(assignment: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        apply_overrides(ExperimentConfig(), [assignment])


def test_no_epochs_for_b_at_all() -> None:
    with pytest.raises(ConfigError, match=r"frozen_epochs \+ transfer\.unfrozen_epochs must be at least 1"):
        apply_overrides(ExperimentConfig(), ["transfer.frozen_epochs=0", "transfer.unfrozen_epochs=0"])


def test_section_must_be_a_table() -> None:
    with pytest.raises(ConfigError, match=r"\[split\] must be a table"):
        config_from_dict({"split": 3})


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config_file(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[split\nb_classes = 3")
    with pytest.raises(ConfigError, match=r"broken\.toml is not valid TOML"):
        load_config_file(broken)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[network]\nhidden = 'big'\n")
    with pytest.raises(ConfigError, match=r"wrong\.toml: network\.hidden must be a list of whole numbers"):
        load_config_file(wrong)


def test_file_is_applied_over_a_preset(tmp_path: Path) -> None:
    path = tmp_path / "partial.toml"
    path.write_text("[split]\nn_train_b = 50\n")
    config = load_config_file(path, preset("handson-ml3"))
    assert config.split.n_train_b == 50 and config.split.b_classes == (0, 2)


def test_set_reads_toml_values() -> None:
    config = apply_overrides(
        ExperimentConfig(),
        ["network.hidden=[100, 100]", "network.activation=relu", "train_a.learning_rate=1e-2", "split.b_classes=[0,2]"],
    )
    assert config.network.hidden == (100, 100) and config.network.activation == "relu"
    assert config.train_a.learning_rate == 0.01 and config.split.b_classes == (0, 2)


def test_parse_seeds() -> None:
    assert parse_seeds("42,1,2") == (42, 1, 2)
    assert parse_seeds("1-4, 42") == (1, 2, 3, 4, 42)
    for bad in ("a", "1,,2", "1-"):
        with pytest.raises(ConfigError, match="seeds must look like 42,1,2 or 1-10"):
            parse_seeds(bad)
    with pytest.raises(ConfigError, match="seeds must count upward in a range: 1-5, not 5-1"):
        parse_seeds("5-1")


def test_errors_carry_the_key_for_the_form() -> None:
    with pytest.raises(ConfigError) as caught:
        apply_overrides(ExperimentConfig(), ["split.n_train_b=0"])
    assert caught.value.key == "split.n_train_b"
    with pytest.raises(ConfigError) as caught:
        parse_seeds("x")
    assert caught.value.key == "run.seeds"


def test_network_kind_is_checked_and_written() -> None:
    assert config_to_dict(ExperimentConfig())["network"]["kind"] == "dense"
    with pytest.raises(ConfigError, match=r"network\.kind must be one of dense, cnn; got 'rnn'") as caught:
        apply_overrides(ExperimentConfig(), ["network.kind=rnn"])
    assert caught.value.key == "network.kind"
    with pytest.raises(
        ConfigError, match=r"unknown key network.filters; known keys in \[network\]: hidden, activation"
    ):
        apply_overrides(ExperimentConfig(), ["network.filters=[32]"])


def test_a_config_written_before_network_kinds_reads_as_dense() -> None:
    old = {"network": {"hidden": [64, 32], "activation": "relu", "initializer": "he_normal", "batch_norm": False}}
    config = config_from_dict(old)
    assert config.network.hidden == (64, 32) and config_to_dict(config)["network"]["kind"] == "dense"


def test_values_inside_tables_name_their_whole_key() -> None:
    with pytest.raises(ConfigError, match=r"leaderboard.hyperparameters.adam.beta_1 must be a number .*got 'high'"):
        apply_overrides(ExperimentConfig(), ["leaderboard.hyperparameters.adam.beta_1='high'"])
    with pytest.raises(ConfigError, match=r"leaderboard.hyperparameters must be a table of optimizer tables"):
        config_from_dict({"leaderboard": {"hyperparameters": 3}})
    with pytest.raises(
        ConfigError, match=r"split.extra_pairs must be a list of class pairs like \[\[0, 2\], \[7, 9\]\]"
    ):
        apply_overrides(ExperimentConfig(), ["split.extra_pairs=[[0, 'x']]"])


def test_a_config_round_trips_through_its_dict() -> None:
    config = apply_overrides(ExperimentConfig(), ["leaderboard.hyperparameters.adam.learning_rate=2", "run.seeds=[3]"])
    assert config_from_dict(config_to_dict(config)) == config
    assert config.leaderboard.hyperparameters["adam"]["learning_rate"] == 2.0  # a whole number read as a number


@pytest.mark.parametrize(
    ("assignment", "read"),
    [
        ("study.treatments=[AnB,BnB+]", ("AnB", "BnB+")),
        ("tune.arms=[scratch, transfer, AnB+:2]", ("scratch", "transfer", "AnB+:2")),
        ('study.treatments=["AnB"]', ("AnB",)),
    ],
)
def test_a_list_of_bare_names_reads_as_names(assignment: str, read: tuple) -> None:
    config = apply_overrides(ExperimentConfig(), [assignment])
    section, key = assignment.split("=")[0].split(".")
    assert getattr(getattr(config, section), key) == read


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("study.treatments=[AnB,XnB]", "study.treatments must be one of AnB, AnB+, BnB, BnB+; got 'XnB'"),
        (
            "tune.space.transfer.frozen_epochs=[0,2]",
            'tune.space.transfer.frozen_epochs must be a table such as {dist="log", low=1e-4, high=0.1} or '
            '{dist="choice", values=[0, 2]} (dist: log, uniform, int, choice), got [0, 2]',
        ),
        (
            'tune.space.scratch.learning_rate={dist="log", low="x", high=1}',
            "tune.space.scratch.learning_rate must be a table such as",
        ),
        ("tune.space.transfer=3", "tune.space.transfer must be a table of searched values, got 3"),
        ("tune.space=[1]", "tune.space must be a table of arms' tables, got [1]"),
    ],
)
def test_a_bad_search_space_or_name_is_named_by_its_whole_key(assignment: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        apply_overrides(ExperimentConfig(), [assignment])
    assert str(raised.value).startswith(message) and "Expected" not in str(raised.value)
