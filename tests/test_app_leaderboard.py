"""The Optimizers view, by keyboard: choose, race (one optimizer diverges), sort, export, reopen after a restart."""

from __future__ import annotations

import re
from pathlib import Path

from textual.widgets import DataTable, Input, SelectionList, Static

from engine.config import apply_overrides
from engine.data.fashion_mnist import Dataset
from tests.conftest import tiny_config
from tests.pilot import export_with_e, shown_text, wait_for
from tui.app.app import TransferApp


def make_app(dataset: Dataset, **kwargs) -> TransferApp:
    config = apply_overrides(
        tiny_config(), ["run.seeds=[1, 2]", "network.hidden=[256, 256, 256]", "leaderboard.epochs=2"]
    )
    return TransferApp(config, load_dataset=lambda _config: dataset, **kwargs)


def column(table: DataTable, index: int) -> list[str]:
    return [str(table.get_row_at(row)[index]) for row in range(table.row_count)]


async def test_race_sort_export_and_reopen(small_dataset: Dataset, isolated_home: Path) -> None:
    app = make_app(small_dataset)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f5", "o")
        await wait_for(pilot, lambda: app.screen.query("#optimizers"))
        options = app.screen
        # keep only sgd, momentum and adam: untick the other six
        for name in ("nesterov", "adagrad", "rmsprop", "adamax", "nadam", "adamw"):
            options.query_one("#optimizers", SelectionList).deselect(name)
        sgd = options.query_one("#hyper-sgd", Input)
        sgd.focus()
        await pilot.press("end", *["backspace"] * len(sgd.value), *"learning_rate=10")  # sgd will diverge
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "leaderboard")
        assert app.current_config().leaderboard.optimizers == ("sgd", "momentum", "adam")

        await pilot.press("ctrl+r")
        board = app.get_screen("leaderboard")
        await wait_for(pilot, lambda: board.result is not None)
        table = board.query_one("#board", DataTable)
        assert column(table, 7)[-1] == "diverged" and column(table, 1)[-1] == "sgd"
        assert str(table.ordered_columns[5].label) == "epochs to\ntarget"
        assert all(re.fullmatch(r"(\d+\.\d|—) \(\d of 2\)", cell) for cell in column(table, 5)[:2]), column(table, 5)
        assert set(column(table, 1)) == {"sgd", "momentum", "adam"}

        best = [float(cell.split("±")[0]) for cell in column(table, 2)[:2]]
        assert best == sorted(best, reverse=True)  # ranked by best validation accuracy, best first
        await pilot.press("s")  # rank by final validation accuracy
        assert board.sort_column == "final"
        finals = [float(cell.split("±")[0]) for cell in column(table, 3)[:2]]
        # sgd diverged in every seed: at chance on task A's 8 classes, last
        assert finals == sorted(finals, reverse=True) and column(table, 3)[2] == "12.50"
        assert column(table, 0) == ["1", "2", "3"]
        await pilot.press("S")
        assert board.reverse and column(table, 1)[0] == "sgd"  # at chance level: the worst, first when reversed
        reversed_finals = [float(cell.split("±")[0]) for cell in column(table, 3)]
        assert reversed_finals == sorted([*finals, 12.5])

        target = isolated_home / "board.md"
        await export_with_e(pilot, target)
        assert target.read_text().startswith("# Optimizer leaderboard: task A (8 classes)")
        exported = [line.split("|")[2].strip() for line in target.read_text().splitlines() if line.startswith("| ")]
        assert exported[1:] == column(table, 1)  # the rows as on screen: final accuracy, reversed

    again = make_app(small_dataset, preload_engine=False)
    async with again.run_test(size=(100, 40)) as pilot:
        await pilot.press("f5")
        board = again.get_screen("leaderboard")
        await wait_for(pilot, lambda: board.result is not None and "Last optimizer leaderboard" in board.caption)
        assert set(column(board.query_one("#board", DataTable), 1)) == {"sgd", "momentum", "adam"}


async def test_the_empty_view_says_what_to_do_in_one_sentence(small_dataset: Dataset) -> None:
    app = make_app(small_dataset, preload_engine=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.screen.id == "leaderboard")
        caption = shown_text(app.screen.query_one("#board-caption", Static))
        assert "ctrl+r to race. Ranked by best val acc." in " ".join(caption.split()) and ".." not in caption


