"""Where the app keeps its files: `resources/` in the working folder unless $TRANSFER_TUI_HOME says otherwise."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

HOME_ENV_VAR = "TRANSFER_TUI_HOME"


def home_dir() -> Path:
    """The folder for saved models, run data and logs."""
    value = os.environ.get(HOME_ENV_VAR)
    return Path(value).expanduser() if value else Path.cwd() / "resources"


def log_dir() -> Path:
    """Where TensorFlow's own chatter and the app's stderr are written."""
    return home_dir() / "logs"


def runs_dir() -> Path:
    """One subfolder per run, holding its models and exported tables."""
    return home_dir() / "runs"


def new_run_id() -> str:
    """A sortable, unique name for a run: '20261128-043600-3f9a'."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def model_file(run_dir: Path, pair: tuple[int, int], seed: int, role: str) -> Path:
    """Where a run keeps a trained model: <run>/b5-6/seed42/model_a.keras."""
    return run_dir / f"b{pair[0]}-{pair[1]}" / f"seed{seed}" / f"{role}.keras"
