"""`transfer-tui runs`: list, show, export and delete what the store holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.config import ExperimentConfig, config_to_dict
from engine.results.experiment import ExperimentResult, SeedResult
from engine.storage.store import RunStore
from tui.main import main


@pytest.fixture
def stored(isolated_home: Path) -> RunStore:
    store = RunStore(isolated_home / "runs.sqlite")
    config = config_to_dict(ExperimentConfig())
    config["run"]["seeds"] = [1, 2]
    result = ExperimentResult(
        config,
        [SeedResult(1, (5, 6), 0.9, 0.95, 0.97, history={}), SeedResult(2, (5, 6), 0.9, 0.96, 0.95, history={})],
        "finished",
        "CPU",
    )
    folder = isolated_home / "runs" / "20260101-000000-aaaa"
    store.start(folder.name, "experiment", config, folder, {"python": "3.11"}, "CPU")
    store.finish(folder.name, "finished", result.to_dict())
    store.start("20260102-000000-bbbb", "experiment", config, isolated_home / "runs" / "b", {}, "CPU")
    store.finish("20260102-000000-bbbb", "interrupted", None)
    return store


def test_list_and_show(stored: RunStore, capsys) -> None:
    assert main(["runs", "list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"2 runs in {stored.path}, newest first\n")
    assert out.index("20260102-000000-bbbb") < out.index("20260101-000000-aaaa")
    # the numbers, not the first words of a verdict
    assert "Sandal vs Shirt: scratch 95.50%, B on A 96.00%, Δ +0.50 points, won 1/2" in " ".join(out.split())
    assert main(["runs", "show", "20260101"]) == 0
    out = capsys.readouterr().out
    assert "Experiment 20260101-000000-aaaa: finished" in out and "97.00%" in out and "95.50%" in out
    assert main(["runs", "show", "20260102"]) == 0
    assert "'transfer-tui runs resume' continues it" in capsys.readouterr().out


def test_export_writes_into_the_run_folder(stored: RunStore, capsys) -> None:
    assert main(["runs", "export", "20260101", "--format", "csv"]) == 0
    target = Path(stored.get("20260101-000000-aaaa").folder) / "experiment.csv"
    assert target.read_text().splitlines()[0].startswith("b_pair,seed,test_acc_a")
    assert ("export", str(target)) in stored.files("20260101-000000-aaaa")
    out_json = target.with_suffix(".json")
    assert main(["runs", "export", "20260101", "--format", "json", "--output", str(out_json)]) == 0
    assert json.loads(out_json.read_text())["status"] == "finished"
    assert main(["runs", "export", "20260102", "--format", "md"]) == 2
    assert "has no results to export" in capsys.readouterr().err


def test_an_exports_format_comes_from_its_file_name_and_a_contradiction_is_refused(
    stored: RunStore, tmp_path: Path, capsys
) -> None:
    assert main(["runs", "export", "20260101", "--output", str(tmp_path / "x.md")]) == 0
    assert (tmp_path / "x.md").read_text().startswith("# ")
    assert main(["runs", "export", "20260101", "--format", "csv", "--output", str(tmp_path / "y.json")]) == 2
    error = capsys.readouterr().err
    assert "--format csv but --output" in error and "is a .json file" in error and error.count("\n") == 1
    assert not (tmp_path / "y.json").exists()
    assert main(["runs", "export", "20260101", "--output", str(tmp_path / "z.txt")]) == 2
    assert "name the file .csv, .json or .md" in capsys.readouterr().err
    assert main(["runs", "export", "20260101"]) == 0  # no format, no file: the JSON, in the run's folder
    written = Path(stored.get("20260101-000000-aaaa").folder) / "experiment.json"
    assert json.loads(written.read_text())["status"] == "finished"


def test_unknown_or_ambiguous_ids_are_clear(stored: RunStore, capsys) -> None:
    assert main(["runs", "show", "1999"]) == 2
    assert "no run '1999'" in capsys.readouterr().err
    assert main(["runs", "show", "2026"]) == 2
    assert "'2026' matches 2 runs" in capsys.readouterr().err
    assert main(["runs", "resume", "20260101"]) == 2
    assert "is finished; only interrupted, cancelled or failed runs resume" in capsys.readouterr().err


def test_delete(stored: RunStore, capsys) -> None:
    folder = Path(stored.get("20260101-000000-aaaa").folder)
    folder.mkdir(parents=True)
    (folder / "model.keras").write_text("x")
    assert main(["runs", "delete", "20260101", "--yes"]) == 0
    assert stored.get("20260101-000000-aaaa") is None and not folder.exists()


def test_home_option_moves_the_store_and_reading_an_empty_one_says_where_and_makes_none(tmp_path: Path, capsys) -> None:
    elsewhere = tmp_path / "elsewhere"
    assert main(["runs", "list", "--home", str(elsewhere)]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert said.startswith(f"No runs yet: there is no run store at {elsewhere / 'runs.sqlite'} ") and "--home" in said
    assert main(["runs", "show", "2026", "--home", str(elsewhere)]) == 2
    assert f"there is no run store at {elsewhere / 'runs.sqlite'}" in capsys.readouterr().err
    assert not elsewhere.exists()  # looking made no folder


def test_runs_over_several_pairs_list_as_maps(stored: RunStore, capsys) -> None:
    config = config_to_dict(ExperimentConfig())
    config["split"]["extra_pairs"] = [[0, 2]]
    seeds = [SeedResult(1, pair, 0.9, 0.95, 0.97, history={}) for pair in ((5, 6), (0, 2))]
    stored.start("20260103-000000-cccc", "experiment", config, stored.path.parent / "c", {}, "CPU")
    stored.finish("20260103-000000-cccc", "finished", ExperimentResult(config, seeds, "finished", "CPU").to_dict())
    assert main(["runs", "list", "--kind", "map"]) == 0
    out = capsys.readouterr().out
    assert "1 run in" in out and "20260103-000000-cccc   map" in out and "aaaa" not in out
    assert main(["runs", "list", "--kind", "experiment"]) == 0
    assert "cccc" not in capsys.readouterr().out
    assert main(["runs", "list", "--kind", "tune"]) == 0
    assert capsys.readouterr().out == f"No tune runs among the 3 runs in {stored.path}.\n"
