"""One network's transfer map as a grid of cells: the arrow keys move between the class pairs that were run, and
each pair the cursor reaches is announced, so the screen can show that pair's seeds and curves."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.message import Message
from textual.widgets import DataTable

from engine.classes import N_CLASSES
from engine.results.pair_map import PairMap
from tui.render.map import SHORT_NAMES, map_cell

Pair = tuple[int, int]
Cell = tuple[int, int]  # (row, column) of the grid


def cell_pair(row: int, column: int) -> Pair | None:
    """The pair under grid cell (row, column): row r is positive class r + 1, column c > 0 negative class c - 1;
    None on the labels and above the diagonal."""
    negative, positive = column - 1, row + 1
    return (negative, positive) if 0 <= negative < positive else None


def pair_cell(pair: Pair) -> Cell:
    return pair[1] - 1, pair[0] + 1


def next_cell(cells: list[Cell], at: Cell, direction: str) -> Cell:
    """Where an arrow key goes among the cells that hold a result: left and right along the row, then on to the
    previous or next row's cell in reading order; up and down to the nearest row that has one, at the closest
    column. Stays put where there is nothing that way."""
    row, column = at
    if direction in ("left", "right"):
        ordered = sorted(cells)
        later = [cell for cell in ordered if cell > at] if direction == "right" else []
        earlier = [cell for cell in ordered if cell < at] if direction == "left" else []
        return (later[:1] or earlier[-1:] or [at])[0]
    rows = sorted({r for r, _ in cells if (r > row if direction == "down" else r < row)})
    if not rows:
        return at
    target = rows[0] if direction == "down" else rows[-1]
    return min((cell for cell in cells if cell[0] == target), key=lambda cell: (abs(cell[1] - column), cell[1]))


class PairMapGrid(DataTable):
    """The lower triangle of class pairs, each cell mean Δ over seeds won on its colour; the chosen cell shows
    reversed (app.tcss). Page up and down scroll the view the grid sits in: what lies below the map stays in reach."""

    BINDINGS = [
        Binding("pageup", "page_view(-1)", "Page up", show=False),
        Binding("pagedown", "page_view(1)", "Page down", show=False),
    ]

    class PairChosen(Message):
        """The cursor reached a pair of this map (arrow keys, a click, or the first pair on showing)."""

        def __init__(self, grid: PairMapGrid, network: str, pair: Pair) -> None:
            super().__init__()
            self.grid = grid
            self.network = network
            self.pair = pair

        @property
        def control(self) -> PairMapGrid:
            return self.grid

    def __init__(self, pair_map: PairMap, **kwargs) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=False, cell_padding=0, **kwargs)
        self.pair_map = pair_map
        self.border_title = f"Transfer map · {pair_map.name}"
        self.result_cells = [pair_cell(pair) for pair in pair_map.cells]

    def on_mount(self) -> None:
        self.add_column("", key="label", width=7)
        for column in range(N_CLASSES - 1):
            self.add_column(Text(SHORT_NAMES[column], justify="right"), key=str(column), width=7)
        for row in range(N_CLASSES - 1):
            cells: list[Text | str] = [Text(SHORT_NAMES[row + 1], style="bold")]  # the positive class
            for column in range(1, N_CLASSES):
                pair = cell_pair(row, column)
                cells.append("" if pair is None else map_cell(self.pair_map, pair))
            self.add_row(*cells, key=str(row), height=2)
        first = next(iter(self.pair_map.cells), None)
        if first is not None:
            self.move_cursor(row=first[1] - 1, column=first[0] + 1)

    def _move(self, direction: str) -> None:
        if self.result_cells:
            row, column = next_cell(self.result_cells, tuple(self.cursor_coordinate), direction)
            self.move_cursor(row=row, column=column)

    def action_cursor_up(self) -> None:
        self._move("up")

    def action_cursor_down(self) -> None:
        self._move("down")

    def action_cursor_left(self) -> None:
        self._move("left")

    def action_cursor_right(self) -> None:
        self._move("right")

    def action_page_view(self, pages: int) -> None:
        view = next((widget for widget in self.ancestors if isinstance(widget, ScrollableContainer)), None)
        if view is not None:
            view.scroll_page_down() if pages > 0 else view.scroll_page_up()

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        event.stop()
        pair = cell_pair(event.coordinate.row, event.coordinate.column)
        if pair is not None and pair in self.pair_map.cells:
            self.post_message(self.PairChosen(self, self.pair_map.name, pair))
