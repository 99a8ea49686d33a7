"""What this machine's CPU offers, read from /proc/cpuinfo without TensorFlow: its model name, quoted with every
figure, and whether it has bfloat16 instructions."""

from __future__ import annotations

import platform
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
BFLOAT16_FLAGS = ("amx_bf16", "avx512_bf16")  # AMX tiles, or AVX-512 bfloat16 dot products


def cpu_model(cpuinfo: Path | None = None) -> str:
    """The CPU's model name as /proc/cpuinfo gives it, quoted with every figure."""
    try:
        with open(cpuinfo or CPUINFO) as lines:
            for line in lines:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags(cpuinfo: Path | None = None) -> set[str]:
    """The first CPU's flags (empty where /proc/cpuinfo cannot be read)."""
    try:
        with open(cpuinfo or CPUINFO) as lines:
            for line in lines:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def bfloat16_flags(cpuinfo: Path | None = None) -> tuple[str, ...]:
    """Which of the bfloat16 instruction sets the CPU has."""
    flags = cpu_flags(cpuinfo)
    return tuple(flag for flag in BFLOAT16_FLAGS if flag in flags)


def precision_note(precision: str, has_gpu: bool, cpuinfo: Path | None = None) -> str | None:
    """One line where bfloat16 is asked for and nothing here computes it natively; None otherwise."""
    if precision != "bfloat16" or has_gpu or bfloat16_flags(cpuinfo):
        return None
    return (
        "bfloat16 will likely run slower than float32 here: this CPU has no bfloat16 instructions (neither amx_bf16 "
        "nor avx512_bf16) and there is no GPU; its numbers are bfloat16's all the same."
    )
