"""The `transfer-tui` command: the app by default, headless subcommands for scripts and CI.

Nothing here imports TensorFlow or Textual at module level, so `--help` and argument errors answer at once;
the app (Textual) is imported only when it is the command.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from engine.errors import UserError
from engine.paths import HOME_ENV_VAR
from tui.cli.arguments import experiment_config, launch_values, with_flag
from tui.cli.exit_codes import EXIT_BROKEN_PIPE, EXIT_CANCELLED, EXIT_USER_ERROR
from tui.cli.parser import build_parser


def _app_command(args: argparse.Namespace) -> int:
    from tui.app.app import run_app

    tensorboard = getattr(args, "tensorboard", None)
    launch = launch_values(args)
    # the form as the user left it, unless this command line says what it should hold
    restore = not launch and not any(getattr(args, name, None) for name in ("preset", "config"))
    return run_app(experiment_config(args), tensorboard=tensorboard, launch=launch, restore_form=restore)


def _version_command(_args: argparse.Namespace) -> int:
    from tui.cli.version import print_version

    return print_version()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "home", None):
        os.environ[HOME_ENV_VAR] = str(args.home.expanduser().resolve())
    handler: Callable[[argparse.Namespace], int] = getattr(args, "handler", _app_command)
    if getattr(args, "version", False):
        handler = _version_command
    try:
        code = handler(args)
        sys.stdout.flush()  # here, not at exit, where a closed pipe would turn into exit code 1
        return code
    except UserError as exc:
        print(f"transfer-tui: error: {with_flag(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("transfer-tui: interrupted", file=sys.stderr)
        return EXIT_CANCELLED
    except BrokenPipeError:
        # the reader went away (`| head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
