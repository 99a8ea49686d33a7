"""Rich renderables shared by the headless CLI and the app: epoch rows, the results table, the verdict."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from engine.classes import class_label, class_name
from engine.config.arms import SCRATCH, TRANSFER
from engine.kinds import variance_line
from engine.phases import B_FINETUNE, B_FROZEN, B_SCRATCH, PHASE_TITLES
from engine.progress import EpochDone, PlannedPhase
from engine.results.experiment import AHEAD, BEHIND, EQUIVALENT, ExperimentResult, SeedResult, Summary
from engine.results.leaderboard import SORT_COLUMNS, LeaderboardResult, Row, ranked
from engine.results.pair_map import MapResult, PairMap
from engine.results.stats import mean, std
from engine.results.study import StudyResult
from engine.results.words import plural
from engine.trains import BudgetTrial, TuneTrial
from tui.render.map import map_report
from tui.state.epoch_rows import MeanRow

DASH = "—"
ERROR_RATIO_WORDS = "Err. ratio: B from scratch's test errors over B on A's (above 1: transfer made fewer)"


def pct(value: float | None) -> str:
    """0.949 -> '94.90%'."""
    return DASH if value is None else f"{100 * value:.2f}%"


def points(value: float | None) -> str:
    """An accuracy difference in percentage points, signed: 0.005 -> '+0.50'."""
    return DASH if value is None else f"{100 * value:+.2f}"


def spread(std: float | None) -> str:
    """A standard deviation of accuracies, in points: 0.0031 -> '± 0.31'."""
    return DASH if std is None else f"± {100 * std:.2f}"


def ratio(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


def pair_label(pair: tuple[int, int]) -> str:
    """'Sandal vs Shirt': a class pair in words, the positive class second."""
    return " vs ".join(class_name(c) for c in pair)


def seeds_label(seeds: tuple[int, ...]) -> str:
    """'seed 42', 'seeds 1-10' for a consecutive run, else 'seeds 1, 5, 42'."""
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    if list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"seeds {seeds[0]}-{seeds[-1]}"
    return "seeds " + ", ".join(str(s) for s in seeds)


def task_title(b_classes: tuple[int, int] | list[int], n_train_b: int) -> str:
    """'Task B: Sandal (5) vs Shirt (6), positive Shirt, 200 training images'."""
    negative, positive = b_classes
    return f"Task B: {class_label(negative)} vs {class_label(positive)}, {n_train_b} training images"


EPOCH_COLUMNS = ("seed", "phase", "epoch", "loss", "acc", "val loss", "val acc", "time")


def epoch_cells(event: EpochDone, planned: PlannedPhase, several_pairs: bool = False) -> tuple[str, ...]:
    """The cells of one per-epoch row, in EPOCH_COLUMNS order. Where rows of several pairs mix (a group of pairs
    training together, units side by side on a cluster), the seed says its pair too. An epoch a resumed run read
    back from its checkpoint shows 'kept' for its time."""
    m = event.metrics
    return (
        member_label(event.seed, planned.pair if several_pairs else None),
        phase_label(planned),
        f"{event.epoch}/{event.epochs}",
        f"{m.loss:.4f}",
        f"{m.accuracy:.4f}",
        f"{m.val_loss:.4f}",
        f"{m.val_accuracy:.4f}",
        "kept" if event.restored else f"{m.seconds:.1f}s",  # read back on resuming, not trained again
    )


def member_label(seed: int, pair: tuple[int, int] | None = None) -> str:
    """'3', or '5,6 s3' for seed 3 of the pair (5, 6)."""
    return str(seed) if pair is None else f"{pair[0]},{pair[1]} s{seed}"


def group_title(plan: list[PlannedPhase], group: int) -> str:
    """'45 pairs, seeds 1-3, as one population (group 1 of 1)' for pairs that train together; for a tuning's
    arm, 'Sandal vs Shirt, scratch: 16 trials and the notebook's configuration once, x seeds 1-3, as one
    population'; for an optimizer's trials, 'adam: 16 trials x seed 1 as one population'."""
    members = [p for p in plan if p.group == group]
    trains = members[0].trains
    if isinstance(trains, (TuneTrial, BudgetTrial)):  # an arm's or optimizer's trials
        trials = len({p.trains for p in members if not p.one_shot})
        seeds = seeds_label(members[0].seeds)
        if isinstance(trains, BudgetTrial):  # a leaderboard's task need not be the pair's: its race rows said which
            return f"{trains.optimizer}: {trials} trials x {seeds} as one population"
        once = " and the notebook's configuration once" if any(p.one_shot for p in members) else ""
        where = pair_label(members[0].pair)
        return f"{where}, {trains.arm.word}: {trials} trials{once}, x {seeds}, as one population"
    pairs = {p.pair for p in plan if p.group == group}
    groups = len({p.group for p in plan})
    seeds = next(p.seeds for p in plan if p.group == group)
    what = f"{len(pairs)} pairs" if len(pairs) > 1 else pair_label(next(iter(pairs)))
    return f"{what}, {seeds_label(seeds)}, as one population (group {group + 1} of {groups})"


def several_pairs(plan: Sequence[PlannedPhase]) -> bool:
    """Whether a plan trains more than one class pair, so that its rows need to say which."""
    return len({planned.pair for planned in plan}) > 1


EPOCH_HEADER = (
    f"{'seed':>6}  {'phase':<18} {'epoch':>6}  {'loss':>7} {'acc':>7}  {'val loss':>8} {'val acc':>7} {'time':>7}"
)


# a one-shot's rows, short: 'one-shot fine-tune'
ONE_SHOT_STEPS = {B_SCRATCH: "scratch", B_FROZEN: "frozen", B_FINETUNE: "fine-tune"}


def phase_label(planned: PlannedPhase) -> str:
    """What a row trains, in at most 18 characters: the optimizer racing, 'AnB+ 2 fine-tune' in a layer sweep,
    'B on B, frozen' for a tuning's trials, or the phase's title."""
    trains, step = planned.trains, PHASE_TITLES[planned.phase].split(", ")[-1]
    if planned.optimizer:
        return planned.optimizer
    if isinstance(trains, TuneTrial):  # a tuning's trials: rows gather its arm
        arm = trains.arm
        if trains.one_shot:  # the notebook's configuration, run once beside the trials
            short = ONE_SHOT_STEPS[planned.phase]
            return f"one-shot {short}" if arm.name in (SCRATCH, TRANSFER) else f"{arm.title} one-shot {short}"
        if arm.name == SCRATCH:
            return PHASE_TITLES[planned.phase]
        return f"{arm.title}, {step}" if arm.name == TRANSFER else f"{arm.title} {step}"
    if isinstance(trains, BudgetTrial):  # a leaderboard's trials of one optimizer
        return f"{trains.optimizer} trials"
    if trains is not None:  # a sweep's cell, a map's network
        return f"{trains.text} {step}"
    return PHASE_TITLES[planned.phase]


def epoch_line(event: EpochDone, planned: PlannedPhase, several_pairs: bool = False) -> str:
    """One per-epoch row as a fixed-width plain line under EPOCH_HEADER, for terminals, logs and pipes."""
    seed, phase, epoch, loss, acc, val_loss, val_acc, seconds = epoch_cells(event, planned, several_pairs)
    return f"{seed:>6}  {phase:<18} {epoch:>6}  {loss:>7} {acc:>7}  {val_loss:>8} {val_acc:>7} {seconds:>7}"


MEAN_HEADER = (
    f"{'seeds':>8} {'phase':<18} {'epoch':>6} {'loss':>11} {'val acc %':>11} {'worst val acc':>15} {'time':>6}"
)


def mean_line(row: MeanRow) -> str:
    """One row for an epoch of several seeds under MEAN_HEADER: loss and validation accuracy as mean±std over
    the seeds that did not diverge, the worst seed's validation accuracy, and how many diverged."""
    label = phase_label(row.planned)

    def spread(values: tuple[float, float | None] | None, scale: float, digits: int) -> str:
        if values is None:
            return DASH
        mean, std = values
        return f"{scale * mean:.{digits}f}" + ("" if std is None else f"±{scale * std:.{digits}f}")

    who = f"seed {row.worst[1]}" if row.worst_pair is None else member_label(row.worst[1], row.worst_pair)
    worst = DASH if row.worst is None else f"{100 * row.worst[0]:.2f} ({who})"
    if row.diverged:
        worst = f"{len(row.diverged)} diverged"
    seeds = plural(row.seeds, "seed" if row.planned.group is None else "run")
    epoch = f"{row.epoch}/{row.epochs or row.planned.epochs}"
    loss, accuracy = spread(row.loss, 1, 3), spread(row.val_accuracy, 100, 2)
    return f"{seeds:>8} {label:<18} {epoch:>6} {loss:>11} {accuracy:>11} {worst:>15} {row.seconds:>5.1f}s"


