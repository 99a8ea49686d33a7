"""Messages the engine thread posts to the app; Textual delivers them on the UI thread."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from engine.progress import ProgressEvent


class EngineReady(Message):
    """TensorFlow has loaded; `device` is 'CPU' or the GPU's name."""

    def __init__(self, device: str) -> None:
        super().__init__()
        self.device = device


class EngineProgress(Message):
    """One progress event from the engine."""

    def __init__(self, event: ProgressEvent) -> None:
        super().__init__()
        self.event = event


class RunFinished(Message):
    """A run ended, finished or cancelled; `result` is its engine.results.ExperimentResult."""

    def __init__(self, result: object, run_dir: Path) -> None:
        super().__init__()
        self.result = result
        self.run_dir = run_dir


class RunFailed(Message):
    """A run could not start or stopped with an error; `message` is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message
