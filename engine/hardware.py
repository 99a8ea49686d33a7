"""What this machine offers, read without TensorFlow: the CPU's model name (from /proc/cpuinfo), quoted with every
figure, whether it has bfloat16 instructions, and whether an NVIDIA GPU is here whatever TensorFlow makes of it."""

from __future__ import annotations

import platform
import shutil
import subprocess
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


def nvidia_present(dev: Path = Path("/dev")) -> bool:
    """Whether this machine has an NVIDIA GPU whatever TensorFlow makes of it: a /dev/nvidia0-like device, or an
    nvidia-smi that lists one."""
    if any(dev.glob("nvidia[0-9]*")):
        return True
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False
    try:
        listed = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return listed.returncode == 0 and "GPU" in listed.stdout


GPU_CHECK = "python -c \"import tensorflow as tf; print(tf.config.list_physical_devices('GPU'))\""


def gpu_fallback_note(tensorflow_sees_gpu: bool, cuda_build: bool, nvidia: bool) -> str | None:
    """One line where an NVIDIA GPU is here but TensorFlow trains on the CPU, with the likely reason and the fix:
    a run must never fall back to the CPU silently. None where TensorFlow uses the GPU or there is none."""
    if tensorflow_sees_gpu or not nvidia:
        return None
    if not cuda_build:
        return (
            "An NVIDIA GPU is here, but this TensorFlow was built without CUDA: everything runs on the CPU. "
            "Install TensorFlow with CUDA: pip install 'transfer-tui[gpu]'."
        )
    return (
        "An NVIDIA GPU is here, but TensorFlow found none (its CUDA or cuDNN libraries did not load): everything "
        "runs on the CPU. pip install 'transfer-tui[gpu]' brings the libraries; TensorFlow says why with "
        f"TF_CPP_MIN_LOG_LEVEL=0 {GPU_CHECK}."
    )
