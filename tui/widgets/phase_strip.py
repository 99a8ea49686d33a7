"""The phases of the run in order, the current one highlighted: '✓ Model A → ▶ B on A, frozen → …'."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from engine.phases import PHASE_TITLES
from engine.progress import PlannedPhase
from tui.render.runs import group_title, pair_label, seeds_label
from tui.state.run_state import RunState


def phase_strip_text(state: RunState, failed: bool = False) -> Text:
    """The phases of what trains now (a pair's seeds, or a group of pairs as one population), plus which of how
    many that is."""
    if not state.plan and failed:
        return Text("Nothing trained: the run failed before training started.", style="bold")
    if not state.plan:
        return Text("No run yet: set it up on Setup (F2), then press ctrl+r.", style="dim")
    current = state.current if state.current is not None else 0
    plan = list(state.plan)
    units = list(dict.fromkeys(_unit(p) for p in plan))
    unit = _unit(plan[current])
    text = Text()
    if plan[current].group is not None:
        text.append(f"{group_title(plan, plan[current].group)}: ", style="bold")
    else:
        pair, seeds = unit
        text.append(
            f"{pair_label(pair)}, {seeds_label(seeds)} ({units.index(unit) + 1} of {len(units)}): ", style="bold"
        )
    # a group's pairs share each phase: one step per phase, done when every pair's entry is
    steps: dict[tuple, list[int]] = {}
    for index, planned in enumerate(plan):
        if _unit(planned) == unit:
            steps.setdefault((planned.phase, planned.optimizer, planned.trains), []).append(index)
    for position, ((phase, optimizer, _trains), entries) in enumerate(steps.items()):
        if position:
            text.append(" → ", style="dim")
        title = optimizer or PHASE_TITLES[phase]
        if all(index in state.finished for index in entries):
            text.append(f"✓ {title}", style="green")
        elif state.current in entries:
            text.append(f"▶ {title}", style="bold reverse")
        else:
            text.append(title, style="dim")
    return text


def _unit(planned: PlannedPhase) -> tuple:
    """What trains together: a group of pairs, or one pair's seeds."""
    return ("group", planned.group) if planned.group is not None else (planned.pair, planned.seeds)


class PhaseStrip(Static):
    """Redrawn from the RunState after every phase change."""

    def show(self, state: RunState, failed: bool = False) -> None:
        self.update(phase_strip_text(state, failed))
