"""The transfer map: its numbers, its colours, its reading, the paired gains of two networks, and the commands
that draw it on the real data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from engine.config import config_from_dict
from engine.config.presets import preset, study_networks
from engine.errors import ConfigError
from engine.results.experiment import ExperimentResult, SeedResult
from engine.results.pair_map import MapResult, PairMap, gains_verdict, paired_gains, shade
from tui.cli.map_file import write_map_file
from tui.render.map import AHEAD, BEHIND, cell_text, map_table


def _result(kind: str, per_pair: dict[tuple[int, int], list[float]], scratch: float = 0.95) -> ExperimentResult:
    """Per pair, each seed's gain of B on A over a scratch accuracy of `scratch`."""
    seeds = [
        SeedResult(seed, pair, 0.9, scratch, scratch + gain, {})
        for pair, gains in per_pair.items()
        for seed, gain in enumerate(gains, start=1)
    ]
    return ExperimentResult({"network": {"kind": kind}, "run": {"seeds": [1, 2, 3]}}, seeds, "finished", "CPU")


def test_each_cell_holds_its_pairs_summary() -> None:
    result = _result("dense", {(5, 6): [0.01, 0.02, 0.03], (0, 2): [-0.01, 0.0, -0.02]})
    pair_map = PairMap.of(result)
    assert pair_map.name == "dense" and list(pair_map.cells) == [(5, 6), (0, 2)]
    ahead = pair_map.cells[(5, 6)]
    assert ahead.difference_mean == pytest.approx(0.02) and ahead.wins == 3 and ahead.n_seeds == 3
    assert ahead.acc_scratch_mean == pytest.approx(0.95) and ahead.acc_transfer_mean == pytest.approx(0.97)
    behind = pair_map.cells[(0, 2)]
    assert behind.difference_mean == pytest.approx(-0.01) and (behind.wins, behind.losses, behind.ties) == (0, 2, 1)


def test_the_reading_counts_pairs_and_claims_no_more() -> None:
    per_pair = {
        (0, 1): [0.01, 0.012, 0.011],  # won every seed, interval above zero
        (0, 2): [0.03, -0.01, 0.01],  # ahead on average only
        (0, 3): [-0.02, -0.021, -0.019],  # lost every seed, interval below zero
        (0, 4): [0.0, 0.0, 0.0],  # level
    }
    reading = PairMap.of(_result("dense", per_pair)).reading()
    pooled, counts, corrected = reading.splitlines()
    assert pooled.startswith(
        "Over 4 pairs, B on A minus B from scratch: mean +0.03 points (no interval over fewer than 5 pairs), "
        "IQM +0.50; probability of improvement 0.62"
    )
    assert counts.startswith(
        "B on A was ahead of B from scratch on average in 2 of 4 pairs (won every seed in 1, 95% interval above "
        "zero in 1); behind in 1 (lost every seed in 1, 95% interval below zero in 1); level in 1."
    )
    assert corrected.startswith(
        "Pair by pair, 95% intervals clear zero above in 1 and below in 1; after Holm's correction over 4 pairs, "
        "above in 1 and below in 1 (by chance alone about 0.2 of 4 would look clear uncorrected)."
    )
    assert "With 3 seeds per pair one pair's sign is weak evidence" in reading
    assert "helped" not in reading and "hurt" not in reading