def winner(result: SeedResult) -> Text:
    if result.diverged:
        return Text(f"diverged ({PHASE_TITLES[result.diverged]})", style="bold red")
    if result.difference > 0:
        return Text("transfer", style="green")
    if result.difference < 0:
        return Text("scratch", style="yellow")
    return Text("tie")


def seed_table(result: ExperimentResult, pair: tuple[int, int]) -> Table:
    """One pair, per seed and aggregated: test accuracy of A, B scratch, B on A, the difference, the error ratio."""
    title = task_title(pair, result.settings.split.n_train_b)
    table = Table(title=title, title_justify="left", caption=ERROR_RATIO_WORDS, caption_justify="left", expand=False)
    table.add_column("Seed", justify="right")
    table.add_column("A test", justify="right")
    table.add_column("B scratch", justify="right")
    table.add_column("B on A", justify="right")
    table.add_column("Δ points", justify="right")
    table.add_column("Err. ratio", justify="right")
    table.add_column("Better", no_wrap=True)
    for seed_result in result.seeds_of(pair):
        table.add_row(
            str(seed_result.seed),
            pct(seed_result.test_acc_a),
            pct(seed_result.test_acc_b_scratch),
            pct(seed_result.test_acc_b_transfer),
            points(seed_result.difference),
            ratio(seed_result.error_ratio),
            winner(seed_result),
        )
    summary = result.summaries()[pair]
    if summary.n_seeds > 1:
        table.add_section()
        table.add_row(
            Text("mean", style="bold"),
            pct(summary.acc_a_mean),
            pct(summary.acc_scratch_mean),
            pct(summary.acc_transfer_mean),
            points(summary.difference_mean),
            f"median {ratio(summary.error_ratio_median)}",
            f"won {summary.wins}/{summary.n_seeds}",
        )
        table.add_row(
            Text("± std", style="bold"),
            spread(summary.acc_a_std),
            spread(summary.acc_scratch_std),
            spread(summary.acc_transfer_std),
            spread(summary.difference_std),
            "",
            "",
        )
    return table


