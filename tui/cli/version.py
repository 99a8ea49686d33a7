"""`transfer-tui --version`: this program's version, the libraries it trains with, and the device it would train
on (which takes TensorFlow's import, a few seconds)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from engine.hardware import bfloat16_flags, cpu_model
from engine.paths import log_dir
from tui.cli.console import command_console
from tui.cli.terminal import stderr_to_log


def program_version() -> str:
    try:
        return version("transfer-tui")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def print_version() -> int:
    console = command_console()
    console.print(f"transfer-tui {program_version()}", markup=False)
    with stderr_to_log(log_dir() / "tensorflow.log"):
        from engine.execution.tracking import library_versions
        from engine.runtime import device_name

        versions, device = library_versions(), device_name()
    console.print(", ".join(f"{name} {number}" for name, number in versions.items()), markup=False)
    flags = bfloat16_flags()
    cpu = f"{cpu_model()}, " + (f"bfloat16 instructions: {', '.join(flags)}" if flags else "no bfloat16 instructions")
    where = f"the CPU ({cpu})" if device == "CPU" else f"{device} (CPU {cpu})"
    console.print(f"trains on {where}", markup=False)
    return 0
