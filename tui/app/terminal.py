"""Keep the app's screen clean: anything written to file descriptor 2 goes to a log file.

Textual draws on `sys.__stderr__`; TensorFlow's C++ code writes its logs straight to file
descriptor 2. So fd 2 is pointed at a log file and Textual is handed a duplicate of the
terminal's descriptor to draw on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def stderr_to_log(log_path: Path) -> Iterator[None]:
    """For the duration, fd 2 writes to `log_path` (or nowhere if it cannot be opened); Textual keeps the terminal."""
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError:
        log_fd = os.open(os.devnull, os.O_WRONLY)
    sys.stderr.flush()
    terminal_fd = os.dup(2)
    original = sys.__stderr__
    terminal = open(terminal_fd, "w", encoding=original.encoding, errors="replace", closefd=False)  # noqa: SIM115
    os.dup2(log_fd, 2)
    os.close(log_fd)
    sys.__stderr__ = terminal
    try:
        yield
    finally:
        terminal.flush()
        sys.__stderr__ = original
        terminal.close()
        os.dup2(terminal_fd, 2)
        os.close(terminal_fd)
