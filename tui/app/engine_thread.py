"""The one thread where TensorFlow is imported and every model is built and trained.

It starts with the app (so TensorFlow loads while the user fills the form), then waits for
run requests. Progress reaches the UI as Messages; a StopToken per run stops it cooperatively.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App

from engine.config import ExperimentConfig
from engine.data.fashion_mnist import Dataset
from engine.errors import UserError
from engine.progress import Listener, ProgressEvent, StopToken
from tui.app.messages import EngineProgress, EngineReady, RunFailed, RunFinished

if TYPE_CHECKING:
    from engine.storage.checkpoints import Checkpoints
    from engine.storage.tracking import Result

DatasetLoader = Callable[[ExperimentConfig], Dataset]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunRequest:
    """A transfer experiment ('experiment') or an optimizer race ('leaderboard'), and its run folder."""

    kind: str
    config: ExperimentConfig
    run_dir: Path
    resume: bool = False


class EngineThread:
    """Owns the engine's thread worker, its request queue and the current run's stop token."""

    def __init__(self, app: App, load_dataset: DatasetLoader, tensorboard: Path | None = None) -> None:
        self.app = app
        self.load_dataset = load_dataset
        self.tensorboard = tensorboard
        self.requests: queue.Queue[RunRequest | None] = queue.Queue()
        self.stop = StopToken()
        self.started = False
        self.busy = False
        self.ended = threading.Event()  # set when the thread has returned, so a caller can wait for it

    def start(self) -> None:
        """Start the thread (once); it imports TensorFlow and posts EngineReady."""
        if not self.started:
            self.started = True
            self.app.run_worker(self._serve, thread=True, name="engine", group="engine", exit_on_error=False)

    def submit(self, request: RunRequest) -> None:
        self.start()
        self.stop = StopToken()
        self.busy = True
        self.requests.put(request)

    def cancel(self) -> None:
        """Stop the current run at the end of the batch in progress; finished seeds are kept."""
        self.stop.request()

    def shutdown(self) -> None:
        """Stop any run and let the thread end, so nothing keeps the process alive."""
        self.stop.request()
        self.requests.put(None)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the thread has ended (after `shutdown`); False if it is still running after `timeout`."""
        return not self.started or self.ended.wait(timeout)

    def _serve(self) -> None:
        try:
            self._serve_requests()
        finally:
            self.ended.set()

    def _serve_requests(self) -> None:
        try:
            from engine.runtime import device_name

            device = device_name()
        except Exception as exc:
            log.exception("TensorFlow failed to load")
            self.app.post_message(EngineReady(f"TensorFlow failed to load: {exc}"))
            device = None
        else:
            self.app.post_message(EngineReady(device))
        while (request := self.requests.get()) is not None:
            if device is None:
                self._post(RunFailed("TensorFlow failed to load; see resources/logs for details"))
            else:
                self._run(request)
            self.busy = False

    def _run(self, request: RunRequest) -> None:
        from engine.storage.model_cache import ModelACache
        from engine.storage.tracking import run_tracked
        from engine.studies.experiment import run_experiment
        from engine.studies.leaderboard import run_leaderboard

        config, stop = request.config, self.stop

        def work(listener: Listener, checkpoints: Checkpoints) -> Result:
            if request.kind == "leaderboard":
                return run_leaderboard(config, dataset, listener=listener, stop=stop, checkpoints=checkpoints)
            return run_experiment(
                config,
                dataset,
                listener=listener,
                stop=stop,
                save_dir=request.run_dir,
                checkpoints=checkpoints,
                model_a_cache=ModelACache(),
            )

        try:
            dataset = self.load_dataset(config)
            result = run_tracked(request.kind, config, request.run_dir, work, self._progress, resume=request.resume)
        except UserError as exc:
            self._post(RunFailed(str(exc)))
        except Exception as exc:
            log.exception("run failed")
            self._post(RunFailed(f"unexpected error: {type(exc).__name__}: {exc} (details in the app log)"))
        else:
            self._post(RunFinished(result, request.run_dir))

    def _progress(self, event: ProgressEvent) -> None:
        self._post(EngineProgress(event))

    def _post(self, message: object) -> None:
        self.app.post_message(message)
