"""Running something while the run store watches: a row when it starts, each epoch as it ends, the result."""

from __future__ import annotations

import dataclasses
import platform
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import numpy

from engine.config import ExperimentConfig, config_to_dict
from engine.data.fashion_mnist import Dataset
from engine.data.split import check_pairs_fit
from engine.errors import UserError
from engine.execution.executors import executor_for
from engine.fileio import remove_temporary_files
from engine.kinds import RunContext, RunKind, RunOptions
from engine.progress import Listener, StopToken
from engine.results.protocol import RunResult
from engine.storage.checkpoints import Checkpoints
from engine.storage.store import RecordingListener, open_store

if TYPE_CHECKING:
    from engine.hardware import GpuFacts


def library_versions() -> dict[str, str]:
    from engine.runtime import keras, tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
    }


def for_this_device(config: ExperimentConfig, gpus: list[GpuFacts]) -> ExperimentConfig:
    """`config` with what the device (`gpus`: engine.runtime.gpu_facts()) decides resolved, as the run store then
    records it: an "auto" precision, a population memory budget of 0, and on a box of several GPUs a local Ray
    cluster (engine.hardware)."""
    from engine.runtime import cluster_address, population_budget, resolved_precision

    run = config.run
    chosen = msgspec.structs.replace(
        run,
        precision=resolved_precision(run.precision, gpus),
        population_memory_gb=population_budget(run.population_memory_gb, gpus),
    )
    address, _ = cluster_address(config.cluster.address, gpus)
    cluster = msgspec.structs.replace(config.cluster, address=address)
    return msgspec.structs.replace(config, run=chosen, cluster=cluster)


def failure_reason(exc: BaseException) -> str:
    """One line for the run store: a user error's own message, else the exception's type and message."""
    if isinstance(exc, UserError):
        return str(exc)
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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
    from engine.runtime import device_name, full_device_line, gpu_facts

    gpus = gpu_facts()  # once: it asks nvidia-smi where TensorFlow sees a GPU
    config = for_this_device(kind.prepared(config), gpus)
    executor = executor_for(config)
    executor.check(config)
    if kind.trains_b(config):  # what the data can refuse, refused before anything is recorded
        check_pairs_fit(config.split, dataset)
    store = open_store()
    run_id = run_dir.name
    if resume:
        store.reopen(run_id)
    else:
        versions = library_versions()
        store.start(
            run_id,
            kind.name,
            config_to_dict(config),
            run_dir,
            versions,
            device_name(config.run.precision),
            options.to_dict(),
            hardware=full_device_line(gpus, config.run.precision),
        )
    remove_temporary_files(run_dir)
    checkpoints = Checkpoints(run_dir / "checkpoints")
    if options.tensorboard:
        from engine.storage.tensorboard import TensorBoardListener

        listener = TensorBoardListener(Path(options.tensorboard) / run_id, listener)
    recorder = RecordingListener(store, run_id, listener)
    context = RunContext(run_dir, recorder, stop, checkpoints, options)
    try:
        result = executor.run(kind, config, dataset, context)
    except BaseException as exc:
        aborted = isinstance(exc, KeyboardInterrupt)
        status = "cancelled" if aborted else "failed"
        reason = "aborted by Ctrl-C twice" if aborted else failure_reason(exc)
        # what finished before the end stays readable (a sweep's cells so far), with the status it ended in
        partial = None if recorder.partial is None else dataclasses.replace(recorder.partial, status=status)
        store.finish(run_id, status, None if partial is None else partial.to_dict(), reason=reason)
        raise
    store.add_files(run_id, "model", result.model_files())
    reason = (stop.reason or "stopped before the end") if result.status == "cancelled" else None
    store.finish(run_id, result.status, result.to_dict(), result.device, reason=reason)
    if result.status == "finished":
        checkpoints.clear()
    return result
