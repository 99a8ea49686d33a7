"""The Rich console every command prints with: a reader that goes away (`| head`) ends the command as a closed
pipe ends any Unix tool, with exit code 141, whichever command it was."""

from __future__ import annotations

from rich.console import Console


class CommandConsole(Console):
    """Rich ends the process with exit code 1 when the pipe closes; this raises BrokenPipeError instead, which
    `main` turns into the one exit code for a closed pipe."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def command_console() -> CommandConsole:
    return CommandConsole(highlight=False)
