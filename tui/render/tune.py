"""A tuning as the terminal and the Tune view print it: per pair, each arm's validation pick against its oracle
and the one-shot configuration, the expected accuracies against the budget, each seed's picked trials, and the
reading in words. Test accuracies appear only as the protocol reads them (the pick's, and the oracle labelled)."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from engine.classes import class_name
from engine.config.arms import SCRATCH
from engine.kinds import variance_line
from engine.results import stats
from engine.results.experiment import side_of
from engine.results.tune import ONE_SHOT, ArmReading, TuneResult

DASH = "—"


def _pct(values: list[float]) -> str:
    if not values:
        return DASH
    spread = stats.std(values)
    return f"{100 * stats.mean(values):.2f}" + (f" ± {100 * spread:.2f}" if spread is not None else "")


def budgets_shown(budget: int) -> list[int]:
    """1, 2, 4, ... up to the budget, and the budget itself."""
    shown, n = [], 1
    while n < budget:
        shown.append(n)
        n *= 2
    return [*shown, budget]


def arms_table(result: TuneResult, pair: tuple[int, int], readings: dict[str, ArmReading]) -> Table:
    table = Table(title=f"{class_name(pair[0])} vs {class_name(pair[1])}: test accuracy %, mean ± std over seeds")
    table.add_column("arm")
    table.add_column("picked on validation\n(the result)", justify="right")
    table.add_column("best on test\n(oracle, not a result)", justify="right")
    table.add_column("notebook's own\n(one shot)", justify="right")
    for arm, reading in readings.items():
        table.add_row(
            result.arm_of(arm).title,
            _pct([result.picked_test(arm, pair, seed) for seed in reading.picked]),  # tied picks: their mean
            _pct([t.test_accuracy for t in reading.oracle.values()]),
            _pct([t.test_accuracy for t in reading.one_shot.values()]),
        )
    return table


def budget_table(result: TuneResult, pair: tuple[int, int], readings: dict[str, ArmReading], arm: str) -> Table:
    """Expected best validation and expected test of the validation pick, B from scratch and `arm`, at growing
    budgets, with the expected difference and its side."""
    several = len(result.contenders) > 1
    title = "Expected accuracy % with n trials (mean over seeds)"
    table = Table(title=title + (f": {result.arm_of(arm).title} against B from scratch" if several else ""))
    table.add_column("n", justify="right")
    for name in (SCRATCH, arm):
        table.add_column(f"{result.arm_of(name).title}\nbest val", justify="right")
        table.add_column(f"{result.arm_of(name).title}\ntest of pick", justify="right")
    table.add_column("Δ test\n(points)", justify="right")
    table.add_column(result.arm_of(arm).word, justify="left", no_wrap=True)
    for n in budgets_shown(result.budget):
        cells = [str(n)]
        for name in (SCRATCH, arm):
            point = readings[name].curve[n - 1]
            cells += [f"{100 * point.best_validation.mean:.2f}", f"{100 * point.test_of_pick.mean:.2f}"]
        differences = result.differences_at(pair, n, arm)
        cells += [f"{100 * (stats.mean(differences) or 0):+.2f}", result.side_at(pair, n, arm)]
        table.add_row(*cells)
    return table


SHORT_NAMES = {
    "learning_rate": "lr",
    "frozen_epochs": "frozen",
    "fine_tune_ratio": "ratio",
    "reused_layers": "reuse",
}  # fit 80 columns


def trial_values_text(values: dict[str, float]) -> str:
    """'lr 0.0356, frozen 2, ratio 0.0531'."""
    parts = []
    for name, value in values.items():
        shown = f"{value:g}" if name in ("frozen_epochs", "reused_layers") else f"{value:.3g}"
        parts.append(f"{SHORT_NAMES.get(name, name)} {shown}")
    return ", ".join(parts)


def trial_label(number: int) -> str:
    """Trials count from 1 on screen; the notebook's own configuration is the one-shot."""
    return "one-shot" if number == ONE_SHOT else str(number + 1)


