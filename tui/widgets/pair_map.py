"""One network's transfer map as a grid of cells: the arrow keys move between class pairs and each pair the
cursor reaches is announced, so the screen can show that pair's seeds and curves."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from engine.data.classes import N_CLASSES
from engine.results.pair_map import PairMap
from tui.map_render import SHORT_NAMES, cell_text

Pair = tuple[int, int]


def cell_pair(row: int, column: int) -> Pair | None:
    """The pair under grid cell (row, column): row r is positive class r + 1, column c > 0 negative class c - 1;
    None on the labels and above the diagonal."""
    negative, positive = column - 1, row + 1
    return (negative, positive) if 0 <= negative < positive else None


class PairMapGrid(DataTable):
    """The lower triangle of class pairs, each cell mean Δ and seeds won on its colour."""

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

    def on_mount(self) -> None:
        self.add_column("", key="label", width=7)
        for column in range(N_CLASSES - 1):
            self.add_column(Text(SHORT_NAMES[column], justify="right"), key=str(column), width=7)
        for row in range(N_CLASSES - 1):
            cells: list[Text | str] = [Text(SHORT_NAMES[row + 1], style="bold")]  # the positive class
            for column in range(1, N_CLASSES):
                pair = cell_pair(row, column)
                summary = self.pair_map.cells.get(pair) if pair else None
                if pair is None:
                    cells.append("")
                elif summary is None:
                    cells.append(Text("·", style="dim", justify="right"))
                else:
                    cells.append(cell_text(summary.difference_mean, summary.wins, summary.n_seeds))
            self.add_row(*cells, key=str(row))
        first = next(iter(self.pair_map.cells), None)
        if first is not None:
            self.move_cursor(row=first[1] - 1, column=first[0] + 1)

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        event.stop()
        pair = cell_pair(event.coordinate.row, event.coordinate.column)
        if pair is not None and pair in self.pair_map.cells:
            self.post_message(self.PairChosen(self, self.pair_map.name, pair))
