"""What this machine offers, read without TensorFlow: the CPU's model name (from /proc/cpuinfo), quoted with every
figure, whether it has bfloat16 or float16 instructions, whether an NVIDIA GPU is here whatever TensorFlow makes of
it, and the words for a device as TensorFlow found it (engine.runtime gathers the facts)."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
BFLOAT16_FLAGS = ("amx_bf16", "avx512_bf16")  # AMX tiles, or AVX-512 bfloat16 dot products
FLOAT16_FLAGS = ("amx_fp16", "avx512_fp16")
FAST_BFLOAT16_CAPABILITY = (8, 0)  # Ampere: bfloat16 tensor cores; T4, V100, P100 (7.5, 7.0, 6.0) have none


@dataclass(frozen=True)
class GpuFacts:
    """One GPU as TensorFlow sees it: its index among the visible ones, its name, its compute capability, and its
    memory in GiB (total and free, from nvidia-smi; None where it cannot say)."""

    index: int
    name: str
    capability: tuple[int, int] | None = None
    memory_gib: float | None = None
    free_gib: float | None = None


def auto_precision(gpus: Sequence[GpuFacts], cpuinfo: Path | None = None) -> str:
    """What `run.precision = "auto"` trains in: on a GPU, bfloat16 from compute capability 8.0 (Ampere) and float16
    below it (T4, V100: fast float16, no bfloat16); on a CPU, bfloat16 where it has bfloat16 instructions, float32
    otherwise (float16 without avx512_fp16 is emulated, slower than float32)."""
    if gpus:
        capability = gpus[0].capability or (0, 0)
        return "bfloat16" if capability >= FAST_BFLOAT16_CAPABILITY else "float16"
    return "bfloat16" if bfloat16_flags(cpuinfo) else "float32"


GPU_BUDGET_SHARE = 0.8  # of a GPU's free memory for one population: TensorFlow's workspace and the data need the rest
CPU_POPULATION_GB = 3.0  # run.population_memory_gb = 0 on the CPU


def population_budget_gb(gpus: Sequence[GpuFacts]) -> float:
    """`run.population_memory_gb = 0` resolved: most of the first GPU's free memory where nvidia-smi says how much
    is free, else the CPU's fixed budget."""
    if gpus and gpus[0].free_gib is not None:
        return max(0.5, round(GPU_BUDGET_SHARE * gpus[0].free_gib, 1))
    return CPU_POPULATION_GB


def several_gpus(gpu_count: int, ray_installed: bool, address: str) -> tuple[str, str | None]:
    """Where a run trains on a box with several GPUs, and the line saying so: a cluster address the user gave
    stands; otherwise several GPUs start Ray here (`--cluster local`, one unit per GPU at a time), since one
    process trains on one GPU (its TensorFlow work stays in one engine thread). Without Ray, GPU 0 alone, said."""
    if address or gpu_count <= 1:
        return address, None
    if ray_installed:
        return (
            "local",
            f"{gpu_count} GPUs here: the run trains on Ray started here, one unit per GPU (--cluster local).",
        )
    return "", (
        f"{gpu_count} GPUs here, but Ray is not installed: everything trains on GPU 0. "
        "pip install 'transfer-tui[ray]' trains one unit per GPU."
    )


def auto_reason(precision: str, gpus: Sequence[GpuFacts], cpuinfo: Path | None = None) -> str:
    """Why auto chose `precision`, in a few words for the header."""
    if gpus:
        major, minor = gpus[0].capability or (0, 0)
        return f"compute capability {major}.{minor}"
    flags = bfloat16_flags(cpuinfo)
    return f"this CPU has {', '.join(flags)}" if flags else "this CPU has no bfloat16 instructions"