def interval(ci: tuple[float, float] | None) -> str:
    """A 95% interval of a difference, in points: '[-0.52, +1.31]'."""
    return DASH if ci is None else f"[{100 * ci[0]:+.2f}, {100 * ci[1]:+.2f}]"


def study_table(result: ExperimentResult) -> Table:
    """Every class pair on one line: the numbers a study is run for, never pooled across pairs."""
    table = Table(
        title="Study: transfer vs scratch, per class pair",
        title_justify="left",
        caption=f"mean ± std over seeds; Δ with its 95% interval; {ERROR_RATIO_WORDS}, median over seeds",
        caption_justify="left",
        expand=False,
    )
    table.add_column("B pair", max_width=16)
    table.add_column("Scratch", justify="right")
    table.add_column("B on A", justify="right")
    table.add_column("Δ points", justify="right")
    table.add_column("Won", justify="right")
    table.add_column("Err. ratio", justify="right")
    for pair, summary in result.summaries().items():
        table.add_row(
            pair_label(pair),
            f"{pct(summary.acc_scratch_mean)}\n{spread(summary.acc_scratch_std)}",
            f"{pct(summary.acc_transfer_mean)}\n{spread(summary.acc_transfer_std)}",
            f"{points(summary.difference_mean)}\n{interval(summary.difference_ci95)}",
            f"{summary.wins}/{summary.n_seeds}",
            ratio(summary.error_ratio_median),
        )
    return table


SEED_TABLES_UP_TO = 3  # pairs; beyond this the report gives the study table and the map, not a table per pair


