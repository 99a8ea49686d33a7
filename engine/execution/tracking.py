"""Running something while the run store watches: a row when it starts, each epoch as it ends, the result."""

from __future__ import annotations

import platform
from pathlib import Path

import numpy

from engine.config import ExperimentConfig, config_to_dict
from engine.data.fashion_mnist import Dataset
from engine.execution.executors import executor_for
from engine.fileio import remove_temporary_files
from engine.kinds import RunContext, RunKind, RunOptions
from engine.progress import Listener, StopToken
from engine.results.protocol import RunResult
from engine.storage.checkpoints import Checkpoints
from engine.storage.store import RecordingListener, open_store


def library_versions() -> dict[str, str]:
    from engine.runtime import keras, tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
    }


def run_tracked(
    kind: RunKind,
    config: ExperimentConfig,
    dataset: Dataset,
    run_dir: Path,
    listener: Listener,
    stop: StopToken,
    options: RunOptions,
    *,
    resume: bool = False,
) -> RunResult:
    """Run `kind` with a listener that also records every epoch (and writes TensorBoard logs if the options ask)
    and with the run's checkpoints (a resumed run continues from them); the run's row always ends with a status,
    and a finished run drops its checkpoints."""
    from engine.runtime import device_name

    executor = executor_for(config)
    executor.check(config)
    store = open_store()
    run_id = run_dir.name
    if resume:
        store.reopen(run_id)
    else:
        versions = library_versions()
        store.start(run_id, kind.name, config_to_dict(config), run_dir, versions, device_name(), options.to_dict())
    remove_temporary_files(run_dir)
    checkpoints = Checkpoints(run_dir / "checkpoints")
    if options.tensorboard:
        from engine.storage.tensorboard import TensorBoardListener

        listener = TensorBoardListener(Path(options.tensorboard) / run_id, listener)
    context = RunContext(run_dir, RecordingListener(store, run_id, listener), stop, checkpoints, options)
    try:
        result = executor.run(kind, config, dataset, context)
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