async def test_invalid_options_are_refused(small_dataset: Dataset) -> None:
    app = make_app(small_dataset, preload_engine=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f5", "o")
        await wait_for(pilot, lambda: app.screen.query("#hyper-rmsprop"))
        field = app.screen.query_one("#hyper-rmsprop", Input)
        field.value = "learning_rate=0.001 rho=7"
        rho = "leaderboard.hyperparameters.rmsprop.rho must be a number in [0.0, 1.0], got 7"
        await wait_for(pilot, lambda: rho in str(app.screen.query_one("#options-error").render()))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.id != "leaderboard"  # still in the dialog
        assert rho in str(app.screen.query_one("#options-error").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id == "leaderboard")
        assert app.current_config().leaderboard.hyperparameters["rmsprop"]["rho"] == 0.9


async def test_a_budget_set_in_the_options_races_every_optimizer_at_that_budget(small_dataset: Dataset) -> None:
    app = make_app(small_dataset)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f5", "o")
        await wait_for(pilot, lambda: app.screen.query("#field-leaderboard_budget"))
        options = app.screen
        for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adamax", "nadam", "adamw"):
            options.query_one("#optimizers", SelectionList).deselect(name)
        options.query_one("#field-leaderboard_budget", Input).value = "x"
        wrong = "Trials each (budget) must be a whole number; cannot read 'x'"  # at the top and at its field
        await wait_for(pilot, lambda: wrong in str(options.query_one("#options-error").render()))
        assert options.query_one("#row-leaderboard_budget").has_class("-invalid")
        options.query_one("#field-leaderboard_budget", Input).value = "2"
        await wait_for(pilot, lambda: str(options.query_one("#options-error").render()) == "")
        assert not options.query_one("#row-leaderboard_budget").has_class("-invalid")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "leaderboard")
        assert (app.current_config().leaderboard.budget, app.current_config().leaderboard.optimizers) == (2, ("adam",))
        await pilot.press("ctrl+r")
        board = app.get_screen("leaderboard")
        await wait_for(pilot, lambda: board.result is not None and not app.engine.busy)
        assert board.result.status == "finished" and board.result.budget == 2
        assert len(board.result.entries[0].trials) == 2 * 2  # 2 trials x seeds 1, 2
        budget = board.query_one("#board-budget", Static)
        assert budget.display and "n of 2 trials" in shown_text(budget)


async def test_the_loss_chart_names_its_lines_at_80_by_24(small_dataset: Dataset) -> None:
    from textual_plotext import PlotextPlot

    from tests.test_snapshots import fixed_leaderboard

    app = make_app(small_dataset, preload_engine=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_show("leaderboard")
        board = app.get_screen("leaderboard")
        await wait_for(pilot, lambda: app.screen is board)
        board.show_result(fixed_leaderboard(), caption="Fixed leaderboard")
        legend = board.query_one("#board-legend", Static)
        await wait_for(pilot, lambda: "sgd" in shown_text(legend))
        assert " ".join(shown_text(legend).split()) == "lines: a adam s sgd m momentum"  # the diverged one has none
        assert board.query_one("#board-plot", PlotextPlot).size.height >= 12  # tall enough to read, scrolled to


async def test_a_race_over_tasks_runs_live_task_by_task_then_reads_over_tasks(
    small_dataset: Dataset, isolated_home: Path
) -> None:
    settings = [
        "run.seeds=[1, 2]",
        'leaderboard.optimizers=["sgd", "adam", "rmsprop"]',
        "leaderboard.epochs=2",
        "leaderboard.tasks=['a', 'b_scratch']",
        "split.extra_pairs=[[0, 2]]",
    ]
    app = TransferApp(apply_overrides(tiny_config(), settings), load_dataset=lambda _config: small_dataset)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        board = app.get_screen("leaderboard")
        captions: list[str] = []
        original = board.apply

        def watching(event) -> None:  # the caption after each event: which task races now
            original(event)
            captions.append(shown_text(board.query_one("#board-caption", Static)))

        board.apply = watching
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.running is None and board.race is not None and board.race.status != "running")
        assert board.race.status == "finished" and len(board.race.races) == 3
        for place, title in enumerate(["task A (8 classes)", "B from scratch: Sandal vs Shirt"], start=1):
            assert any(f"Now racing task {place} of 3: {title}" in caption for caption in captions), title
        # the table shows one task at a time; ] and [ step through them
        caption = board.query_one("#board-caption", Static)
        assert "Table: task 1 of 3, task A (8 classes)" in shown_text(caption)
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: "Table: task 2 of 3, B from scratch: Sandal vs Shirt" in shown_text(caption))
        table = board.query_one("#board", DataTable)
        assert set(column(table, 1)) == {"sgd", "adam", "rmsprop"}
        await pilot.press("left_square_bracket", "left_square_bracket")
        await wait_for(
            pilot, lambda: "Table: task 3 of 3, B from scratch: T-shirt/top vs Pullover" in shown_text(caption)
        )
        # below it, the reading over tasks with its critical-difference diagram
        reading = shown_text(board.query_one("#board-race", Static), width=80)
        said = " ".join(reading.split())  # as read, whatever the 80 columns wrapped
        assert "Rank per task, over its 95% interval from resampled seeds" in said
        assert "Average rank over 3 tasks (1 the best)" in said and "Nemenyi's CD at 95%" in said
        assert "● " in reading and "├" in reading and "Performance profile" in said
        assert "the task (over 3 tasks)" in shown_text(board.query_one("#board-sources", Static), width=200)
        target = isolated_home / "race.csv"
        await export_with_e(pilot, target)
        assert target.read_text().count("\n") == 1 + 3 * 3  # a row per task and optimizer
