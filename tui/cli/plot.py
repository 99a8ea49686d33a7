"""Charts as files: the layer sweep drawn the way Yosinski et al. 2014 draw their Figure 2 (x = layers reused,
y = B's test accuracy, a dot per seed and a line through each treatment's mean), and a tuning's budget curves."""

from __future__ import annotations

from pathlib import Path

from engine.data.classes import class_name
from engine.results.stats import mean
from engine.results.study import StudyResult
from engine.results.tune import TuneResult
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


ARM_COLOURS = {"scratch": "tab:blue", "transfer": "tab:red"}


def write_tune_plot(result: TuneResult, path: Path) -> None:
    """A tuning's budget curves into `path` (.svg or .png), one panel per finished pair: per arm the expected test
    accuracy of the validation pick of n trials with its spread (the band: one standard deviation over the n-draw
    subsets, averaged over seeds) and the expected best validation accuracy (dashed), Dodge et al. 2019's plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from engine.fileio import atomic_path

    pairs = [pair for pair in result.pairs if result.complete(pair)]
    figure, panels = plt.subplots(1, max(len(pairs), 1), figsize=(7 * max(len(pairs), 1), 4.5), squeeze=False)
    budgets = list(range(1, result.budget + 1))
    for axes, pair in zip(panels[0], pairs, strict=False):
        for arm, colour in ARM_COLOURS.items():
            curve = result.arm_reading(arm, pair).curve
            test = [point.test_of_pick.mean for point in curve]
            spread = [point.test_of_pick.std for point in curve]
            name = "B from scratch" if arm == "scratch" else "B on A"
            axes.plot(budgets, test, color=colour, marker="o", markersize=3, label=f"{name}: test of the pick")
            low = [max(t - s, 0.0) for t, s in zip(test, spread, strict=True)]  # accuracy stays in [0, 1]
            high = [min(t + s, 1.0) for t, s in zip(test, spread, strict=True)]
            axes.fill_between(budgets, low, high, color=colour, alpha=0.15)
            best = [point.best_validation.mean for point in curve]
            axes.plot(budgets, best, color=colour, linestyle="--", linewidth=1, label=f"{name}: best validation")
        seeds = len(result.seeds_of(pair))
        axes.set_title(f"{class_name(pair[0])} vs {class_name(pair[1])}, {plural(seeds, 'seed')}")
        axes.set_xticks(budgets if len(budgets) <= 16 else budgets[:: len(budgets) // 8])
        axes.set_xlabel("trials (n)")
        axes.set_ylabel("expected accuracy")
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
    figure.suptitle(f"At an equal budget: {result.budget} trials per arm, picked on validation")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format=path.suffix.lstrip(".").lower())
    plt.close(figure)


PLOT_WRITERS = {"study": write_study_plot, "tune": write_tune_plot}  # by kind: the chart its --plot draws
