"""A race over tasks on the terminal: each optimizer's mean score and rank per task (with the rank's interval over
resampled seeds), the reading over tasks, the critical-difference diagram drawn in characters (Demšar 2006's
figure: the average-rank axis, a mark per optimizer, a bar under each group Nemenyi's test cannot tell apart) and
the performance profile of epochs to target. The CLI prints it, the Optimizers view shows it."""

from __future__ import annotations

import math

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from engine.kinds import variance_line
from engine.results.race import PROFILE_TAUS, RaceReading, RaceResult, task_of

AXIS_WIDTH = 60  # characters from rank 1 to rank k: fits 80 columns with a label beside


def short_task(result: RaceResult, index: int) -> str:
    """A task in a table's header: 'A', 'all', 'B 5-6', 'B/A 5-6'."""
    name, pair = task_of(result.races[index])
    return {"a": "A", "full": "all", "b_scratch": f"B {pair[0]}-{pair[1]}", "b_on_a": f"B/A {pair[0]}-{pair[1]}"}[name]


def _rank_cell(rank: tuple[float, float, float] | None) -> str:
    """The rank by the mean over its interval's bounds, rounded outward to whole ranks ('2.5' over '1-4'): two short
    lines keep eight tasks and more within 80 columns."""
    if rank is None:
        return "-"
    value, low, high = rank
    low, high = math.floor(low), math.ceil(high)
    return f"{value:g}\n{low}" + (f"-{high}" if high != low else "")


def race_tables(result: RaceResult, reading: RaceReading | None) -> list[Table]:
    """Mean score % per task, and rank per task with its 95% interval over resampled seeds, optimizers by their
    average rank (`reading`: the result's; those without a score on every task last)."""
    order = [name for name, _ in reading.ordered()] if reading else []
    order += [name for name in result.settings.leaderboard.optimizers if name not in order]
    means, ranks = result.task_means(), result.task_ranks()
    heads = [short_task(result, index) for index in range(len(result.races))]
    score = "test % of the validation pick" if result.settings.leaderboard.budget else "best validation accuracy %"
    tables = []
    for title, cell in (
        (f"Score per task: {score}, mean over seeds", lambda t, name: _percent(means[t].get(name))),
        (
            "Rank per task, over its 95% interval from resampled seeds (whole ranks)",
            lambda t, name: _rank_cell(ranks[t].get(name)),
        ),
    ):
        # one space between columns: nine optimizers over eight tasks fit 80 columns
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0, 0, 1))
        table.add_column("optimizer", no_wrap=True)
        for head in heads:
            table.add_column(head, justify="right")
        if reading:
            table.add_column("avg rank", justify="right")
        average = dict(zip(reading.optimizers, reading.average_ranks, strict=True)) if reading else {}
        for name in order:
            extra = [f"{average[name]:.2f}" if name in average else "-"] if reading else []
            table.add_row(name, *(cell(t, name) for t in range(len(heads))), *extra)
        tables.append(table)
    return tables


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def cd_diagram_lines(reading: RaceReading, width: int = AXIS_WIDTH) -> list[str]:
    """The critical-difference diagram in characters: the axis from rank 1 (the best, left) to k, the CD's length,
    a line per optimizer with its mark at its average rank, and a bar per group that cannot be told apart."""
    k = len(reading.optimizers)

    def at(rank: float) -> int:
        return round((rank - 1) / max(k - 1, 1) * (width - 1))

    ticks = [" "] * (width + 2)
    axis = ["─"] * width
    for rank in range(1, k + 1):
        place = at(rank)
        label = str(rank)
        ticks[place : place + len(label)] = list(label)
        axis[place] = "┼"
    axis[0], axis[-1] = "├", "┤"
    cd_length = min(max(2, round(reading.cd / max(k - 1, 1) * (width - 1)) + 1), width + 14)
    lines = [
        f"Average rank (1 the best); Nemenyi's CD at 95%: {reading.cd:.2f} ranks, drawn to scale:",
        "├" + "─" * (cd_length - 2) + "┤ CD",
        "".join(ticks).rstrip(),
        "".join(axis),
    ]
    for name, rank in reading.ordered():
        place = at(rank)
        label = f"{name} {rank:.2f}"
        if place + 2 + len(label) <= width + 14:
            lines.append(" " * place + "● " + label)
        else:
            lines.append(" " * max(place - len(label) - 1, 0) + label + " ●")
    ranks = dict(reading.ordered())
    for group in reading.groups:
        start, end = at(min(ranks[name] for name in group)), at(max(ranks[name] for name in group))
        lines.append(" " * start + "━" * max(end - start + 1, 1) + f"  {group[0]} … {group[-1]}")
    if not reading.groups:
        lines.append("(every optimizer told apart from every other)")
    return lines


def profile_table(result: RaceResult) -> Table | None:
    """Per optimizer, the share of tasks where it reached the target validation accuracy within tau times the
    fastest optimizer's epochs (median over seeds, a miss counting as never)."""
    profile = result.profile()
    if not profile:
        return None
    target = result.settings.leaderboard.target_accuracy
    table = Table(
        title=f"Performance profile: share of tasks reaching {100 * target:g}% validation accuracy within tau x "
        "the fastest's epochs",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("optimizer")
    for tau in PROFILE_TAUS:
        table.add_column(f"tau {tau:g}", justify="right")
    for name, shares in sorted(profile.items(), key=lambda item: [-share for share in item[1]]):
        table.add_row(name, *(f"{100 * share:.0f}%" for share in shares))
    return table


def race_report(result: RaceResult, sort: str = "best", reverse: bool = False) -> list[RenderableType]:
    """What a race over tasks has to say (`sort` and `reverse` belong to one task's table and are not used), and
    which sources of variance it covered."""
    return [*race_reading(result), Text(variance_line(result), style="dim")]


def race_reading(result: RaceResult) -> list[RenderableType]:
    """The tables, the reading over tasks, the critical-difference diagram and the performance profile."""
    parts: list[RenderableType] = []
    if result.status == "cancelled":
        parts.append(Text("Cancelled: the tasks that finished are read below.", style="bold yellow"))
    reading = result.reading()
    parts += race_tables(result, reading)
    if reading is None:
        parts.append(Text("Too few tasks or optimizers finished to read ranks over tasks (two of each at least)."))
    else:
        parts.append(Text("\n".join(reading.sentences())))
        parts.append(Text("\n".join(cd_diagram_lines(reading)), no_wrap=True, overflow="crop"))
    profile = profile_table(result)
    if profile is not None:
        parts.append(profile)
    return parts
