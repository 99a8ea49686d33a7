"""Keep the terminal clean: what TensorFlow's C++ side writes to file descriptor 2 goes to a log file.

TensorFlow's C++ code writes its logs straight to file descriptor 2, at import and later (devices, XLA).
So fd 2 is pointed at a log file, while Python's own stderr (our messages, Python errors) and the stream
Textual draws on (`sys.__stderr__`) get a duplicate of the terminal's descriptor.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def stderr_to_log(log_path: Path) -> Iterator[None]:
    """For the duration, fd 2 writes to `log_path` (or nowhere if it cannot be opened); `sys.stderr` and
    `sys.__stderr__` keep writing to the terminal."""
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError:
        log_fd = os.open(os.devnull, os.O_WRONLY)
    sys.stderr.flush()
    terminal_fd = os.dup(2)
    original, original_dunder = sys.stderr, sys.__stderr__
    terminal = open(terminal_fd, "w", encoding=original.encoding, errors="replace", closefd=False)  # noqa: SIM115
    os.dup2(log_fd, 2)
    os.close(log_fd)
    sys.stderr = sys.__stderr__ = terminal
    try:
        yield
    finally:
        terminal.flush()
        sys.stderr, sys.__stderr__ = original, original_dunder
        terminal.close()
        os.dup2(terminal_fd, 2)
        os.close(terminal_fd)
