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
