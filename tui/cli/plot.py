"""The layer sweep's chart as a file, drawn the way Yosinski et al. 2014 draw their Figure 2: x = layers reused,
y = B's test accuracy, a dot per seed and a line through each treatment's mean."""

from __future__ import annotations

from pathlib import Path

from engine.data.classes import class_name
from engine.results.stats import mean
from engine.results.study import StudyResult
from engine.results.words import plural

PLOT_SUFFIXES = (".svg", ".png")
COLOURS = {"AnB": "tab:red", "AnB+": "tab:orange", "BnB": "tab:blue", "BnB+": "tab:cyan"}


def write_study_plot(result: StudyResult, path: Path) -> None:
    """Draw the sweep into `path` (.svg or .png), written atomically."""
    import matplotlib

    matplotlib.use("Agg")  # no screen here
    import matplotlib.pyplot as plt

    from engine.fileio import atomic_path

    figure, axes = plt.subplots(figsize=(7, 4.5))
    base = list(result.baseline.values())
    if base:
        axes.scatter([0] * len(base), base, color="black", s=14, label="baseB (scratch)", zorder=3)
        axes.axhline(mean(base), color="black", linewidth=0.8, linestyle=":")
    for treatment in dict.fromkeys(cell.treatment for cell in result.cells):
        cells = [c for c in result.cells if c.treatment == treatment and c.accuracies]
        colour = COLOURS.get(treatment)
        offset = (list(COLOURS).index(treatment) - 1.5) * 0.06 if treatment in COLOURS else 0
        for cell in cells:
            values = list(cell.accuracies.values())
            axes.scatter([cell.layers + offset] * len(values), values, color=colour, s=10, alpha=0.6)
        points = [(0, mean(base))] if base else []  # every treatment starts from baseB at n = 0
        points += [(cell.layers, mean(list(cell.accuracies.values()))) for cell in cells]
        if points:
            axes.plot(*zip(*points, strict=True), color=colour, marker="o", markersize=4, label=treatment)
    pair = result.config["split"]["b_classes"]
    axes.set_xticks(sorted({0, *(cell.layers for cell in result.cells)}))
    axes.set_xlabel("layers reused (n)")
    axes.set_ylabel("B test accuracy")
    axes.set_title(
        f"Which layers transfer: {class_name(pair[0])} vs {class_name(pair[1])}, {plural(len(base), 'seed')}"
    )
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format=path.suffix.lstrip(".").lower())
    plt.close(figure)