def device_line(
    gpus: Sequence[GpuFacts],
    build: dict,
    precision: str | None = None,
    cpuinfo: Path | None = None,
    cores: int | None = None,
) -> str:
    """The device in full for headers, `runs show` and the run store: the GPU (name, index and count, memory,
    compute capability, the CUDA and cuDNN TensorFlow was built with) or the CPU's model and cores; then the
    precision, where one is given."""
    after = f"; {precision}" if precision else ""
    if not gpus:
        count = cores if cores is not None else os.cpu_count()
        return f"CPU: {cpu_model(cpuinfo)}, {count} cores{after}"
    gpu = gpus[0]
    parts = [f"GPU {gpu.index} of {len(gpus)}: {gpu.name}"]
    if gpu.memory_gib is not None:
        parts.append(f"{gpu.memory_gib:.0f} GiB")
    if gpu.capability is not None:
        parts.append(f"compute capability {gpu.capability[0]}.{gpu.capability[1]}")
    for name, key in (("CUDA", "cuda_version"), ("cuDNN", "cudnn_version")):
        if build.get(key):
            parts.append(f"{name} {build[key]}")
    return ", ".join(parts) + after


def nvidia_memory() -> dict[int, tuple[float, float]]:
    """Each NVIDIA GPU's total and free memory in GiB by index, from nvidia-smi; empty where it does not answer."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return {}
    query = [smi, "--query-gpu=index,memory.total,memory.free", "--format=csv,noheader,nounits"]
    try:
        listed = subprocess.run(query, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return {}
    return parse_nvidia_memory(listed.stdout) if listed.returncode == 0 else {}


def parse_nvidia_memory(text: str) -> dict[int, tuple[float, float]]:
    """nvidia-smi's CSV lines "index, total MiB, free MiB" as {index: (total GiB, free GiB)}."""
    memory = {}
    for line in text.splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) == 3 and all(field.isdigit() for field in fields):
            memory[int(fields[0])] = (int(fields[1]) / 1024, int(fields[2]) / 1024)
    return memory


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
    """One line where bfloat16 or float16 is asked for and nothing here computes it natively; None otherwise."""
    if has_gpu or precision not in ("bfloat16", "float16"):
        return None
    wanted = BFLOAT16_FLAGS if precision == "bfloat16" else FLOAT16_FLAGS
    if set(wanted) & cpu_flags(cpuinfo):
        return None
    return (
        f"{precision} will likely run slower than float32 here: this CPU has no {precision} instructions (neither "
        f"{' nor '.join(wanted)}) and there is no GPU; its numbers are {precision}'s all the same."
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


# what TensorFlow logs when it gives up on a GPU (its C++ log, which goes to resources/logs/tensorflow.log)
GPU_FAILURE_MARKS = (
    "Cannot dlopen some GPU libraries",
    "Could not load dynamic library",
    "Could not find cuda drivers",
    "failed call to cuInit",
    "driver version is insufficient",
    "CUDA_ERROR",
)


def tensorflow_gpu_reason(log: Path) -> str | None:
    """TensorFlow's last line in `log` saying why it uses no GPU, without its timestamp and source prefix."""
    try:
        lines = log.read_text(errors="replace").splitlines()[-2000:]
    except OSError:
        return None
    for line in reversed(lines):
        if any(mark in line for mark in GPU_FAILURE_MARKS):
            message = line.split("] ", 1)[1] if "] " in line else line
            return " ".join(message.split())[:300]
    return None


def gpu_fallback_note(
    tensorflow_sees_gpu: bool, cuda_build: bool, nvidia: bool, reason: str | None = None
) -> str | None:
    """One line where an NVIDIA GPU is here but TensorFlow trains on the CPU, with TensorFlow's own reason (from
    its log) where it gave one, and the fix: a run must never fall back to the CPU silently. None where TensorFlow
    uses the GPU or there is none."""
    if tensorflow_sees_gpu or not nvidia:
        return None
    if not cuda_build:
        return (
            "An NVIDIA GPU is here, but this TensorFlow was built without CUDA: everything runs on the CPU. "
            "Install TensorFlow with CUDA: pip install 'transfer-tui[gpu]'."
        )
    said = (
        f'TensorFlow said: "{reason}". ' if reason else f"TensorFlow says why with TF_CPP_MIN_LOG_LEVEL=0 {GPU_CHECK}. "
    )
    return (
        "An NVIDIA GPU is here, but TensorFlow found none (its CUDA or cuDNN libraries did not load): everything "
        f"runs on the CPU. {said}pip install 'transfer-tui[gpu]' brings the libraries."
    )
