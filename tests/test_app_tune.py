"""The Tune view, by keyboard: a tuning run live (validation only until it ends), its report, reopened from History."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from engine.config import apply_overrides
from engine.data.fashion_mnist import Dataset
from engine.progress import EpochDone
from tests.conftest import tiny_config
from tests.pilot import export_with_e, open_history, shown_text, wait_for
from tui.app.app import TransferApp

TUNING = [
    "run.seeds=[1, 2]",
    "tune.budget=2",
    "tune.epochs=3",
    "transfer.frozen_epochs=1",
    "transfer.unfrozen_epochs=1",
    'tune.space.transfer.frozen_epochs={dist="choice", values=[0,1]}',
]


async def test_a_tuning_runs_live_hides_test_until_it_ends_and_reopens(
    small_dataset: Dataset, isolated_home: Path
) -> None:
    app = TransferApp(apply_overrides(tiny_config(), TUNING), load_dataset=lambda _config: small_dataset)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f8")
        tune = app.get_screen("tune")
        assert app.screen is tune and "No tuning yet" in shown_text(tune.query_one("#tune-caption", Static))
        seen_live: list[list[str]] = []
        original = tune.apply

        def watching(event) -> None:  # the trials table as it stands after each epoch the view hears of
            original(event)
            if isinstance(event, EpochDone) and tune.best_so_far:
                tune.dirty = True
                tune._refresh_trials()
                table = tune.query_one("#tune-trials", DataTable)
                seen_live.append([str(table.get_row_at(r)[-1]) for r in range(table.row_count)])

        tune.apply = watching
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.running is None and tune.result is not None)
        assert tune.result.status == "finished" and len(tune.result.trials) == 2 * 3 * 2
        assert seen_live and all(cell == "hidden" for rows in seen_live for cell in rows)  # no test while it ran
        table = tune.query_one("#tune-trials", DataTable)
        rows = [table.get_row_at(r) for r in range(table.row_count)]
        # each seed drew its own trials (tune.draws = "per_seed"): a row per trial and seed; the one-shot is one
        trials = [f"{number} s{seed}" for number in (1, 2) for seed in (1, 2)]
        assert [(row[0], row[1]) for row in rows] == [
            (arm, t) for arm in ("scratch", "B on A") for t in [*trials, "one-shot"]
        ]
        assert all(row[-1] != "hidden" for row in rows)
        report = shown_text(tune.query_one("#tune-report", Static))
        assert "oracle" in report and "Cherry-pick meter" in report
        # e exports every trial; a folder that does not exist yet is made, as for every file the app writes
        target = isolated_home / "new" / "folder" / "trials.csv"
        await export_with_e(pilot, target)
        assert target.read_text().count("\n") == 1 + 2 * 3 * 2  # a header, then a row per trial and seed

        await open_history(pilot)
        runs = app.screen.query_one("#runs", DataTable)
        assert "\ntune, 2 seeds" in str(runs.get_row_at(0)[1])
        await pilot.press("o")
        await wait_for(
            pilot, lambda: app.screen is tune and tune.caption.startswith("Stored tuning at an equal budget ")
        )


async def test_the_view_steps_through_the_pairs_of_a_tuning_with_a_treatment_arm(
    small_dataset: Dataset, isolated_home: Path
) -> None:
    arms = [
        *TUNING,
        'tune.arms=["scratch", "transfer", "AnB:1"]',
        "split.b_classes=[5, 6]",
        "split.extra_pairs=[[0, 2]]",
    ]
    app = TransferApp(apply_overrides(tiny_config(), arms), load_dataset=lambda _config: small_dataset)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8")
        tune = app.get_screen("tune")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.running is None and tune.result is not None)
        assert tune.result.status == "finished" and len(tune.result.trials) == 2 * 3 * 3 * 2
        table = tune.query_one("#tune-trials", DataTable)
        assert [str(table.get_row_at(r)[0]) for r in range(table.row_count)][-3:] == ["A1B"] * 3
        shown = tune.query_one("#tune-shown", Static)
        assert "Sandal vs Shirt, pair 1 of 2" in shown_text(shown)
        first_rows = [table.get_row_at(r) for r in range(table.row_count)]
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: "T-shirt/top vs Pullover, pair 2 of 2" in shown_text(shown))
        assert [table.get_row_at(r) for r in range(table.row_count)] != first_rows
        report = shown_text(tune.query_one("#tune-report", Static))
        assert "A1B against B from scratch. At equal budget:" in report
