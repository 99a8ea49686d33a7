"""Charts as files: the layer sweep drawn the way Yosinski et al. 2014 draw their Figure 2 (x = layers reused,
y = B's test accuracy, a dot per seed and a line through each treatment's mean), a tuning's budget curves, and a
race over tasks' critical-difference diagram with its performance profile."""

from __future__ import annotations

from pathlib import Path

from engine.classes import class_name
from engine.results.race import PROFILE_TAUS, RaceReading, RaceResult
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
    pair = result.settings.split.b_classes
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


ARM_COLOURS = ("tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange", "tab:cyan")  # by place, scratch first
MAP_FROM = 5  # from this many finished pairs a tuning is drawn as maps of Δ, not as one panel per pair


def write_tune_plot(result: TuneResult, path: Path) -> None:
    """A tuning's chart into `path` (.svg or .png): per finished pair, Dodge et al. 2019's budget curves; over many
    pairs (`MAP_FROM`), the fair map beside the one-shot map."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from engine.fileio import atomic_path

    pairs = [pair for pair in result.pairs if result.complete(pair)]
    figure = _tune_maps(plt, result, pairs) if len(pairs) >= MAP_FROM else _budget_curves(plt, result, pairs)
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format=path.suffix.lstrip(".").lower())
    plt.close(figure)


def _budget_curves(plt, result: TuneResult, pairs: list[tuple[int, int]]):
    """One panel per pair: per arm the expected test accuracy of the validation pick of n trials with its spread
    (the band: one standard deviation over the n-draw subsets, averaged over seeds) and the expected best validation
    accuracy (dashed)."""
    figure, panels = plt.subplots(1, max(len(pairs), 1), figsize=(7 * max(len(pairs), 1), 4.5), squeeze=False)
    budgets = list(range(1, result.budget + 1))
    for axes, pair in zip(panels[0], pairs, strict=False):
        for place, arm in enumerate(result.arms):
            colour = ARM_COLOURS[place % len(ARM_COLOURS)]
            curve = result.arm_reading(arm, pair).curve
            test = [point.test_of_pick.mean for point in curve]
            spread = [point.test_of_pick.std for point in curve]
            name = result.arm_of(arm).title
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
    return figure


def _tune_maps(plt, result: TuneResult, pairs: list[tuple[int, int]]):
    """Per arm read against B from scratch, two 10 x 10 maps of Δ test accuracy (points, mean over seeds; the
    second class of a pair is the column): the notebook's one-shot configurations, and each arm's validation pick
    at the full budget. A cell whose pair is clear after Holm's correction over the map's pairs is in bold."""
    import numpy as np

    rows = len(result.contenders)
    figure, panels = plt.subplots(rows, 2, figsize=(13, 6 * rows), squeeze=False)
    for row, arm in enumerate(result.contenders):
        grids = {"one shot": np.full((10, 10), np.nan), f"{result.budget} trials": np.full((10, 10), np.nan)}
        clear = {name: set() for name in grids}
        for name, one_shot in zip(grids, (True, False), strict=True):
            reading = result.over_pairs(arm, one_shot=one_shot)
            for pair, delta in (reading.means if reading else {}).items():
                grids[name][pair] = 100 * delta
                if reading.corrected[pair]:
                    clear[name].add(pair)
        scale = max(float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0 for grid in grids.values())
        for axes, (name, grid) in zip(panels[row], grids.items(), strict=True):
            image = axes.imshow(grid, cmap="RdBu", vmin=-scale, vmax=scale)
            for (i, j), value in np.ndenumerate(grid):
                if np.isfinite(value):
                    weight = "bold" if (i, j) in clear[name] else "normal"
                    axes.text(j, i, f"{value:+.1f}", ha="center", va="center", fontsize=6, fontweight=weight)
            axes.set_xticks(range(10), [class_name(c) for c in range(10)], rotation=60, fontsize=7)
            axes.set_yticks(range(10), [class_name(c) for c in range(10)], fontsize=7)
            axes.set_title(f"{result.arm_of(arm).title} minus B from scratch, {name} (points)", fontsize=9)
            figure.colorbar(image, ax=axes, shrink=0.7)
    seeds = len(result.seeds_of(pairs[0]))
    figure.suptitle(
        f"{len(pairs)} pairs, {plural(seeds, 'seed')}: Δ test accuracy; bold where clear after Holm's correction"
    )
    return figure


def write_race_plot(result: RaceResult, path: Path) -> None:
    """A race over tasks into `path` (.svg or .png): Demšar 2006's critical-difference diagram (average ranks on
    an axis, best left, a bar under each group Nemenyi's test cannot tell apart, the CD drawn to scale above) and
    the performance profile of epochs to target (Dolan and Moré 2002)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from engine.fileio import atomic_path

    reading = result.reading()
    figure, (diagram, profile) = plt.subplots(2, 1, figsize=(8, 7), height_ratios=(1, 1))
    if reading is not None:
        _cd_diagram(diagram, reading)
    else:
        diagram.text(0.5, 0.5, "too few tasks or optimizers to rank over tasks", ha="center", va="center")
        diagram.axis("off")
    shares = result.profile()
    for place, (name, values) in enumerate(shares.items()):
        profile.step(PROFILE_TAUS, values, where="post", marker="o", markersize=3, label=name,
                     color=f"C{place % 10}")  # fmt: skip
    profile.set_xscale("log", base=2)
    profile.set_xticks(PROFILE_TAUS, [f"{tau:g}" for tau in PROFILE_TAUS])
    profile.set_ylim(-0.05, 1.05)
    profile.set_xlabel("tau: within tau x the fastest optimizer's epochs to target")
    profile.set_ylabel("share of tasks")
    target = 100 * result.settings.leaderboard.target_accuracy
    profile.set_title(f"Performance profile: epochs to {target:g}% validation accuracy (median over seeds)", fontsize=9)
    profile.grid(alpha=0.3)
    if shares:
        profile.legend(fontsize=7, ncol=3)
    seeds = len(result.settings.run.seeds)
    figure.suptitle(f"Optimizers over {plural(len(result.races), 'task')}, {plural(seeds, 'seed')}")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format=path.suffix.lstrip(".").lower())
    plt.close(figure)


