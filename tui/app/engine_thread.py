"""The one thread where TensorFlow is imported and every model is built and trained.

It starts with the app (so TensorFlow loads while the user fills the form), then waits for run requests.
Progress, results and failures reach the UI as Messages; a StopToken per run stops it cooperatively. The
UI thread alone says whether a run is in progress (`busy`): it sets it when it submits a request and clears
it when it handles the request's RunFinished or RunFailed, so it never sees a stale state.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from textual.app import App

from engine.config import ExperimentConfig
from engine.data.fashion_mnist import Dataset
from engine.errors import UserError
from engine.progress import ProgressEvent, StopToken
from tui.app.messages import EngineDied, EngineProgress, EngineReady, RunFailed, RunFinished, RunRequest

DatasetLoader = Callable[[ExperimentConfig], Dataset]
log = logging.getLogger(__name__)
TENSORFLOW_FAILED = "TensorFlow failed to load; see resources/logs for details"


class EngineThread:
    """Owns the engine's thread worker, its request queue and the current run's stop token."""

    WORKER_NAME = "engine"  # the thread's name

    def __init__(self, app: App, load_dataset: DatasetLoader) -> None:
        self.app = app
        self.load_dataset = load_dataset
        self.requests: queue.Queue[RunRequest | None] = queue.Queue()
        self.stop = StopToken()
        self.started = False
        self.busy = False
        self.shutting_down = False
        self.ended = threading.Event()  # set when the thread has returned, so a caller can wait for it

    def start(self) -> None:
        """Start the thread (once, or again after it died); it imports TensorFlow and posts EngineReady.

        A daemon thread of its own, not a Textual thread worker: those run in asyncio's default executor, which
        the app's exit waits for, so a quit while TensorFlow imported (seconds, and no way to interrupt it) or
        while a long C++ call ran waited for them. The app waits only as long as a run needs to record its stop."""
        if not self.started:
            self.started = True
            self.ended = threading.Event()
            threading.Thread(target=self._serve, name=self.WORKER_NAME, daemon=True).start()

    def submit(self, request: RunRequest) -> None:
        self.start()
        self.stop = StopToken()
        self.busy = True
        self.requests.put(request)

    def done(self) -> None:
        """Called on the UI thread when it has handled the end of the run in progress."""
        self.busy = False

    def died(self) -> None:
        """The thread ended unexpectedly: forget it (the next run starts a new one) and what it was doing."""
        self.started = False
        self.busy = False
        self.requests = queue.Queue()

    def cancel(self) -> None:
        """Stop the current run at the end of the batch in progress; finished seeds are kept."""
        self.stop.request("c in the app")

    def shutdown(self) -> None:
        """Stop any run and let the thread end, so nothing keeps the process alive."""
        self.shutting_down = True
        self.stop.request("the app quit")
        self.requests.put(None)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the thread has ended (after `shutdown`); False if it is still running after `timeout`."""
        return not self.started or self.ended.wait(timeout)

    def _serve(self) -> None:
        reason = "it ended"
        try:
            self._serve_requests()
        except BaseException as exc:
            log.exception("the engine thread died")
            reason = f"{type(exc).__name__}: {exc}"
        finally:
            self.ended.set()
        if not self.shutting_down:  # it should only end with the app: say so, and let the next run start another
            self.app.post_message(EngineDied(reason))

    def _serve_requests(self) -> None:
        try:
            from engine.runtime import cluster_address, full_device_line, gpu_facts, gpu_fallback

            gpus = gpu_facts()
            device, fallback, gpus_note = full_device_line(gpus), gpu_fallback(), cluster_address("", gpus)[1]
        except Exception as exc:
            log.exception("TensorFlow failed to load")
            self.app.post_message(EngineReady(f"TensorFlow failed to load: {exc}", failed=True))
            device = None
        else:
            self.app.post_message(EngineReady(device, fallback=fallback, gpus_note=gpus_note))
        requests = self.requests
        while (request := requests.get()) is not None:
            if device is None:
                self.app.post_message(RunFailed(request, TENSORFLOW_FAILED))
            else:
                self._run(request)

    def _run(self, request: RunRequest) -> None:
        from engine.execution.tracking import run_tracked

        try:
            dataset = self.load_dataset(request.config)
            result = run_tracked(
                request.kind,
                request.config,
                dataset,
                request.run_dir,
                self._progress,
                self.stop,
                request.options,
                resume=request.resume,
            )
        except UserError as exc:
            self.app.post_message(RunFailed(request, str(exc), exc.key))
        except Exception as exc:
            log.exception("run failed")
            message = f"unexpected error: {type(exc).__name__}: {exc} (details in the app log)"
            self.app.post_message(RunFailed(request, message))
        else:
            self.app.post_message(RunFinished(request, result))

    def _progress(self, event: ProgressEvent) -> None:
        self.app.post_message(EngineProgress(event))
