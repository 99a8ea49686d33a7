"""Cutting a run into units for a cluster, and putting their results back together (no Ray, no training)."""

from __future__ import annotations

from engine.config import apply_overrides
from engine.results.experiment import ExperimentResult, SeedResult
from engine.results.leaderboard import LeaderboardResult, OptimizerEntry
from engine.results.study import StudyCell, StudyResult
from engine.studies import experiment, leaderboard, pair_map, sweep
from tests.conftest import tiny_config


def test_units_are_whole_populations() -> None:
    config = apply_overrides(tiny_config(), ["run.seeds=[1,2,3,4]", "split.extra_pairs=[[0,1],[7,9]]"])
    # the pairs train as one population here, so they are one unit there
    assert [(p.split.pairs, p.run.seeds, indexed) for p, indexed in experiment.cut_kind(config, workers=4)] == [
        ([(5, 6), (0, 1), (7, 9)], (1, 2, 3, 4), True)
    ]
    small = apply_overrides(config, ["run.population_memory_gb=0.0001"])  # one pair per population
    assert [p.split.pairs for p, _ in experiment.cut_kind(small, workers=2)] == [[(5, 6)], [(0, 1)], [(7, 9)]]
    one_pair = apply_overrides(tiny_config(), ["run.seeds=[1,2,3,4]"])
    assert experiment.cut_kind(one_pair, workers=4) == [(one_pair, False)]
    assert sweep.cut_kind(one_pair, workers=4) == [(one_pair, False)]


def test_a_leaderboard_is_cut_by_optimizers_unless_each_starts_from_a_model_a() -> None:
    config = apply_overrides(tiny_config(), ["run.seeds=[1,2]", 'leaderboard.optimizers=["sgd","adam","nadam"]'])
    assert [p.leaderboard.optimizers for p, _ in leaderboard.cut_kind(config, 2)] == [("sgd", "nadam"), ("adam",)]
    assert [p.leaderboard.optimizers for p, _ in leaderboard.cut_kind(config, 8)] == [("sgd",), ("adam",), ("nadam",)]
    on_a = apply_overrides(config, ["leaderboard.task=b_on_a"])
    assert leaderboard.cut_kind(on_a, 2) == [(on_a, False)]


def test_a_map_gives_each_network_its_units() -> None:
    config = apply_overrides(
        tiny_config(), ["run.seeds=[1,2]", "split.extra_pairs=[[0,1]]", 'study.networks=["dense","cnn"]']
    )
    units = pair_map.cut_kind(config, workers=2)
    assert [(p.study.networks, p.split.pairs, indexed) for p, indexed in units] == [
        (("dense",), [(5, 6), (0, 1)], True),
        (("cnn",), [(5, 6), (0, 1)], True),
    ]


def test_each_kind_names_its_units_and_a_unit_gets_the_runs_options_with_its_own_files(tmp_path) -> None:
    """The driver asks the study what tells its units apart, and ships every file the options name (no kind
    is special-cased there)."""
    from pathlib import Path

    from engine.execution.units import Unit
    from engine.kinds import RunOptions

    config = apply_overrides(tiny_config(), ["run.seeds=[1,2]", 'leaderboard.optimizers=["sgd","adam"]'])
    maps = apply_overrides(config, ["split.extra_pairs=[[0,1]]", 'study.networks=["dense","cnn"]'])
    assert Unit(1, config, 0, (), words=leaderboard.unit_words(config)).title() == (
        "unit 2: pairs 5-6, seeds 1,2, sgd,adam"
    )
    assert [pair_map.unit_words(part) for part, _ in pair_map.cut_kind(maps, 2)] == ["dense", "cnn"]
    assert Unit(0, config, 0, (), words=experiment.unit_words(config)).title() == "unit 1: pairs 5-6, seeds 1,2"
    options = RunOptions(model_a=str(tmp_path / "mine.keras"), save_models=False, tensorboard=str(tmp_path))
    assert options.input_files() == {"model_a": tmp_path / "mine.keras"}
    assert RunOptions().input_files() == {}
    unit = options.for_unit({"model_a": Path("/unit/input-model_a/mine.keras")})
    assert unit == RunOptions(model_a="/unit/input-model_a/mine.keras", save_models=False, use_cache=False)


def _seed(pair, seed, acc) -> SeedResult:
    return SeedResult(seed, pair, 0.9, 0.8, acc, history={})


def test_experiment_results_merge_in_the_order_the_run_lists_them() -> None:
    config = {"split": {"b_classes": [5, 6], "extra_pairs": [[0, 1]]}, "run": {"seeds": [1, 2, 3, 4]}}
    first = ExperimentResult(
        config, [_seed((0, 1), 1, 0.5), _seed((5, 6), 1, 0.6), _seed((5, 6), 2, 0.7)], "finished", "CPU"
    )
    second = ExperimentResult(config, [_seed((5, 6), 3, 0.8)], "cancelled", "GPU: X")
    merged = ExperimentResult.merged(config, [second, first])
    assert [(r.b_classes, r.seed) for r in merged.seeds] == [((5, 6), 1), ((5, 6), 2), ((5, 6), 3), ((0, 1), 1)]
    assert (merged.status, merged.device) == ("cancelled", "GPU: X, CPU")


