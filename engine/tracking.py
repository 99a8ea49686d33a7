"""Running something while the run store watches: a row when it starts, each epoch as it ends, the result."""

from __future__ import annotations

import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy

from engine.config import ExperimentConfig, config_to_dict
from engine.paths import home_dir
from engine.progress import Listener
from engine.store import RecordingListener, RunStore


class Result(Protocol):
    status: str
    device: str

    def to_dict(self) -> dict[str, Any]: ...


def database_path() -> Path:
    return home_dir() / "runs.sqlite"


def open_store() -> RunStore:
    """The store under the app's home, with runs orphaned by a dead process marked 'interrupted'."""
    store = RunStore(database_path())
    store.mark_interrupted()
    return store


def library_versions() -> dict[str, str]:
    from engine.runtime import keras, tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
    }


def run_tracked(
    kind: str, config: ExperimentConfig, run_dir: Path, work: Callable[[Listener], Result], listener: Listener
) -> Result:
    """Call `work` with a listener that also records every epoch; the run's row always ends with a status."""
    from engine.runtime import device_name

    store = open_store()
    store.start(run_dir.name, kind, config_to_dict(config), run_dir, library_versions(), device_name())
    try:
        result = work(RecordingListener(store, run_dir.name, listener))
    except KeyboardInterrupt:
        store.finish(run_dir.name, "cancelled", None)
        raise
    except BaseException:
        store.finish(run_dir.name, "failed", None)
        raise
    store.finish(run_dir.name, result.status, result.to_dict(), result.device)
    return result
