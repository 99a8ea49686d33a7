"""The one place TensorFlow and Keras are imported, with their logging quietened first.

Importing this module costs seconds; nothing on the way to `--help` or the app's first
screen imports it. TensorFlow's C++ side prints a few lines straight to file descriptor 2
while it loads; those go to a log file instead of the user's terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.hardware import GpuFacts

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _log_level() -> str:
    """TensorFlow's C++ log level: errors only (3), except where an NVIDIA GPU is here: then everything (0), so
    that the line saying why TensorFlow could not use it reaches the log (never the terminal) and can be quoted."""
    from engine.hardware import nvidia_present

    return "0" if nvidia_present() else "3"


if "TF_CPP_MIN_LOG_LEVEL" not in os.environ:  # asked only where unset: nvidia_present may run nvidia-smi
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = _log_level()


@contextmanager
def stderr_to_file(log_path: Path) -> Iterator[None]:
    """Send whatever is written to file descriptor 2 (C++ logs included) to `log_path`."""
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(log_path, "ab")  # noqa: SIM115 - closed below, after fd 2 is restored
    except OSError:  # an unwritable home: the chatter goes nowhere rather than onto the terminal
        log = open(os.devnull, "ab")  # noqa: SIM115
    sys.stderr.flush()
    saved_fd = os.dup(2)
    with log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)


def grow_gpu_memory(tf_module) -> int:
    """Let TensorFlow take GPU memory as it needs it, on every visible GPU, instead of nearly all of each at
    start (which starves other processes on a shared box, and this one's other GPUs' users); before any GPU is
    initialised. The number of GPUs set."""
    gpus = tf_module.config.list_physical_devices("GPU")
    for gpu in gpus:
        tf_module.config.experimental.set_memory_growth(gpu, True)
    return len(gpus)


def _import_quietly():
    from engine.paths import log_dir

    with stderr_to_file(log_dir() / "tensorflow.log"):
        import keras as keras_module
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        grow_gpu_memory(tf)
    return tf, keras_module


tf, keras = _import_quietly()


def has_gpu() -> bool:
    return bool(tf.config.list_physical_devices("GPU"))


_switched_on: set[str] = set()  # TensorFlow has no public way to ask, nor to switch op determinism off


def set_determinism(deterministic: bool) -> str | None:
    """Where a GPU trains: TensorFlow's op determinism (cuDNN's convolution gradients otherwise vary run to run) and
    TensorFloat-32 off for `deterministic`, TensorFloat-32 on otherwise. Nothing on the CPU, whose kernels repeat
    bit for bit already and whose deterministic mode would change their numbers. Op determinism cannot be switched
    off in a running process: the line saying so, else None."""
    if not has_gpu():
        return None
    tf.config.experimental.enable_tensor_float_32_execution(not deterministic)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
        _switched_on.add("op determinism")
        return None
    if _switched_on:
        return "run.deterministic = false: op determinism stays on until the process ends (TensorFloat-32 is on)."
    return None


def device_peak_gb() -> float | None:
    """The first GPU's peak memory in use so far, in GB (TensorFlow's allocator); None without a GPU, where the
    process's own peak (its resident set) says it all."""
    if not has_gpu():
        return None
    return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 1024**3


def gpu_fallback() -> str | None:
    """The line to say where an NVIDIA GPU is here but TensorFlow trains on the CPU (engine.hardware), with
    TensorFlow's reason from its log."""
    from engine.hardware import gpu_fallback_note, nvidia_present, tensorflow_gpu_reason
    from engine.paths import log_dir

    if has_gpu() or not nvidia_present():
        return None
    cuda_build = bool(tf.sysconfig.get_build_info().get("is_cuda_build", False))
    return gpu_fallback_note(False, cuda_build, True, tensorflow_gpu_reason(log_dir() / "tensorflow.log"))


def gpu_facts() -> list[GpuFacts]:
    """Every GPU TensorFlow sees, with its name and compute capability (TensorFlow) and memory (nvidia-smi)."""
    from engine.hardware import nvidia_memory

    gpus = tf.config.list_physical_devices("GPU")
    memory = nvidia_memory() if gpus else {}
    facts = []
    for index, gpu in enumerate(gpus):
        details = tf.config.experimental.get_device_details(gpu)
        total, free = memory.get(index, (None, None))
        name = details.get("device_name", gpu.name)
        facts.append(GpuFacts(index, name, details.get("compute_capability"), total, free))
    return facts


def full_device_line(gpus: list[GpuFacts], precision: str | None = None) -> str:
    """The device in full (engine.hardware.device_line) for headers, `runs show` and the run store; `gpus`:
    gpu_facts(), asked once by the caller for everything it resolves (each call asks nvidia-smi)."""
    from engine.hardware import device_line

    return device_line(gpus, dict(tf.sysconfig.get_build_info()), precision)


def cluster_address(address: str, gpus: list[GpuFacts]) -> tuple[str, str | None]:
    """Where the run trains, with `gpus` here (engine.hardware.several_gpus), and the line saying so."""
    import importlib.util

    from engine.hardware import several_gpus

    return several_gpus(len(gpus), importlib.util.find_spec("ray") is not None, address)


def population_budget(memory_gb: float, gpus: list[GpuFacts]) -> float:
    """`memory_gb`, or for 0 what this device gives one population (engine.hardware.population_budget_gb)."""
    from engine.hardware import population_budget_gb

    return memory_gb if memory_gb > 0 else population_budget_gb(gpus)


def resolved_precision(precision: str, gpus: list[GpuFacts]) -> str:
    """`precision`, or for "auto" what this device trains fastest in (engine.hardware.auto_precision)."""
    from engine.hardware import auto_precision

    return auto_precision(gpus) if precision == "auto" else precision


def device_name(precision: str = "float32") -> str:
    """'CPU' or the first GPU's name, for headers and run records; ', bfloat16' after it for a bfloat16 run."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        name = "CPU"
    else:
        details = tf.config.experimental.get_device_details(gpus[0])
        name = f"GPU: {details.get('device_name', gpus[0].name)}"
    return name if precision == "float32" else f"{name}, {precision}"
