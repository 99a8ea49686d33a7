"""Messages the app's workers post; Textual delivers them on the UI thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from textual.message import Message

from engine.config import ExperimentConfig
from engine.kinds import RunKind, RunOptions
from engine.progress import ProgressEvent
from engine.results.protocol import RunResult


@dataclass(frozen=True)
class RunRequest:
    """What the engine thread is asked to run: a kind of run, its config, its folder and how it was started."""

    kind: RunKind
    config: ExperimentConfig
    run_dir: Path
    options: RunOptions = field(default_factory=RunOptions)
    resume: bool = False


class EngineReady(Message):
    """TensorFlow has loaded (`device`: the device in full, engine.hardware.device_line), or failed to (`device` says
    so, `failed` is set); `fallback`: the line saying an NVIDIA GPU is here but TensorFlow trains on the CPU, if so;
    `gpus_note`: the line saying where runs train on a box of several GPUs, if so."""

    def __init__(
        self, device: str, failed: bool = False, fallback: str | None = None, gpus_note: str | None = None
    ) -> None:
        super().__init__()
        self.device = device
        self.failed = failed
        self.fallback = fallback
        self.gpus_note = gpus_note


class EngineProgress(Message):
    """One progress event from the engine."""

    def __init__(self, event: ProgressEvent) -> None:
        super().__init__()
        self.event = event


class RunFinished(Message):
    """A run ended, finished or cancelled, with the result its kind produces."""

    def __init__(self, request: RunRequest, result: RunResult) -> None:
        super().__init__()
        self.request = request
        self.result = result


class RunFailed(Message):
    """A run could not start or stopped with an error; `message` is for the user, `key` the config value it blames
    (if any), which a field of the Setup form sets."""

    def __init__(self, request: RunRequest | None, message: str, key: str | None = None) -> None:
        super().__init__()
        self.request = request
        self.message = message
        self.key = key


class EngineDied(Message):
    """The engine thread ended while the app still runs; `reason` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
