"""One registry of run kinds: a new kind is one entry plus its own modules, and the store, exports, History's
summaries and `runs list` handle it without being told."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.config import ExperimentConfig, apply_overrides
from engine.errors import ConfigError
from engine.execution.tracking import run_tracked
from engine.kinds import EXPERIMENT, KINDS, LEADERBOARD, RunOptions, kind_named, kind_of
from engine.progress import StopToken
from engine.results.exports import export_text
from engine.storage.store import RunStore, open_store
from tests.coin_kind import COINS
from tests.conftest import synthetic_dataset
from tui.main import main
from tui.state.stored import result_of, summary_of


def test_each_kind_reads_back_what_it_stores() -> None:
    assert kind_named("experiment") is EXPERIMENT and kind_named("leaderboard") is LEADERBOARD
    with pytest.raises(ConfigError, match="unknown kind of run 'nope'"):
        kind_named("nope")
    options = RunOptions(model_a="/a.keras", save_models=False, use_cache=False, tensorboard="/tb")
    assert RunOptions.from_dict(json.loads(json.dumps(options.to_dict()))) == options
    assert RunOptions.from_dict({"save_models": False, "something_old": 1}) == RunOptions(save_models=False)


def test_a_new_kind_is_one_entry(monkeypatch: pytest.MonkeyPatch, isolated_home: Path, capsys) -> None:
    monkeypatch.setitem(KINDS, COINS.name, COINS)
    config = apply_overrides(ExperimentConfig(), ["run.seeds=[1, 2, 4]"])
    result = run_tracked(
        COINS, config, synthetic_dataset(), isolated_home / "runs" / "r-coins", print, StopToken(), RunOptions()
    )
    assert kind_of(result) is COINS
    (record,) = RunStore(isolated_home / "runs.sqlite").runs()
    assert (record.kind, record.status) == ("coins", "finished")
    assert result_of(record) == result and summary_of(record) == "2 heads of 3"
    assert export_text(result, "csv") == "seed,heads\n1,False\n2,True\n4,True\n"
    assert main(["runs", "list"]) == 0
    assert "2 heads of 3" in capsys.readouterr().out
    # and one registration in the interface: its views, its report (what `runs show` prints), its start key
    from rich.text import Text

    from tui.kinds import VIEWS_OF, KindViews

    monkeypatch.setitem(VIEWS_OF, COINS.name, KindViews("results", "run", lambda r, **_: [Text("coins!")], "run.start"))
    assert main(["runs", "show", record.id]) == 0
    assert "coins!" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("kind", "overrides", "sample"),
    [
        ("experiment", [], "first"),  # the notebook's design: the first 200 images for every seed
        ("experiment", ["split.extra_pairs=[[0, 2]]"], "first"),  # `run` keeps it over pairs, and says so
        ("map", ["split.extra_pairs=[[0, 2]]"], "random"),  # a map of networks over pairs
        ("map", [], "random"),  # by kind, not by pairs: a map run a pair at a time merges into the whole
        ("study", [], "first"),
        ("tune", [], "random"),
        ("race", [], "random"),
        ("leaderboard", [], "first"),
        ("experiment", ["split.b_sample='first'", "split.extra_pairs=[[0, 2]]"], "first"),  # said outright: kept
        ("tune", ["split.b_sample='first'"], "first"),
    ],
)
def test_an_auto_b_sample_is_resolved_by_the_kind_before_it_is_recorded(kind, overrides, sample) -> None:
    config = apply_overrides(ExperimentConfig(), overrides)
    prepared = kind_named(kind).prepared(config)
    assert prepared.split.b_sample == sample
    assert kind_named(kind).prepared(prepared) == prepared


def test_a_stored_config_without_the_newer_keys_reads_as_its_version_ran() -> None:
    from engine.config import config_to_dict, stored_config

    old = config_to_dict(ExperimentConfig())
    del old["tune"]["draws"], old["split"]["b_sample"]
    settings = stored_config(old)
    assert (settings.tune.draws, settings.split.b_sample) == ("shared", "first")
    new = config_to_dict(apply_overrides(ExperimentConfig(), ["split.b_sample='random'"]))
    assert (stored_config(new).tune.draws, stored_config(new).split.b_sample) == ("per_seed", "random")


def test_a_tuning_run_records_b_drawn_per_seed(isolated_home: Path) -> None:
    config = apply_overrides(
        ExperimentConfig(),
        ["run.seeds=[1, 2]", "tune.budget=1", "tune.epochs=1", "train_a.epochs=1", "split.n_train_b=20"],
    )
    dataset = synthetic_dataset()
    run_dir = isolated_home / "runs" / "t1"
    result = run_tracked(
        KINDS["tune"], config, dataset, run_dir, lambda _e: None, StopToken(), RunOptions(use_cache=False)
    )
    assert result.settings.split.b_sample == "random" and result.settings.tune.draws == "per_seed"
    record = open_store().find("t1")
    assert record.config["split"]["b_sample"] == "random"
