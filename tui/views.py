"""Which app views show each kind of run: the engine's kinds know nothing of screens. Also what the CLI prints,
as the results view would show it. No Textual here: the CLI reads it too."""

from __future__ import annotations

from dataclasses import dataclass

from engine.kinds import RunKind


@dataclass(frozen=True)
class KindViews:
    """`results`: the view that shows a kind's results (and the report the CLI prints); `live`: the view that
    shows it while it runs."""

    results: str
    live: str


VIEWS_OF: dict[str, KindViews] = {
    "experiment": KindViews(results="results", live="run"),
    "map": KindViews(results="results", live="run"),
    "leaderboard": KindViews(results="leaderboard", live="leaderboard"),
    "study": KindViews(results="study", live="study"),
    "tune": KindViews(results="tune", live="tune"),
}
DEFAULT_VIEWS = KindViews(results="results", live="run")  # a kind with no views of its own


def views_of(kind: RunKind) -> KindViews:
    return VIEWS_OF.get(kind.name, DEFAULT_VIEWS)
