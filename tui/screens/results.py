"""Results: per seed and aggregated, the verdict in plain words, and a key to save the trained models."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual_plotext import PlotextPlot

from engine.errors import UserError
from engine.fileio import atomic_path
from engine.kinds import kind_of
from engine.paths import model_file
from engine.results.experiment import ExperimentResult
from engine.results.pair_map import MapResult, PairMap
from engine.results.words import plural
from tui.cli.outputs import folder_problem
from tui.render.map import map_summary
from tui.render.runs import pair_label, report, seed_table, verdict_text
from tui.screens.dialogs import PathDialog, offer_export
from tui.widgets.curves import draw_epoch_curves, mean_curve
from tui.widgets.pair_map import PairMapGrid

STACK_MAPS_BELOW = 160  # columns


class ResultsScreen(Screen):
    """The last run's results; empty until a run ends."""

    BINDINGS = [
        Binding(
            "m",
            "save_models",
            "Save models",
            tooltip="copy the trained .keras models to a folder",
            id="results.save_models",
        ),
        Binding("e", "export", "Export", tooltip="write these results as .csv, .json or .md", id="results.export"),
    ]

    def __init__(self) -> None:
        super().__init__(id="results")
        self.result: ExperimentResult | MapResult | None = None
        self.run_dir: Path | None = None
        self.chosen: tuple[str, tuple[int, int]] | None = None  # the network and pair whose seeds are shown
        self.caption: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="results-body"):
            yield Static(self._content(), id="results-view")
            yield Horizontal(id="results-maps")
            yield Static("", id="results-pair")
            yield PlotextPlot(id="results-curves")
        yield Footer(compact=True, show_command_palette=False)

    async def on_mount(self) -> None:
        await self._show_maps()
        self._draw_curves()

    def show_result(self, result: ExperimentResult | MapResult, run_dir: Path, caption: str | None = None) -> None:
        """Show a run's results, under `caption` when they are not the last run's (stored, or reopened after a
        restart). A run over several pairs or networks shows each network's map; the pair under the cursor shows
        its seeds and curves."""
        self.result, self.run_dir, self.caption = result, run_dir, caption
        networks = result.by_network()
        first = next(iter(networks.items()))
        self.chosen = (first[0], first[1].pairs[0]) if first[1].pairs else None
        for view in self.query("#results-view").results(Static):  # none before the screen was first shown
            view.update(self._content())
            self.call_later(self._show_maps)  # in turn: one result's grids go before the next one's arrive
            self._draw_curves()

    @property
    def mapped(self) -> bool:
        """Whether the result is a map: several pairs or several networks."""
        if self.result is None:
            return False
        networks = self.result.by_network()
        return len(networks) > 1 or any(len(one.pairs) > 1 for one in networks.values())

    async def _show_maps(self) -> None:
        """Each network's map grid, the last result's removed first (a grid is named by its network)."""
        maps = self.query_one("#results-maps", Horizontal)
        await maps.remove_children()
        maps.display = self.mapped
        if self.mapped:
            grids = [
                PairMapGrid(PairMap.of(one, name), id=f"map-{name}") for name, one in self.result.by_network().items()
            ]
            await maps.mount_all(grids)
            grids[0].focus()  # the arrow keys choose a pair at once, no tab needed
        self._show_pair()

    def on_resize(self) -> None:
        """Maps side by side where two fit (each is about 75 columns), one under the other elsewhere."""
        self.query_one("#results-maps").set_class(self.size.width < STACK_MAPS_BELOW, "-stacked")

    def on_pair_map_grid_pair_chosen(self, message: PairMapGrid.PairChosen) -> None:
        if message.grid is not self.focused:  # each map puts its cursor on its first pair when shown
            return
        self.chosen = (message.network, message.pair)
        self._show_pair()
        self._draw_curves()

    def _show_pair(self) -> None:
        """The chosen pair's per-seed table and verdict, under the maps."""
        detail = self.query_one("#results-pair", Static)
        detail.display = self.mapped and self.chosen is not None
        if detail.display:
            network, pair = self.chosen
            one = self.result.by_network()[network]
            title = Text(f"{network} · {pair_label(pair)}", style="bold")
            detail.update(Group(title, seed_table(one, pair), verdict_text(one.summaries()[pair])))

    def _draw_curves(self) -> None:
        """Validation accuracy per epoch of each model, mean over the seeds of the chosen class pair."""
        plot = self.query_one("#results-curves", PlotextPlot)
        plot.display = self.chosen is not None
        if plot.display:
            network, pair = self.chosen
            title = f"validation accuracy, mean over seeds: {pair_label(pair)}"
            draw_epoch_curves(plot, title, result_curves(self.result.by_network()[network].seeds_of(pair)))

    def _content(self) -> RenderableType:
        result, run_dir = self.result, self.run_dir
        if result is None:
            return "No results yet: set up a run on Setup (F2) and press ctrl+r."
        parts = map_summary(result) if self.mapped else report(result)
        if self.caption:
            parts.insert(0, Text(self.caption, style="bold"))
        saved = f" Models of this run: {models_folder(result.model_files(), run_dir)}" if result.model_files() else ""
        parts.append(Text(f"\nDevice: {result.device}.{saved}", style="dim"))
        return Group(*parts)

    def action_export(self) -> None:
        name = f"{kind_of(self.result).name}.csv" if self.result is not None else ""
        offer_export(self.app, self.result, self.run_dir, "the results", name)

    def action_save_models(self) -> None:
        if self.result is None or not self.result.model_files():
            self.notify("No trained models to save yet.", severity="warning")
            return
        default = Path.cwd() / f"models-{self.run_dir.name}"
        dialog = PathDialog("Copy the trained models (.keras) to folder (made if missing)", default, folder_problem)
        self.app.push_screen(dialog, self._save)

    def _save(self, target: Path | None) -> None:
        if target is None or self.result is None:
            return
        try:
            count = copy_models(self.result, target)
        except UserError as exc:
            self.notify(str(exc), title="Cannot save models", severity="error", timeout=8)
            return
        self.notify(f"Saved {plural(count, 'model')} to {target}")


def result_curves(seeds: list) -> dict[str, list[float]]:
    """Model A, B on A (frozen then fine-tuned, as one curve) and B from scratch: mean validation accuracy."""
    phases = {"Model A": ("model_a",), "B on A": ("b_frozen", "b_finetune"), "B from scratch": ("b_scratch",)}
    curves = {}
    for label, names in phases.items():
        per_seed = [[a for name in names for a in r.history.get(name, {}).get("val_accuracy", [])] for r in seeds]
        curves[label] = mean_curve(per_seed)
    return curves


def models_folder(paths: list[str], run_dir: Path) -> Path:
    """Where a run's models lie: its own folder, or the folder holding those of the runs it was merged from."""
    if all(Path(path).is_relative_to(run_dir) for path in paths):
        return run_dir
    return Path(os.path.commonpath(paths))


def copy_models(result: ExperimentResult | MapResult, target: Path) -> int:
    """Copy every model file of `result` to the same layout under `target` (a folder per network when there
    are several), each written atomically."""
    count = 0
    networks = result.by_network()
    for name, one in networks.items():
        folder = target / name if len(networks) > 1 else target
        for seed_result in one.seeds:
            for role, source in seed_result.model_files.items():
                with atomic_path(model_file(folder, seed_result.b_classes, seed_result.seed, role)) as temp:
                    shutil.copyfile(source, temp)
                count += 1
    return count