def test_leaderboard_and_sweep_results_merge_per_optimizer_and_per_cell() -> None:
    config = {"leaderboard": {"optimizers": ["sgd", "adam"]}}
    part_1 = LeaderboardResult(
        config, [OptimizerEntry("adam", {}, {1: {"a": [1]}}, [], [2.0, 3.0], "finished")], "finished", "CPU"
    )
    part_2 = LeaderboardResult(
        config,
        [
            OptimizerEntry("adam", {}, {2: {"a": [2]}}, [2], [4.0, 1.0], "diverged"),
            OptimizerEntry("sgd", {}, {1: {"a": [0]}}, [], [1.0], "finished"),
        ],
        "finished",
        "CPU",
    )
    merged = LeaderboardResult.merged(config, [part_1, part_2])
    assert [e.name for e in merged.entries] == ["sgd", "adam"]
    adam = merged.entries[1]
    assert (adam.histories, adam.diverged_seeds, adam.epoch_seconds, adam.status) == (
        {1: {"a": [1]}, 2: {"a": [2]}},
        [2],
        [4.0, 3.0],
        "finished",
    )

    cells = lambda values: [StudyCell("AnB", 1, values)]  # noqa: E731
    sweeps = [
        StudyResult({}, cells({1: 0.5}), {1: 0.9}, {1: 0.8}, "finished", "CPU"),
        StudyResult({}, cells({3: 0.7}), {3: 0.95}, {3: 0.85}, "finished", "CPU"),
    ]
    merged_sweep = StudyResult.merged({}, sweeps)
    assert merged_sweep.cells[0].accuracies == {1: 0.5, 3: 0.7}
    assert (merged_sweep.baseline, merged_sweep.accuracy_a) == ({1: 0.9, 3: 0.95}, {1: 0.8, 3: 0.85})


def test_events_move_to_the_runs_plan_entries_and_results_to_the_run_folder(tmp_path) -> None:
    """The driver's plumbing, typed: an event about a unit's plan entry moves to the run's by its own method, and a
    unit's result names its model files in the run folder once they are written there (no text rewriting)."""
    from pathlib import Path

    from engine.progress import EpochDone, EpochMetrics, PhaseDone, PhaseStarted, PlannedPhase, StepsDone
    from engine.results.experiment import ExperimentResult, SeedResult
    from engine.results.pair_map import MapResult

    unit_entry, run_entry = PlannedPhase("b_frozen", (1,), 1, 2, (0, 1)), PlannedPhase("b_frozen", (1,), 1, 2, (7, 9))
    metrics = EpochMetrics(0.5, 0.9, 0.4, 0.8, 1.0)
    assert PhaseStarted(0, unit_entry).at(5, run_entry) == PhaseStarted(5, run_entry)
    assert StepsDone(0, 1, 3).at(5, run_entry) == StepsDone(5, 1, 3)
    assert EpochDone(0, "b_frozen", 1, 1, 1, metrics).at(5, run_entry).index == 5
    assert PhaseDone(0).at(5, run_entry) == PhaseDone(5)

    unit_folder = Path("/tmp/transfer-tui-unit0-abc")
    files = {"b_finetune": str(unit_folder / "b0-1" / "seed1" / "b_on_a.keras")}
    seed = SeedResult(1, (0, 1), 0.9, 0.95, 0.96, {}, model_files=files)
    config = {"run": {"seeds": [1]}, "split": {"b_classes": [0, 1], "extra_pairs": []}}
    moved = ExperimentResult(config, [seed], "finished", "CPU").relocated(unit_folder, tmp_path)
    assert moved.seeds[0].model_files == {"b_finetune": str(tmp_path / "b0-1" / "seed1" / "b_on_a.keras")}
    both = MapResult(
        {"run": {"seeds": [1]}}, {"dense": ExperimentResult(config, [seed], "finished", "CPU")}, "finished", "CPU"
    )
    assert both.relocated(unit_folder, tmp_path).model_files() == moved.model_files()


def test_a_tuning_is_cut_by_pairs_and_its_units_results_merge_back() -> None:
    """On a cluster each pair's tuning is a unit (its arms share the pair's models A); the units' trials and
    models A's accuracies put back together read as the whole tuning."""
    from engine.config.arms import SCRATCH, TRANSFER
    from engine.results.tune import Trial, TuneResult
    from engine.studies import tune

    config = apply_overrides(tiny_config(), ["run.seeds=[1,2]", "split.extra_pairs=[[0,1]]"])
    units = tune.cut_kind(config, workers=4)
    assert [(part.split.pairs, indexed) for part, indexed in units] == [([(5, 6)], False), ([(0, 1)], False)]
    assert tune.unit_words(units[0][0]) == ""

    def part(pair) -> TuneResult:
        trials = [Trial(arm, 0, pair, seed, {}, 0.9, 0.8, 1) for arm in (SCRATCH, TRANSFER) for seed in (1, 2)]
        accuracy = {f"{pair[0]}-{pair[1]}:{seed}": 0.9 for seed in (1, 2)}
        return TuneResult({}, trials, "finished", "CPU", 986, accuracy)

    whole = TuneResult.merged({"tune": {"budget": 1, "arms": [SCRATCH, TRANSFER]}}, [part((5, 6)), part((0, 1))])
    assert whole.pairs == [(5, 6), (0, 1)] and len(whole.trials) == 8 and whole.n_validation == 986
    assert set(whole.accuracy_a) == {"5-6:1", "5-6:2", "0-1:1", "0-1:2"}
    assert all(whole.complete(pair) for pair in whole.pairs)
