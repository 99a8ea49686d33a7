"""The transfer map in the app's Results view: a run over several pairs shows its map, the arrow keys choose a
pair and that pair's seeds show below; a study of two networks shows both maps and the verdict on their gains."""

from __future__ import annotations

from pathlib import Path

from textual.coordinate import Coordinate
from textual.widgets import Static

from engine.data.fashion_mnist import Dataset
from engine.kinds import MAP
from engine.results.experiment import ExperimentResult, SeedResult
from engine.results.pair_map import MapResult
from tests.conftest import tiny_config
from tests.pilot import shown_text, wait_for
from tui.app.app import TransferApp
from tui.widgets.pair_map import PairMapGrid


async def test_a_run_over_pairs_shows_its_map_and_the_arrow_keys_choose_a_pair(
    small_dataset: Dataset, isolated_home: Path
) -> None:
    config = tiny_config(run={"seeds": "[1, 2]"}, split={"b_classes": "[0, 1]", "extra_pairs": "[[0, 2], [1, 2]]"})
    app = TransferApp(config, load_dataset=lambda _config: small_dataset)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.running is None and app.get_screen("results").result is not None)
        results = app.get_screen("results")
        assert app.screen is results
        (grid,) = results.query(PairMapGrid)
        assert set(grid.pair_map.cells) == {(0, 1), (0, 2), (1, 2)}
        detail = results.query_one("#results-pair", Static)
        assert "T-shirt/top (0) vs Trouser (1)" in shown_text(detail)
        await pilot.press("down")  # row Pullover, column T-shirt/top: the pair (0, 2)
        await wait_for(pilot, lambda: results.chosen == ("dense", (0, 2)))
        assert "T-shirt/top (0) vs Pullover (2)" in shown_text(detail)
        await pilot.press("right")  # (1, 2)
        await wait_for(pilot, lambda: results.chosen == ("dense", (1, 2)))
        await pilot.press("right")  # above the diagonal: nothing changes
        await pilot.pause()
        assert results.chosen == ("dense", (1, 2))
        summary = app.get_screen("results").result.summaries()[(1, 2)]
        cell = grid.get_cell_at(Coordinate(1, 2))
        assert str(cell).split() == [f"{100 * summary.difference_mean:+.1f}", f"{summary.wins}/2"]


def _result(kind: str, gains: dict[tuple[int, int], float]) -> ExperimentResult:
    seeds = [
        SeedResult(seed, pair, 0.9, 0.95, 0.95 + gain + 0.001 * seed, {})
        for pair, gain in gains.items()
        for seed in (1, 2, 3)
    ]
    config = {"network": {"kind": kind}, "run": {"seeds": [1, 2, 3]}, "split": {"n_train_b": 200, "extra_pairs": []}}
    return ExperimentResult(config, seeds, "finished", "CPU")


async def test_two_networks_show_two_maps_and_the_verdict_on_their_gains(isolated_home: Path) -> None:
    dense = _result("dense", {(0, 2): -0.02, (1, 2): 0.01})
    cnn = _result("cnn", {(0, 2): 0.01, (1, 2): 0.02})
    result = MapResult({"run": {"seeds": [1, 2, 3]}}, {"dense": dense, "cnn": cnn}, "finished", "CPU")
    app = TransferApp(tiny_config(), preload_engine=False)
    async with app.run_test(size=(170, 50)) as pilot:
        app.show_result(MAP, result, isolated_home)
        results = app.get_screen("results")
        await wait_for(pilot, lambda: [grid.pair_map.name for grid in results.query(PairMapGrid)] == ["dense", "cnn"])
        assert not results.query_one("#results-maps").has_class("-stacked")
        text = shown_text(results.query_one("#results-view", Static))
        assert "cnn gained more from transfer than dense in 2 of 2 pairs" in text
        cnn_grid = results.query_one("#map-cnn", PairMapGrid)
        cnn_grid.focus()
        await pilot.press("right")
        await wait_for(pilot, lambda: results.chosen == ("cnn", (1, 2)))
        assert "cnn · Trouser vs Pullover" in shown_text(results.query_one("#results-pair", Static))
    app = TransferApp(tiny_config(), preload_engine=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.show_result(MAP, result, isolated_home)
        await wait_for(
            pilot, lambda: any(m.has_class("-stacked") for m in app.get_screen("results").query("#results-maps"))
        )


async def test_at_80x24_the_map_has_the_keys_pages_reach_below_it_and_the_cursor_skips_empty_cells(
    isolated_home: Path,
) -> None:
    result = _result("dense", {(0, 2): -0.02, (5, 6): 0.01, (7, 9): 0.03})
    app = TransferApp(tiny_config(), preload_engine=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.show_result(MAP, result, isolated_home)
        results = app.get_screen("results")
        await wait_for(pilot, lambda: results.query(PairMapGrid) and app.focused is results.query_one(PairMapGrid))
        grid = results.query_one(PairMapGrid)  # focused: no tab needed before the arrows choose pairs
        assert grid.get_component_rich_style("datatable--cursor").reverse  # the chosen cell stands out
        assert results.chosen == ("dense", (0, 2))
        await pilot.press("down")  # no run pair straight below: the nearest row that has one
        await wait_for(pilot, lambda: results.chosen == ("dense", (5, 6)))
        await pilot.press("right")  # nothing further right in row Shirt: on to the next pair
        await wait_for(pilot, lambda: results.chosen == ("dense", (7, 9)))
        await pilot.press("right")  # the last pair: stays
        await pilot.pause()
        assert results.chosen == ("dense", (7, 9))
        await pilot.press("up", "left")
        await wait_for(pilot, lambda: results.chosen == ("dense", (0, 2)))
        body = results.query_one("#results-body")
        top = body.scroll_y
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: body.scroll_y > top)
        assert app.focused is grid
        await pilot.press("pageup")
        await wait_for(pilot, lambda: body.scroll_y < top + 1)


async def test_a_map_shown_over_another_map_replaces_it(isolated_home: Path) -> None:
    first = _result("dense", {(0, 2): -0.02, (5, 6): 0.01})
    second = _result("dense", {(1, 3): 0.02, (7, 9): 0.03})
    app = TransferApp(tiny_config(), preload_engine=False)
    async with app.run_test(size=(100, 40)) as pilot:
        app.show_result(MAP, first, isolated_home)  # e.g. the last map, reopened after a restart
        await pilot.pause()
        app.show_result(MAP, second, isolated_home)  # then a run over pairs finishes
        app.show_result(MAP, first, isolated_home)  # and another, before the screen had drawn the last one
        results = app.get_screen("results")
        await wait_for(pilot, lambda: [set(g.pair_map.cells) for g in results.query(PairMapGrid)] == [{(0, 2), (5, 6)}])
        assert app.is_running
