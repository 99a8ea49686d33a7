"""Running something while the run store watches: a row when it starts, each epoch as it ends, the result."""

from __future__ import annotations

import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy

from engine.config import ExperimentConfig, config_to_dict
from engine.fileio import remove_temporary_files
from engine.progress import Listener
from engine.storage.checkpoints import Checkpoints
from engine.storage.store import RecordingListener, open_store


class Result(Protocol):
    status: str
    device: str

    def to_dict(self) -> dict[str, Any]: ...

    def model_files(self) -> list[str]: ...


def library_versions() -> dict[str, str]:
    from engine.runtime import keras, tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
    }


Work = Callable[[Listener, Checkpoints], Result]


def run_tracked(
    kind: str,
    config: ExperimentConfig,
    run_dir: Path,
    work: Work,
    listener: Listener,
    *,
    resume: bool = False,
    options: dict | None = None,
) -> Result:
    """Call `work` with a listener that also records every epoch and with the run's checkpoints (a resumed run
    continues from them); the run's row always ends with a status, and a finished run drops its checkpoints."""
    from engine.runtime import device_name

    store = open_store()
    run_id = run_dir.name
    if resume:
        store.reopen(run_id)
    else:
        store.start(run_id, kind, config_to_dict(config), run_dir, library_versions(), device_name(), options)
    remove_temporary_files(run_dir)
    checkpoints = Checkpoints(run_dir / "checkpoints")
    try:
        result = work(RecordingListener(store, run_id, listener), checkpoints)
    except KeyboardInterrupt:
        store.finish(run_id, "cancelled", None)
        raise
    except BaseException:
        store.finish(run_id, "failed", None)
        raise
    store.add_files(run_id, "model", result.model_files())
    store.finish(run_id, result.status, result.to_dict(), result.device)
    if result.status == "finished":
        checkpoints.clear()
    return result