def test_colours_step_with_the_size_of_the_mean_gain_and_numbers_carry_it_without_colour() -> None:
    assert [shade(points) for points in (0.0, 0.1, 0.25, 0.9, 1.0, 2.9, 3.0, -5.0, None)] == [0, 0, 1, 1, 2, 2, 3, 3, 0]
    assert cell_text(0.004, 3, 3).style == AHEAD[1] and str(cell_text(0.004, 3, 3)) == "+0.4\n3/3"
    assert cell_text(-0.05, 0, 3).style == BEHIND[3] and str(cell_text(-0.05, 0, 3)) == "-5.0\n0/3"
    assert str(cell_text(None, 0, 0)).strip() == "div"
    result = _result("dense", {(5, 6): [0.01, 0.02, 0.03], (0, 2): [-0.01, 0.0, -0.02]})
    plain = Console(width=100, no_color=True, force_terminal=True, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    plain.print(map_table(PairMap.of(result)))
    text = plain.export_text()
    lines = text.splitlines()
    rows = {line.split()[0]: (line.split()[1:], lines[n + 1].split()) for n, line in enumerate(lines[1:-1], 1)}
    assert rows["Shirt"][0][5] == "+2.0" and rows["Shirt"][1] == ["3/3"]  # row Shirt (6), column Sandal (5)
    assert rows["Pullov"][0][0] == "-1.0" and rows["Pullov"][1] == ["0/3"]  # row Pullover (2), column T-shirt (0)
    assert "\x1b[" not in plain.export_text(styles=True).replace("\x1b[1m", "").replace("\x1b[0m", "").replace(
        "\x1b[2m", ""
    )


def test_paired_gains_compare_the_gains_seed_by_seed() -> None:
    dense = _result("dense", {(5, 6): [0.01, 0.02, 0.03], (0, 2): [0.0, 0.0, 0.0]})
    cnn = _result("cnn", {(5, 6): [0.03, 0.041, 0.052], (0, 2): [-0.01, 0.01, -0.03]}, scratch=0.9)
    gains = paired_gains(dense, cnn)
    assert [g.pair for g in gains] == [(5, 6), (0, 2)]
    assert gains[0].mean == pytest.approx(0.021) and gains[0].ci95[0] > 0 and gains[0].n_seeds == 3
    assert gains[1].mean == pytest.approx(-0.01) and gains[1].ci95[0] < 0 < gains[1].ci95[1]
    verdict = gains_verdict(gains, "dense", "cnn")
    assert verdict.splitlines()[1] == (
        "cnn gained more from transfer than dense in 1 of 2 pairs (95% interval above zero in 1, below zero in 0); "
        "mean difference of the gains +0.55 points."
    )
    assert verdict.startswith("Over 2 pairs, the gain of cnn minus that of dense: mean +0.55 points")
    both = MapResult({"run": {"seeds": [1, 2, 3]}}, {"dense": dense, "cnn": cnn}, "finished", "CPU")
    again = MapResult.from_dict(json.loads(json.dumps(both.to_dict())))
    assert again.gains_verdict() == verdict and [m.name for m in again.maps()] == ["dense", "cnn"]
    assert len(both.export_rows()) == 4 and both.export_rows()[2]["network"] == "cnn"


def test_networks_are_presets_dense_or_tables() -> None:
    config = config_from_dict({"study": {"networks": ["dense", "cnn", {"kind": "cnn", "conv": [8]}]}})
    named = study_networks(config)
    assert [name for name, _ in named] == ["dense", "cnn", "cnn-3"]
    assert named[1][1] == preset("cnn").network and named[2][1].conv == (8,)
    assert study_networks(config_from_dict({})) == [("dense", config_from_dict({}).network)]
    with pytest.raises(ConfigError, match=r"study.networks has 'vgg'; give a preset or dense"):
        study_networks(config_from_dict({"study": {"networks": ["vgg"]}}))


EXPECTED_RUNS = [((0, 2), 1), ((5, 6), 1)]
TINY = ["--set", "train_a.epochs=1", "--set", "transfer.frozen_epochs=1", "--set", "transfer.unfrozen_epochs=1"]


def test_a_run_over_pairs_ends_with_its_map_and_writes_it(tmp_path: Path, real_data_dir: Path) -> None:
    command = [sys.executable, "-m", "tui", "run", "--data-dir", str(real_data_dir), "--home", str(tmp_path)]
    command += [*TINY, "--set", "network.hidden=[16]", "--seeds", "1-2", "--b-classes", "0,1", "5,6", "7,9"]
    command += ["--no-save", "--map", str(tmp_path / "map.svg"), "--json", str(tmp_path / "run.json")]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    assert "Transfer map · dense" in completed.stdout
    assert "3 pairs, seeds 1-2, as one population (group 1 of 1)" in completed.stdout
    assert "B on A was ahead of B from scratch on average in" in completed.stdout
    assert "6 runs Model A               1/1" in completed.stdout  # one row per epoch over the pairs' members
    assert "Study: transfer vs scratch, per class pair" in completed.stdout
    svg = (tmp_path / "map.svg").read_text()
    assert "<svg" in svg and "Transfer" in svg

    data = json.loads((tmp_path / "run.json").read_text())
    assert [(s["b_classes"], s["seed"]) for s in data["seeds"]] == [
        ([first, second], seed) for first, second in ((0, 1), (5, 6), (7, 9)) for seed in (1, 2)
    ]
    assert data["summary"] is None  # one per pair, never pooled
    for entry in data["pairs"]:
        summary = entry["summary"]
        differences = [
            s["test_acc_b_transfer"] - s["test_acc_b_scratch"]
            for s in data["seeds"]
            if s["b_classes"] == entry["b_classes"]
        ]
        assert summary["n_seeds"] == 2 and summary["wins"] == sum(d > 0 for d in differences)
        assert summary["difference_mean"] == pytest.approx(sum(differences) / 2, abs=1e-12)
        low, high = summary["difference_ci95"]
        assert low <= summary["difference_mean"] <= high
    result = ExperimentResult.from_dict(data)
    write_map_file(result, tmp_path / "map.json")
    write_map_file(result, tmp_path / "map.csv")
    cells = json.loads((tmp_path / "map.json").read_text())["maps"][0]["cells"]
    assert [(c["negative"], c["positive"]) for c in cells] == [
        ("T-shirt/top", "Trouser"),
        ("Sandal", "Shirt"),
        ("Sneaker", "Ankle boot"),
    ]
    assert all(c["seeds"] == 2 for c in cells)
    summary = result.summaries()[(5, 6)]
    assert cells[1]["difference_points"] == pytest.approx(100 * summary.difference_mean)
    csv_lines = (tmp_path / "map.csv").read_text().splitlines()
    assert csv_lines[0].startswith("network,negative,positive,seeds,scratch_mean") and len(csv_lines) == 4


def test_a_study_of_two_networks_maps_both_on_the_same_pairs_and_seeds(tmp_path: Path, real_data_dir: Path) -> None:
    config = tmp_path / "map.toml"
    config.write_text(
        '[network]\nhidden = [16]\n[study]\nnetworks = ["dense", {kind = "cnn", conv = [2], hidden = [4]}]\n'
    )
    command = [sys.executable, "-m", "tui", "study", "--data-dir", str(real_data_dir), "--home", str(tmp_path)]
    command += ["--config", str(config), *TINY, "--seeds", "1", "--b-classes", "5,6", "0,2"]
    completed = subprocess.run(
        [*command, "--json", str(tmp_path / "m.json")], capture_output=True, text=True, timeout=900
    )
    assert completed.returncode == 0, completed.stderr
    assert "Transfer map · dense" in completed.stdout and "Transfer map · cnn" in completed.stdout
    assert "Gain of cnn minus gain of dense, points" in completed.stdout
    assert "cnn gained more from transfer than dense in" in completed.stdout
    saved = json.loads((tmp_path / "m.json").read_text())
    assert list(saved["networks"]) == ["dense", "cnn"]
    for name in ("dense", "cnn"):
        runs = saved["networks"][name]["seeds"]
        assert sorted((tuple(r["b_classes"]), r["seed"]) for r in runs) == EXPECTED_RUNS
    assert saved["networks"]["cnn"]["config"]["network"]["kind"] == "cnn"
    assert len(saved["paired_gains"]) == 2 and saved["verdict"].splitlines()[1].startswith("cnn gained more")


def test_the_cells_marked_clear_are_those_holm_leaves_clear() -> None:
    """Of 4 pairs, two have intervals clear of zero, and stay clear after Holm's correction over 4 pairs: only
    they are marked, '*' and bold (the mark survives NO_COLOR)."""
    from tui.render.map import map_cell

    per_pair = {
        (0, 1): [0.01, 0.012, 0.011],
        (0, 2): [0.03, -0.01, 0.01],
        (0, 3): [-0.02, -0.021, -0.019],
        (0, 4): [0.0, 0.0, 0.0],
    }
    pair_map = PairMap.of(_result("dense", per_pair))
    assert pair_map.over_pairs.corrected == {(0, 1): 1, (0, 2): 0, (0, 3): -1, (0, 4): 0}
    marked = {pair: str(map_cell(pair_map, pair)).endswith("*") for pair in per_pair}
    assert marked == {(0, 1): True, (0, 2): False, (0, 3): True, (0, 4): False}
    assert "bold" in str(map_cell(pair_map, (0, 1)).style)
    # the same two intervals among 45 pairs: Holm asks more of each, and neither is marked any more
    many = {**per_pair, **{(a, b): [0.01, -0.01, 0.0] for a in range(1, 10) for b in range(a + 1, 10)}}
    crowded = PairMap.of(_result("dense", many))
    assert crowded.over_pairs.n_pairs == 40 and crowded.over_pairs.flags[(0, 1)] == 1
    assert crowded.over_pairs.corrected[(0, 1)] == 0 and not str(map_cell(crowded, (0, 1))).endswith("*")