def report(result: ExperimentResult | MapResult) -> list[RenderableType]:
    """Everything a finished (or cancelled) run has to say, for the terminal and the Results screen alike:
    one network's seeds per pair, or the maps of several networks side by side with their paired gains."""
    parts: list[RenderableType] = []
    networks = result.by_network()
    finished = sum(len(one.seeds) for one in networks.values())
    if result.status == "cancelled":
        planned = sum(one.planned_runs for one in networks.values())
        parts.append(Text(f"Cancelled: {finished} of {planned} seed runs finished.", style="bold yellow"))
    if not finished:
        parts.append(Text("No seed finished, so there is nothing to compare."))
    sources = Text(variance_line(result), style="dim")
    if len(networks) > 1:
        for name, one in networks.items():
            parts += [Text(f"Network {name}", style="bold"), study_table(one), Text("")]
        maps = [PairMap.of(one, name) for name, one in networks.items()]
        return [*parts, map_report(maps, result.gains()), sources]
    (only,) = networks.values()
    if len(only.pairs) > 1:
        parts += [study_table(only), Text(""), map_report([PairMap.of(only)]), Text("")]
    if len(only.pairs) > SEED_TABLES_UP_TO:
        note = f"Per-seed tables of the {len(only.pairs)} pairs: in the exports and the app."
        parts.append(Text(note, style="dim"))
        return [*parts, sources]
    for pair, summary in only.summaries().items():
        parts += [seed_table(only, pair), verdict_text(summary), Text("")]
    return [*parts, sources]


def verdict_text(summary: Summary) -> Text:
    """The plain-words verdict, coloured only when the interval says something."""
    style = {AHEAD: "bold green", BEHIND: "bold yellow", EQUIVALENT: "bold cyan"}.get(summary.side, "bold")
    return Text(summary.verdict, style=style)


def two_lines(spread_of: tuple[float | None, float | None], as_percent: bool = True) -> str:
    """A (mean, std) pair as 'mean' over '± std', so tables stay narrow."""
    mean, std = spread_of
    if mean is None:
        return DASH
    if as_percent:
        return pct(mean) if std is None else f"{pct(mean)}\n{spread(std)}"
    return f"{mean:.4g}" if std is None else f"{mean:.4g}\n± {std:.2g}"


def leaderboard_table(rows: list[Row], target: float, column: str, reverse: bool = False) -> Table:
    """Rank, optimizer, best and final validation accuracy, final validation loss, epochs to the target
    accuracy, seconds per epoch and status, sorted by `column`."""
    title = f"Optimizers, sorted by {SORT_COLUMNS[column][0]}{' (reversed)' if reverse else ''}"
    table = Table(
        title=title,
        title_justify="left",
        caption="mean ± std over seeds, a diverged seed at chance level (1 / classes; loss ln classes); epochs to "
        "reach the target validation accuracy: the mean over the seeds that reached it, over how many of the seeds "
        "did (more seeds first when ranked by it)",
        caption_justify="left",
    )
    table.add_column("#", justify="right")
    table.add_column("Optimizer", no_wrap=True)
    table.add_column("Best val\nacc", justify="right")
    table.add_column("Final val\nacc", justify="right")
    table.add_column("Final val\nloss", justify="right")
    table.add_column(f"Epochs\nto {100 * target:g}%", justify="right")
    table.add_column("s per\nepoch", justify="right")
    table.add_column("Status", no_wrap=True)
    for rank, row in enumerate(ranked(rows, column, reverse), start=1):
        reached = DASH if row.epochs_to_target is None else f"{row.epochs_to_target:.1f}"
        if row.seeds_counted:
            reached += f"\n{row.seeds_reaching_target}/{row.seeds_counted}"
        status_style = (
            "bold red" if row.status.startswith("diverged") else ("yellow" if row.status == "running" else "")
        )
        table.add_row(
            str(rank),
            Text(row.optimizer, style="bold"),
            two_lines(row.best_val_accuracy),
            two_lines(row.final_val_accuracy),
            two_lines(row.final_val_loss, as_percent=False),
            reached,
            DASH if row.seconds_per_epoch is None else f"{row.seconds_per_epoch:.2f}",
            Text("done" if row.status == "finished" else row.status, style=status_style),
        )
    return table


