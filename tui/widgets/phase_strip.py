"""The phases of the run in order, the current one highlighted: '✓ Model A → ▶ B on A, frozen → …'."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from engine.phases import PHASE_TITLES
from tui.render import pair_label, seeds_label
from tui.state.run_state import RunState


def phase_strip_text(state: RunState) -> Text:
    """The current seed group's phases, plus which group of how many this is."""
    if not state.plan:
        return Text("No run yet: set it up on Setup (F2), then press ctrl+r.", style="dim")
    current = state.current if state.current is not None else 0
    group = (state.plan[current].pair, state.plan[current].seeds)
    groups = list(dict.fromkeys((p.pair, p.seeds) for p in state.plan))
    text = Text()
    title = f"{pair_label(group[0])}, {seeds_label(group[1])} ({groups.index(group) + 1} of {len(groups)}): "
    text.append(title, style="bold")
    members = [(index, p) for index, p in enumerate(state.plan) if (p.pair, p.seeds) == group]
    for position, (index, planned) in enumerate(members):
        if position:
            text.append(" → ", style="dim")
        title = planned.optimizer or PHASE_TITLES[planned.phase]
        if index in state.finished:
            text.append(f"✓ {title}", style="green")
        elif index == state.current:
            text.append(f"▶ {title}", style="bold reverse")
        else:
            text.append(title, style="dim")
    return text


class PhaseStrip(Static):
    """Redrawn from the RunState after every phase change."""

    def show(self, state: RunState) -> None:
        self.update(phase_strip_text(state))
