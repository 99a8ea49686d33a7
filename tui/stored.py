"""Stored runs as the CLI and the app show them (no TensorFlow needed to read one back)."""

from __future__ import annotations

import time
from collections.abc import Callable

from engine.errors import UserError
from engine.results.experiment import ExperimentResult
from engine.results.leaderboard import LeaderboardResult
from engine.storage.store import RunRecord, RunStore, open_store

RESUMABLE = ("interrupted", "cancelled", "failed")


def when(seconds: float | None) -> str:
    return "—" if seconds is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def result_of(record: RunRecord) -> ExperimentResult | LeaderboardResult | None:
    """The run's results, read back; None while it has none (running, interrupted, failed)."""
    if record.result is None:
        return None
    if record.kind == "leaderboard":
        return LeaderboardResult.from_dict(record.result)
    return ExperimentResult.from_dict(record.result)


def config_differences(left: dict, right: dict) -> list[str]:
    """'section.key: a → b' for every config value that differs between two runs."""
    lines = []
    for section in sorted(set(left) | set(right)):
        keys = set(left.get(section, {})) | set(right.get(section, {}))
        for key in sorted(keys):
            a, b = left.get(section, {}).get(key), right.get(section, {}).get(key)
            if a != b:
                lines.append(f"{section}.{key}: {a} → {b}")
    return lines


def open_store_telling(notify: Callable[..., None]) -> RunStore | None:
    """The run store, or None after telling the user why not; says so too when a corrupt one was set aside."""
    try:
        store = open_store()
    except UserError as exc:
        notify(str(exc), title="Run store", severity="error", timeout=10)
        return None
    if store.set_aside is not None:
        notify(
            f"The run database was unreadable: moved to {store.set_aside}; a new one was started.",
            title="Run store",
            severity="warning",
            timeout=10,
        )
    return store