def picks_table(result: TuneResult, pair: tuple[int, int], readings: dict[str, ArmReading]) -> Table:
    """Each seed's validation pick per arm: its values, its best epoch, its validation and test accuracy."""
    table = Table(title="Picked on validation, per seed")
    for column, justify in (("seed", "right"), ("arm", "left"), ("trial", "right"), ("values", "left")):
        table.add_column(column, justify=justify)
    for column in ("best\nepoch", "val %", "test %"):
        table.add_column(column, justify="right")
    for seed in result.seeds_of(pair):
        for arm, reading in readings.items():
            trial = reading.picked[seed]
            tied = result.tied_picks(arm, pair, seed)
            number = ", ".join(trial_label(t.number) for t in tied) + (" (tied)" if len(tied) > 1 else "")
            epoch = str(trial.best_epoch) if trial.best_epoch else DASH
            val = "diverged" if trial.diverged else f"{100 * trial.val_accuracy:.2f}"
            table.add_row(
                str(seed),
                result.arm_of(arm).title,
                number,
                trial_values_text(trial.values),
                epoch,
                val,
                f"{100 * result.picked_test(arm, pair, seed):.2f}",  # a tie: the tied trials' mean
            )
    return table


def _unfinished(result: TuneResult, pair: tuple[int, int]) -> str:
    """Where a pair whose arms have not all finished stands: still training, or stopped."""
    done = [arm for arm in result.arms if any(t.arm == arm and t.pair == pair for t in result.trials)]
    so_far = f"{len(done)} of {len(result.arms)} arms finished"
    if result.status == "running":
        return f"{so_far}, the others training; the reading comes once all have finished."
    return f"stopped before its arms finished ({so_far})."


def tune_report(result: TuneResult, sort: str = "best", reverse: bool = False) -> list[RenderableType]:
    """Every finished pair of the tuning, with its reading; a stopped tuning says what it has."""
    parts: list[RenderableType] = []
    for pair in result.pairs:
        if not result.complete(pair):
            parts.append(Text(f"{class_name(pair[0])} vs {class_name(pair[1])}: {_unfinished(result, pair)}"))
            continue
        readings = {arm: result.arm_reading(arm, pair) for arm in result.arms}
        parts += [
            arms_table(result, pair, readings),
            *(budget_table(result, pair, readings, arm) for arm in result.contenders),
            picks_table(result, pair, readings),
            Text("\n".join(result.reading(pair))),
        ]
    finished = [pair for pair in result.pairs if result.complete(pair)]
    if len(finished) > 1:
        parts += [map_table(result, finished), Text("\n".join(result.map_reading()))]
    if not parts:
        parts.append(Text("No arm finished its trials."))
    return [*parts, Text(variance_line(result), style="dim")]


def map_table(result: TuneResult, pairs: list[tuple[int, int]]) -> Table:
    """The fair map beside the one-shot one: per pair, Δ (points, mean over seeds) and its verdict each way, for
    each arm read against B from scratch."""
    several = len(result.contenders) > 1
    title = "B on A minus B from scratch" if not several else "each arm minus B from scratch"
    table = Table(title=f"Δ test accuracy, {title} (points): one shot and at {result.budget} trials")
    table.add_column("pair")
    for arm in result.contenders:
        prefix = f"{result.arm_of(arm).title}\n" if several else ""
        for header in ("one shot", "verdict", f"{result.budget} trials", "verdict"):
            justify = "left" if header == "verdict" else "right"
            table.add_column(prefix + header, justify=justify, no_wrap=True)
    for pair in pairs:
        cells = [f"{class_name(pair[0])} vs {class_name(pair[1])}"]
        for arm in result.contenders:
            for summary in (result.one_shot_summary(pair, arm), result.summary(pair, arm)):
                mean = summary.difference_mean
                cells += [DASH if mean is None else f"{100 * mean:+.2f}", side_of(summary)]
        table.add_row(*cells)
    return table
