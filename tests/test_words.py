"""Counted words read as English at every count: '1 seed', '2 seeds', 'both seeds', never '1 seeds' or '(s)'."""

from __future__ import annotations

from engine.results.study import StudyCell, StudyResult
from engine.results.words import every, plural


def test_plural_and_every() -> None:
    assert [plural(n, "seed") for n in (0, 1, 2)] == ["0 seeds", "1 seed", "2 seeds"]
    assert plural(1, "loss", "losses") == "1 loss" and plural(3, "loss", "losses") == "3 losses"
    assert [every(n, "seed") for n in (1, 2, 5)] == ["its one seed", "both seeds", "all 5 seeds"]


def test_a_sweep_over_two_seeds_says_both() -> None:
    config = {"run": {"seeds": [1, 2]}, "network": {"kind": "dense"}, "split": {"b_classes": [5, 6]}}
    cells = [StudyCell("AnB", 1, {1: 0.99, 2: 0.98})]
    reading = " ".join(StudyResult(config, cells, {1: 0.9, 2: 0.91}, {1: 0.8, 2: 0.8}, "finished", "CPU").reading())
    assert "beats baseB in both seeds at n = 1" in reading and "in all 2 seeds" not in reading
    assert "over 2 seeds." in reading


def test_both_models_at_chance_level_are_said_to_be_and_no_difference_is_read() -> None:
    from engine.results.experiment import SeedResult, summarise

    # Pullover vs Coat after one epoch, as a new user ran it
    verdict = summarise([SeedResult(42, (2, 4), 0.7, 0.5125, 0.5000, {})]).verdict
    assert verdict.startswith("Both models are at chance level (B from scratch 51.25%, B on A 50.00%")
    assert "50% ± 2.2 points on 2,000 balanced test images" in verdict and "trailed" not in verdict
    one = summarise([SeedResult(42, (2, 4), 0.7, 0.90, 0.505, {})]).verdict
    assert one.startswith("One seed only: transfer trailed scratch by 39.50 points")
    assert "B on A is at chance level (50.50%" in one


def test_an_interval_wider_than_the_scale_is_called_too_wide_and_kept_whole() -> None:
    from engine.results.experiment import SeedResult, summarise

    seeds = [SeedResult(1, (7, 9), 0.78, 0.8975, 0.512, {}), SeedResult(2, (7, 9), 0.77, 0.9155, 0.378, {})]
    verdict = summarise(seeds).verdict
    assert "with 2 seeds the 95% interval (-142.72 to +50.42) is wider than the whole accuracy scale" in verdict
    assert "too wide to read" in verdict and "95% CI" not in verdict