def _cd_diagram(axes, reading: RaceReading) -> None:
    """The critical-difference diagram on `axes`: rank 1 on the left, names below the axis, left half's to the
    left and right half's to the right, group bars between."""
    k = len(reading.optimizers)
    ordered = reading.ordered()
    half = (len(ordered) + 1) // 2  # names on the left; the rest on the right
    axes.set_xlim(0.5, k + 0.5)
    axes.set_ylim(-(half + 1), 2.5)
    axes.axis("off")
    axes.hlines(0, 1, k, color="black", linewidth=1)
    for rank in range(1, k + 1):
        axes.vlines(rank, 0, 0.2, color="black", linewidth=1)
        axes.text(rank, 0.35, str(rank), ha="center", va="bottom", fontsize=8)
    axes.hlines(1.6, 1, 1 + reading.cd, color="tab:red", linewidth=2)
    axes.text(1 + reading.cd / 2, 1.8, f"CD = {reading.cd:.2f}", ha="center", va="bottom", fontsize=8, color="tab:red")
    for place, (name, rank) in enumerate(ordered):
        left = place < half
        depth = -(place + 1) if left else -(len(ordered) - place)
        edge = 0.6 if left else k + 0.4
        axes.plot([rank, rank, edge], [0, depth, depth], color="black", linewidth=0.8)
        axes.text(edge + (-0.05 if left else 0.05), depth, f"{name} {rank:.2f}", ha="right" if left else "left",
                  va="center", fontsize=8)  # fmt: skip
    ranks = dict(ordered)
    for row, group in enumerate(reading.groups):
        low, high = min(ranks[name] for name in group), max(ranks[name] for name in group)
        axes.hlines(-0.4 - 0.3 * row, low - 0.03, high + 0.03, color="tab:blue", linewidth=3)
    p_text = f"Friedman p = {reading.p_value:.2g}"
    axes.set_title(f"Average rank over {plural(reading.tasks, 'task')} (1 the best); {p_text}", fontsize=9)
