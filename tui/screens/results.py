"""Results: per seed and aggregated, the verdict in plain words, and a key to save the trained models."""

from __future__ import annotations

import shutil
from pathlib import Path

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual_plotext import PlotextPlot

from engine.errors import UserError
from engine.fileio import atomic_path
from engine.paths import model_file
from engine.results.experiment import ExperimentResult
from tui.render import pair_label, report
from tui.screens.dialogs import PathDialog, export_to
from tui.widgets.curves import draw_epoch_curves, mean_curve


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
        self.result: ExperimentResult | None = None
        self.run_dir: Path | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="results-body"):
            yield Static(self._content(), id="results-view")
            yield PlotextPlot(id="results-curves")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._draw_curves()

    def show_result(self, result: ExperimentResult, run_dir: Path, caption: str | None = None) -> None:
        """Show an experiment's results; `caption` is not needed, the report says what it is."""
        self.result, self.run_dir = result, run_dir
        for view in self.query("#results-view").results(Static):  # none before the screen was first shown
            view.update(self._content())
            self._draw_curves()

    def _draw_curves(self) -> None:
        """Validation accuracy per epoch of each model, mean over the seeds of the first class pair."""
        plot = self.query_one("#results-curves", PlotextPlot)
        plot.display = self.result is not None and bool(self.result.seeds)
        if plot.display:
            pair = self.result.pairs[0]
            title = f"validation accuracy, mean over seeds: {pair_label(pair)}"
            draw_epoch_curves(plot, title, result_curves(self.result.seeds_of(pair)))

    def _content(self) -> RenderableType:
        result, run_dir = self.result, self.run_dir
        if result is None:
            return "No results yet: set up a run on Setup (F2) and press ctrl+r."
        parts = report(result)
        saved = f" Models of this run: {run_dir}" if any(r.model_files for r in result.seeds) else ""
        parts.append(Text(f"\nDevice: {result.device}.{saved}", style="dim"))
        return Group(*parts)

    def action_export(self) -> None:
        if self.result is None:
            self.notify("No results to export yet.", severity="warning")
            return
        self.app.push_screen(PathDialog("Export the results (.csv, .json or .md)", Path("results.csv")), self._export)

    def _export(self, path: Path | None) -> None:
        if path is not None and self.result is not None:
            export_to(self.app, self.result, path)

    def action_save_models(self) -> None:
        if self.result is None or not any(r.model_files for r in self.result.seeds):
            self.notify("No trained models to save yet.", severity="warning")
            return
        default = Path.cwd() / f"models-{self.run_dir.name}"
        self.app.push_screen(PathDialog("Copy the trained models (.keras) to folder", default), self._save)

    def _save(self, target: Path | None) -> None:
        if target is None or self.result is None:
            return
        try:
            count = copy_models(self.result, target)
        except UserError as exc:
            self.notify(str(exc), title="Cannot save models", severity="error", timeout=8)
            return
        self.notify(f"Saved {count} model(s) to {target}")


def result_curves(seeds: list) -> dict[str, list[float]]:
    """Model A, B on A (frozen then fine-tuned, as one curve) and B from scratch: mean validation accuracy."""
    phases = {"Model A": ("model_a",), "B on A": ("b_frozen", "b_finetune"), "B from scratch": ("b_scratch",)}
    curves = {}
    for label, names in phases.items():
        per_seed = [[a for name in names for a in r.history.get(name, {}).get("val_accuracy", [])] for r in seeds]
        curves[label] = mean_curve(per_seed)
    return curves


def copy_models(result: ExperimentResult, target: Path) -> int:
    """Copy every model file of `result` to the same layout under `target`, each written atomically."""
    count = 0
    for seed_result in result.seeds:
        for role, source in seed_result.model_files.items():
            with atomic_path(model_file(target, seed_result.b_classes, seed_result.seed, role)) as temp:
                shutil.copyfile(source, temp)
            count += 1
    return count