def leaderboard_report(result: LeaderboardResult, sort: str = "best", reverse: bool = False) -> list[RenderableType]:
    """What a race has to say: that it was cancelled, if it was, the ranked table (the one-shot race), and at an
    equal budget the ranking at growing budgets and its reading."""
    parts: list[RenderableType] = []
    if result.status == "cancelled":
        parts.append(Text("Cancelled: optimizers that had not finished are marked so.", style="bold yellow"))
    parts.append(leaderboard_table(result.rows(), result.target, sort, reverse))
    if result.budget and result.expected_at(1):
        parts += [budget_table(result), Text("\n".join(result.budget_reading()))]
    return [*parts, Text(variance_line(result), style="dim")]


def budget_table(result: LeaderboardResult) -> Table:
    """Each optimizer at n trials: expected test accuracy % of its validation pick (its rank), mean over seeds."""
    budgets = result.budget_budgets()
    table = Table(title=f"At an equal budget: test accuracy % of the validation pick of n of {result.budget} trials")
    table.add_column("optimizer")
    for n in budgets:
        table.add_column(f"n = {n}", justify="right", no_wrap=True)
    ranks = {n: result.budget_ranking(n) for n in budgets}
    expected = {n: result.expected_at(n) for n in budgets}
    spread = result.rank_intervals()  # at n = budget, the pick itself: its rank's interval over the seeds

    def cell(n: int, name: str) -> str:
        text = f"{100 * expected[n][name][1]:.2f} (#{ranks[n].index(name) + 1}"
        if n == result.budget and name in spread:
            _, low, high = spread[name]
            text += f", {low:g}-{high:g}" if low != high else f", {low:g}"
        return text + ")"

    for name in ranks[budgets[-1]]:
        table.add_row(name, *(cell(n, name) for n in budgets))
    if spread:
        table.caption = f"(#rank, its 95% interval over resampled seeds at n = {result.budget})"
    elif len(result.settings.run.seeds) < 2:
        table.caption = "one seed: the ranks have no interval, and differences of tenths of a point may be noise"
    return table


def experiment_report(result: ExperimentResult, sort: str = "best", reverse: bool = False) -> list[RenderableType]:
    return report(result)


def sweep_table(result: StudyResult) -> Table:
    """The layer sweep: a row per treatment, a column per reuse depth; each cell B's test accuracy % as
    mean, ± std over seeds, and how many seeds beat B from scratch (baseB, n = 0), one under the other. One
    decimal keeps six depths within 80 columns; the exports have every digit."""
    depths = sorted({cell.layers for cell in result.cells})
    table = Table(
        title="B test accuracy %: mean, ± std, (seeds above baseB)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("treatment", no_wrap=True)
    for depth in [0, *depths]:
        table.add_column(f"n={depth}", justify="right", no_wrap=True)
    base = list(result.baseline.values())
    base_cell = DASH if not base else _mean_std(mean(base), std(base))
    summaries = {(s.treatment, s.layers): s for s in result.summaries()}
    for treatment in dict.fromkeys(cell.treatment for cell in result.cells):
        cells = []
        for depth in depths:
            summary = summaries.get((treatment, depth))
            if summary is None or summary.mean is None:
                cells.append(DASH)
            else:
                counted = summary.wins + summary.ties + summary.losses
                cells.append(f"{_mean_std(summary.mean, summary.std)}\n({summary.wins}/{counted})")
        table.add_row(treatment, base_cell, *cells)
    return table


def _mean_std(centre: float | None, spread: float | None) -> str:
    """'88.4' over '±5.7': a narrow column, so that six depths fit 80 columns."""
    if centre is None:
        return DASH
    return f"{100 * centre:.1f}" + ("" if spread is None else f"\n±{100 * spread:.1f}")


def study_report(result: StudyResult, sort: str = "best", reverse: bool = False) -> list[RenderableType]:
    """The sweep's table, then its reading in words no stronger than the numbers."""
    parts: list[RenderableType] = []
    if result.status == "cancelled":
        parts.append(Text("Cancelled: cells that had not finished show —.", style="bold yellow"))
    return [*parts, sweep_table(result), Text("\n".join(result.reading()))]
