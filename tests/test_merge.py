"""Runs done in parts merged into one: a map a few pairs at a time, an experiment a few seeds at a time. The whole
must read exactly as one run over every pair and seed would, and parts that are not shares of one experiment are
refused in one line."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest

from engine.config import ExperimentConfig, config_to_dict
from engine.errors import ConfigError
from engine.results.experiment import ExperimentResult, SeedResult
from engine.results.merge import Part, exported_result, merged_result, with_models_here
from engine.results.pair_map import MapResult
from engine.storage.store import RunStore
from tui.main import main
from tui.screens.results import models_folder
from tui.state.stored import result_of

PAIRS = [(0, 1), (0, 2), (5, 6)]


def _config(pairs: list[tuple[int, int]], seeds: list[int], **run) -> dict:
    config = config_to_dict(ExperimentConfig())
    config["split"]["b_classes"], config["split"]["extra_pairs"] = list(pairs[0]), [list(p) for p in pairs[1:]]
    config["run"] |= {"seeds": seeds, "precision": "bfloat16", **run}
    config["study"]["networks"] = ["dense", "cnn"]
    return config


def _seed(pair: tuple[int, int], seed: int, network: str) -> SeedResult:
    """Accuracies that differ by pair, seed and network, so a result put together wrongly cannot pass."""
    offset = (pair[0] * 10 + pair[1]) / 1000 + seed / 100 + (0.05 if network == "cnn" else 0.0)
    history = {"model_a": {"loss": [1.0 - offset]}}
    return SeedResult(seed, pair, 0.8 + offset, 0.9 - offset, 0.9 + offset / 2, history)


def _map(config: dict, status: str = "finished") -> MapResult:
    pairs = [tuple(config["split"]["b_classes"]), *(tuple(p) for p in config["split"]["extra_pairs"])]
    seeds = config["run"]["seeds"]
    results = {
        network: ExperimentResult(
            {**config, "network": {"kind": network}},
            [_seed(pair, seed, network) for pair in pairs for seed in seeds],
            status,
            "CPU, bfloat16",
        )
        for network in ("dense", "cnn")
    }
    return MapResult(config, results, status, "CPU, bfloat16")


def _part(name: str, config: dict, status: str = "finished") -> Part:
    return Part(name, config, _map(config, status))


def test_a_map_run_a_few_pairs_at_a_time_reads_as_the_whole_map() -> None:
    parts = [_part("first", _config(PAIRS[:2], [1, 2, 3])), _part("second", _config(PAIRS[2:], [1, 2, 3]))]
    config, result = merged_result(parts)
    whole = _config(PAIRS, [1, 2, 3])
    assert config == whole
    assert result.to_dict() == _map(whole).to_dict()  # every cell, the paired gains and the verdict
    assert [m.name for m in result.maps()] == ["dense", "cnn"] and list(result.maps()[0].cells) == PAIRS


def test_an_experiment_run_a_few_seeds_at_a_time_reads_as_all_its_seeds() -> None:
    def experiment(seeds: list[int]) -> ExperimentResult:
        config = _config([(5, 6)], seeds)
        return ExperimentResult(config, [_seed((5, 6), s, "dense") for s in seeds], "finished", "CPU")

    parts = [Part(str(seeds), experiment(seeds).config, experiment(seeds)) for seeds in ([3, 1], [2])]
    config, result = merged_result(parts)
    assert config["run"]["seeds"] == [3, 1, 2]
    assert result.to_dict() == experiment([3, 1, 2]).to_dict()
    assert result.summaries()[(5, 6)].n_seeds == 3


def test_where_a_part_ran_may_differ_but_not_what_it_computed() -> None:
    elsewhere = _config(PAIRS[2:], [1, 2, 3], population_memory_gb=1.0)
    elsewhere["data"]["dir"], elsewhere["cluster"]["address"] = "/other/machine/fashion-mnist", "local"
    _, result = merged_result([_part("here", _config(PAIRS[:2], [1, 2, 3])), _part("there", elsewhere)])
    assert result.status == "finished"
    float32 = _config(PAIRS[2:], [1, 2, 3], precision="float32")
    float32["train_a"]["epochs"] = 5
    with pytest.raises(ConfigError) as refused:
        merged_result([_part("here", _config(PAIRS[:2], [1, 2, 3])), _part("there", float32)])
    assert str(refused.value) == (
        "here and there differ in run.precision, train_a.epochs; only runs that differ in their pairs or their seeds "
        "merge"
    )


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (_config(PAIRS[1:], [1, 2, 3]), "first and second both ran pair 0,2"),
        (_config(PAIRS[:2], [3, 4]), "first and second both ran seed 3"),
        (_config(PAIRS[2:], [4, 5]), "the runs must have the same seeds and different pairs, or the same pairs and"),
    ],
)
def test_parts_that_overlap_or_cross_are_refused(second: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        merged_result([_part("first", _config(PAIRS[:2], [1, 2, 3])), _part("second", second)])


def test_unfinished_lone_or_mixed_parts_are_refused() -> None:
    first = _part("first", _config(PAIRS[:2], [1, 2, 3]))
    with pytest.raises(ConfigError, match=r"^second ended cancelled; only finished runs merge"):
        merged_result([first, _part("second", _config(PAIRS[2:], [1, 2, 3]), "cancelled")])
    with pytest.raises(ConfigError, match=r"^merging needs at least two runs$"):
        merged_result([first])
    experiment = Part("one", first.config, first.result.results["dense"])
    with pytest.raises(ConfigError, match=r"^first is a transfer map but one is a transfer experiment$"):
        merged_result([first, experiment])


def test_a_json_export_reads_back_and_anything_else_does_not() -> None:
    exported = json.loads(json.dumps(_map(_config(PAIRS, [1])).to_dict()))
    assert exported_result(exported).to_dict() == _map(_config(PAIRS, [1])).to_dict()
    experiment = json.loads(json.dumps(_map(_config(PAIRS, [1])).results["cnn"].to_dict()))
    assert isinstance(exported_result(experiment), ExperimentResult)
    assert exported_result({"config": {}, "cells": []}) is None
    assert exported_result([1, 2]) is None
    assert exported_result({"config": {}, "seeds": [{"seed": 1}]}) is None


@pytest.fixture
def two_parts(isolated_home: Path) -> RunStore:
    store = RunStore(isolated_home / "runs.sqlite")
    for run_id, pairs, version in (
        ("20261201-000000-aaaa", PAIRS[:2], "2.21"),
        ("20261202-000000-bbbb", PAIRS[2:], "2.20"),
    ):
        config = _config(pairs, [1, 2, 3])
        store.start(run_id, "map", config, isolated_home / "runs" / run_id, {"tensorflow": version}, "CPU, bfloat16")
        store.finish(run_id, "finished", _map(config).to_dict())
    return store


def test_runs_merge_records_one_run_from_a_stored_run_and_an_exported_file(
    two_parts: RunStore, tmp_path, capsys
) -> None:
    exported = tmp_path / "second.json"
    assert main(["runs", "export", "20261202", "--format", "json", "--output", str(exported)]) == 0
    assert main(["runs", "merge", "20261201", str(exported)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Merged 2 runs into transfer map" in out
    merged = two_parts.runs()[0]
    assert merged.kind == "map" and merged.status == "finished" and merged.device == "CPU, bfloat16"
    assert merged.config == _config(PAIRS, [1, 2, 3])
    assert merged.result == json.loads(json.dumps(_map(_config(PAIRS, [1, 2, 3])).to_dict()))
    assert merged.options["merged_from"] == ["20261201-000000-aaaa", str(exported)]
    assert merged.versions == {"tensorflow": "2.21"}  # the file carries no versions; the stored part does
    assert main(["runs", "show", merged.id]) == 0
    assert f"Mergedfrom:20261201-000000-aaaa,{exported}" in "".join(capsys.readouterr().out.split())
    whole = tmp_path / "whole.json"
    assert main(["runs", "export", merged.id, "--format", "json", "--output", str(whole)]) == 0
    assert json.loads(whole.read_text())["verdict"] == _map(_config(PAIRS, [1, 2, 3])).gains_verdict()


def test_runs_merge_says_in_one_line_what_is_wrong(two_parts: RunStore, tmp_path, capsys) -> None:
    not_json = tmp_path / "notes.json"
    not_json.write_text("{ not json")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"config": {}, "rows": []}))
    cases = [
        (["20261201", str(tmp_path / "missing.json")], "missing.json: no such run file"),
        (["20261201", str(not_json)], "notes.json: cannot read it as JSON"),
        (["20261201", str(other)], "other.json: not an exported transfer experiment, map or tuning"),
        (["20261201", "20261201"], "20261201-000000-aaaa is given twice"),
        (["20261201", "1999"], "no run '1999'"),
    ]
    for sources, message in cases:
        assert main(["runs", "merge", *sources]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert len(two_parts.runs()) == 2  # nothing recorded by a refused merge


def test_the_merged_config_is_a_copy(two_parts: RunStore) -> None:
    first = _config(PAIRS[:2], [1, 2, 3])
    kept = copy.deepcopy(first)
    merged_result([_part("a", first), _part("b", _config(PAIRS[2:], [1, 2, 3]))])
    assert first == kept  # the parts' own configs are not changed by merging


def _numbers(result: dict, metrics: tuple[str, ...]) -> list[tuple]:
    """Each seed's pair, seed, test accuracies and the `metrics` of its histories, in the run's order."""
    return [
        (
            tuple(s["b_classes"]),
            s["seed"],
            s["test_acc_a"],
            s["test_acc_b_scratch"],
            s["test_acc_b_transfer"],
            {phase: {k: v for k, v in h.items() if k in metrics} for phase, h in s["history"].items()},
        )
        for s in result["seeds"]
    ]


def test_two_real_runs_merged_give_the_numbers_of_one_run_over_both_pairs(
    isolated_home: Path, real_data_dir: Path, tmp_path: Path, capsys
) -> None:
    """The oracle is the run over both pairs, a population per pair as each part trained it: merging must give
    its accuracies exactly, seed by seed and epoch by epoch. Its losses agree to float32 rounding, not bit for
    bit: the whole run averages an epoch's losses over another layout of the images (the same weights: every
    accuracy and training step matches)."""
    tiny = ["--data-dir", str(real_data_dir), "--seeds", "1,2", "--no-cache"]
    for key in ("network.hidden=[16]", "train_a.epochs=1", "transfer.frozen_epochs=1", "transfer.unfrozen_epochs=1"):
        tiny += ["--set", key]
    tiny += ["--set", "run.population_memory_gb=0.001"]  # a population per pair, in the whole run as in the parts
    files = {name: tmp_path / f"{name}.json" for name in ("sandal", "pullover", "whole")}
    assert main(["run", "--b-classes", "5,6", *tiny, "--json", str(files["sandal"])]) == 0
    assert main(["run", "--b-classes", "0,2", *tiny, "--json", str(files["pullover"])]) == 0
    assert main(["run", "--b-classes", "5,6", "0,2", *tiny, "--json", str(files["whole"])]) == 0
    assert main(["runs", "merge", str(files["sandal"]), str(files["pullover"])]) == 0
    assert "Merged 2 runs into transfer experiment" in capsys.readouterr().out
    merged = RunStore(isolated_home / "runs.sqlite").runs()[0]
    whole = json.loads(files["whole"].read_text())
    assert merged.kind == "experiment" and merged.config == whole["config"]
    accuracies = ("accuracy", "val_accuracy")
    assert _numbers(merged.result, accuracies) == _numbers(whole, accuracies)
    losses = ("loss", "val_loss")
    for mine, oracle in zip(_numbers(merged.result, losses), _numbers(whole, losses), strict=True):
        for phase, values_of in oracle[-1].items():
            for name, values in values_of.items():
                assert mine[-1][phase][name] == pytest.approx(values, rel=1e-6, abs=1e-7), (oracle[:2], phase, name)
    assert merged.result["pairs"] == whole["pairs"]  # each pair's summary and verdict


def test_a_merged_run_lists_only_the_models_on_this_machine(two_parts: RunStore, tmp_path: Path, capsys) -> None:
    here = tmp_path / "runs" / "20261201-000000-aaaa" / "dense" / "b0-1" / "seed1" / "model_a.keras"
    here.parent.mkdir(parents=True)
    here.write_bytes(b"a model")
    part = _map(_config(PAIRS[:2], [1, 2, 3]))
    first = part.results["dense"].seeds[0]
    part.results["dense"].seeds[0] = dataclasses.replace(
        first, model_files={"model_a": str(here), "b_on_a": "/another/machine/b_on_a.keras"}
    )
    kept, missing = with_models_here(part)
    assert missing == 1 and kept.model_files() == [str(here)]
    assert part.model_files() == [str(here), "/another/machine/b_on_a.keras"]  # the part itself is not changed
    exported = tmp_path / "first.json"
    exported.write_text(json.dumps(part.to_dict()))
    assert main(["runs", "merge", str(exported), "20261202"]) == 0
    assert "1 model file that the parts name are not on this machine; the merged run lists the 1 that are." in (
        " ".join(capsys.readouterr().out.split())
    )
    assert result_of(two_parts.runs()[0]).model_files() == [str(here)]


def test_results_name_the_folder_that_holds_the_models(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "merged"
    own = [str(run_dir / "b5-6" / "seed1" / "model_a.keras"), str(run_dir / "b0-2" / "seed1" / "b_on_a.keras")]
    assert models_folder(own, run_dir) == run_dir
    parts = [str(tmp_path / "runs" / "first" / "b5-6" / "seed1" / "model_a.keras"), str(tmp_path / "runs" / "2" / "m")]
    assert models_folder(parts, run_dir) == tmp_path / "runs"


def test_a_tuning_over_pairs_run_a_few_pairs_at_a_time_reads_as_the_whole_fair_map() -> None:
    from engine.config.arms import SCRATCH, TRANSFER
    from engine.config.search import ONE_SHOT
    from engine.results.tune import Trial, TuneResult

    def tuning(pairs: list[tuple[int, int]]) -> TuneResult:
        config = config_to_dict(ExperimentConfig())
        config["split"]["b_classes"], config["split"]["extra_pairs"] = list(pairs[0]), [list(p) for p in pairs[1:]]
        config["run"]["seeds"], config["tune"]["budget"] = [1, 2], 2
        trials = [
            Trial(arm, number, pair, seed, {}, 0.8 + number / 100, 0.8 + (pair[1] + seed + number) / 200, 1)
            for pair in pairs
            for seed in (1, 2)
            for arm in (SCRATCH, TRANSFER)
            for number in (0, 1, ONE_SHOT)
        ]
        accuracy_a = {f"{a}-{b}:{seed}": 0.9 for a, b in pairs for seed in (1, 2)}
        return TuneResult(config, trials, "finished", "CPU", 1000, accuracy_a)

    whole = tuning(PAIRS)
    exported = [json.loads(json.dumps(tuning(pairs).to_dict())) for pairs in (PAIRS[:2], PAIRS[2:])]
    parts = [Part(f"part-{i}.json", data["config"], exported_result(data)) for i, data in enumerate(exported)]
    assert all(isinstance(part.result, TuneResult) for part in parts)
    config, merged = merged_result(parts)
    assert config["split"]["extra_pairs"] == [list(p) for p in PAIRS[1:]]
    assert merged.map_reading() == whole.map_reading() and merged.summary_line() == whole.summary_line()


def test_a_part_made_before_a_key_existed_merges_with_one_made_after() -> None:
    """A long map run in parts across versions: a key added since (with its default) is no difference."""
    older = _config(PAIRS[:2], [1, 2])
    del older["leaderboard"]["tasks"], older["run"]["deterministic"]
    config, _ = merged_result([_part("older.json", older), _part("newer.json", _config(PAIRS[2:], [1, 2]))])
    assert config["leaderboard"]["tasks"] == [] and config["run"]["deterministic"] is True
    changed = _config(PAIRS[2:], [1, 2])
    changed["run"]["deterministic"] = False  # a value that differs from what the older part ran with: refused
    with pytest.raises(ConfigError, match=r"differ in run\.deterministic"):
        merged_result([_part("older.json", older), _part("changed.json", changed)])
