"""The layer sweep: its plan, its cells against the experiment run alone, its reading, resume, CLI and chart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.config import apply_overrides
from engine.data.fashion_mnist import Dataset
from engine.phases import B_FINETUNE, B_FROZEN, B_SCRATCH, MODEL_A
from engine.progress import PartDone, StepsDone, StopToken
from engine.results.exports import export_text
from engine.results.study import StudyCell, StudyResult
from engine.storage.checkpoints import Checkpoints
from engine.studies.experiment import run_experiment
from engine.studies.sweep import plan_sweep, run_sweep
from tests.conftest import tiny_config

SWEEP = ["network.hidden=[16, 8]", "run.seeds=[1, 2]", "study.layers=[0, 1, 2]"]


def sweep_config(*more: str):
    return apply_overrides(tiny_config(), [*SWEEP, *more])


def test_the_plan_trains_a_and_scratch_once_then_every_cell() -> None:
    plan = plan_sweep(sweep_config(), (10, 2), a_ready=False)
    assert [(p.phase, p.variant) for p in plan[:2]] == [(MODEL_A, None), (B_SCRATCH, None)]
    cells = [(p.variant, p.phase) for p in plan[2:]]
    assert cells[:2] == [("AnB 1", B_FROZEN), ("AnB 1", B_FINETUNE)]
    assert {variant for variant, _ in cells} == {f"{t} {n}" for t in ("AnB", "AnB+", "BnB", "BnB+") for n in (1, 2)}
    assert all(p.seeds == (1, 2) for p in plan)
    assert len({p.key for p in plan}) == len(plan)  # every entry has its own checkpoint and store rows
    selffer_only = plan_sweep(sweep_config("study.treatments=['BnB']"), (10, 2), a_ready=False)
    assert [p.phase for p in selffer_only][:1] == [B_SCRATCH]  # no model A when nothing reuses it


def test_every_cell_is_the_experiment_run_alone(small_dataset: Dataset) -> None:
    """A cell of the sweep gives exactly what `run` gives with that reuse depth, source and fine-tuning."""
    config = sweep_config("study.treatments=['AnB', 'BnB+']")
    events = []
    result = run_sweep(config, small_dataset, listener=events.append)
    assert result.status == "finished" and len(result.cells) == 4
    assert sum(isinstance(e, PartDone) for e in events) == 1 + 4
    cells = {(c.treatment, c.layers): c for c in result.cells}
    for treatment, layers, overrides in [
        ("AnB", 1, ["transfer.reuse_layers=1", "transfer.fine_tune=false"]),
        ("BnB+", 1, ["transfer.reuse_layers=1", "transfer.source='b'"]),
    ]:
        alone = run_experiment(apply_overrides(config, overrides), small_dataset)
        for seed_result in alone.seeds:
            assert cells[(treatment, layers)].accuracies[seed_result.seed] == seed_result.test_acc_b_transfer
            assert result.baseline[seed_result.seed] == seed_result.test_acc_b_scratch
            assert result.accuracy_a[seed_result.seed] == seed_result.test_acc_a


def test_a_stopped_sweep_resumes_without_training_finished_cells_again(small_dataset: Dataset, tmp_path: Path) -> None:
    config = sweep_config("study.treatments=['AnB', 'BnB+']")
    never_stopped = run_sweep(config, small_dataset)
    checkpoints = Checkpoints(tmp_path / "checkpoints")
    stop = StopToken()

    def stop_after_first_cell(event) -> None:
        if isinstance(event, PartDone) and event.result.cells[0].accuracies:
            stop.request()

    first = run_sweep(config, small_dataset, listener=stop_after_first_cell, stop=stop, checkpoints=checkpoints)
    assert first.status == "cancelled" and first.cells[0].accuracies and not first.cells[1].accuracies
    events = []
    resumed = run_sweep(config, small_dataset, listener=events.append, checkpoints=checkpoints)
    plan = events[0].plan
    trained = {plan[e.index].variant for e in events if isinstance(e, StepsDone)}
    assert trained == {"BnB+ 1", "AnB 2", "BnB+ 2"}  # not A, not the scratch B, not "AnB 1"
    assert resumed.to_dict()["cells"] == never_stopped.to_dict()["cells"]
    assert resumed.baseline == never_stopped.baseline


def make_result(cells: dict[tuple[str, int], list[float]], base: list[float]) -> StudyResult:
    seeds = range(1, len(base) + 1)
    return StudyResult(
        config={"split": {"b_classes": [5, 6]}, "network": {"kind": "dense"}, "run": {"seeds": list(seeds)}},
        cells=[StudyCell(t, n, dict(zip(seeds, values, strict=True))) for (t, n), values in cells.items()],
        baseline=dict(zip(seeds, base, strict=True)),
        accuracy_a={},
        status="finished",
    )


def test_the_reading_is_no_stronger_than_the_numbers() -> None:
    result = make_result(
        {("AnB", 1): [0.92, 0.93, 0.94], ("AnB", 2): [0.80, 0.81, 0.82], ("AnB", 3): [0.91, 0.89, 0.95]},
        base=[0.90, 0.90, 0.90],
    )
    reading = result.reading()
    assert reading[1] == (
        "AnB: beats baseB in all 3 seeds at n = 1; falls below baseB in all 3 seeds at n = 2; "
        "no difference every seed agrees on at n = 3; best mean at n = 1 (93.00%, +3.00 points vs baseB)."
    )
    summary = {(s.treatment, s.layers): s for s in result.summaries()}[("AnB", 3)]
    assert (summary.wins, summary.losses) == (2, 1) and summary.interval[0] < 0 < summary.interval[1]
    assert "anecdotes" not in " ".join(reading)
    assert result.summary_line() == "baseB 90.0%, best AnB n=1 93.0% (3/3 above)"
    two_seeds = make_result({("BnB", 1): [0.5, 0.6]}, base=[0.7, 0.8])
    assert two_seeds.reading()[-2] == "Fewer than 3 seeds: read these as anecdotes, not findings."
    assert two_seeds.reading()[-1].startswith("Varied: initial weights (per seed), data order (per seed); held fixed")
    assert StudyResult.from_dict(json.loads(json.dumps(result.to_dict()))).to_dict() == result.to_dict()
    rows = result.export_rows()
    assert {key: rows[0][key] for key in ("treatment", "layers", "seed_1", "seed_2", "seed_3")} == {
        "treatment": "baseB",
        "layers": 0,
        "seed_1": 0.9,
        "seed_2": 0.9,
        "seed_3": 0.9,
    }
    assert all(list(row) == list(rows[0]) for row in rows)  # one header for CSV and Markdown
    markdown = export_text(result, "md").splitlines()
    assert len({line.count("|") for line in markdown if line.startswith("|")}) == 1
    assert rows[2]["mean"] == pytest.approx(0.81) and rows[2]["losses"] == 3


def test_each_cell_is_read_against_its_own_seeds() -> None:
    """The sweep's reading bug: n = 1 lost seed 3 (a unit that did not finish), so the seed count was taken as 2,
    and n = 2, with 2 wins and 1 loss over 3 seeds, read 'beats baseB in both seeds'."""
    result = make_result({("AnB", 1): [0.92, 0.93, 0.94], ("AnB", 2): [0.95, 0.96, 0.80]}, base=[0.90, 0.90, 0.90])
    del result.cells[0].accuracies[3]
    assert result.reading()[1].startswith(
        "AnB: beats baseB in both seeds at n = 1; no difference every seed agrees on at n = 2;"
    )
    result.cells[1].accuracies[3] = 0.97  # now n = 2 wins all three
    assert result.reading()[1].startswith(
        "AnB: beats baseB in both seeds at n = 1; beats baseB in all 3 seeds at n = 2;"
    )


def test_a_diverged_cell_seed_counts_at_chance_level() -> None:
    result = make_result({("AnB+", 1): [0.95, 0.96, 0.97]}, base=[0.90, 0.90, 0.90])
    result.cells[0].diverged_seeds = [3]
    (summary,) = result.summaries()
    assert (summary.wins, summary.losses) == (2, 1) and summary.mean == pytest.approx((0.95 + 0.96 + 0.5) / 3)


def test_study_command_writes_table_json_and_chart(tmp_path: Path, real_data_dir: Path) -> None:
    command = [sys.executable, "-m", "tui", "study", "--data-dir", str(real_data_dir), "--home", str(tmp_path)]
    command += ["--set", "network.hidden=[16, 8]", "--set", "train_a.epochs=1", "--seeds", "1-2", "--layers", "0-2"]
    command += ["--set", "transfer.frozen_epochs=1", "--set", "transfer.unfrozen_epochs=1"]
    command += ["--treatments", "AnB+,BnB", "--json", str(tmp_path / "s.json"), "--plot", str(tmp_path / "s.svg")]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr
    assert "AnB+ 2 fine-tune" in completed.stdout and "B from scratch (baseB):" in completed.stdout
    saved = json.loads((tmp_path / "s.json").read_text())
    assert [(c["treatment"], c["layers"]) for c in saved["cells"]] == [("AnB+", 1), ("BnB", 1), ("AnB+", 2), ("BnB", 2)]
    assert all(set(c["accuracies"]) == {"1", "2"} for c in saved["cells"])
    svg = (tmp_path / "s.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg and "layers reused (n)" in svg
    assert "Which layers transfer: Sandal vs Shirt, 2 seeds" in svg  # the classes by name

    listed = subprocess.run(
        [sys.executable, "-m", "tui", "runs", "--home", str(tmp_path), "list"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "study" in listed.stdout and "baseB" in listed.stdout, listed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plot", "chart.pdf"], "--plot chart.pdf: give a .svg or .png file"),
        (["--layers", "0-9"], "study.layers must be at most 5, the network's hidden layers"),
        (["--treatments", "AnB,XnY"], "study.treatments must be one of AnB, AnB+, BnB, BnB+; got 'XnY'"),
        (
            ["--b-classes", "5,6", "0,2", "--layers", "0-2"],
            "--layers, --treatments and --plot belong to the layer sweep of one pair and network",
        ),
        (["--networks", "dense,vgg"], "study.networks has 'vgg'; give a preset or dense"),
        (["--b-classes", "all", "--map", "map.pdf"], "--map map.pdf: give a .svg, .csv or .json file"),
    ],
)
def test_study_command_refuses_bad_input_before_training(tmp_path: Path, args: list[str], message: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "tui", "study", "--home", str(tmp_path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert message in completed.stderr and completed.stderr.count("\n") == 1, completed.stderr
