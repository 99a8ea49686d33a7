"""The GPU box's first minutes, checked on the CPU with the device queries patched: an NVIDIA GPU that TensorFlow
does not use is said, with the reason and the fix, never a silent CPU."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from engine import hardware


def test_an_nvidia_device_or_nvidia_smi_says_a_gpu_is_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware.shutil, "which", lambda _name: None)
    assert not hardware.nvidia_present(tmp_path)
    (tmp_path / "nvidiactl").touch()  # the control device alone is no GPU
    assert not hardware.nvidia_present(tmp_path)
    (tmp_path / "nvidia0").touch()
    assert hardware.nvidia_present(tmp_path)

    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(hardware.shutil, "which", lambda _name: "/usr/bin/nvidia-smi")
    answers = {"returncode": 0, "stdout": "GPU 0: NVIDIA H200 (UUID: GPU-1)\n"}
    monkeypatch.setattr(
        hardware.subprocess,
        "run",
        lambda *_a, **_k: subprocess.CompletedProcess([], answers["returncode"], answers["stdout"]),
    )
    assert hardware.nvidia_present(empty)
    answers.update(returncode=9, stdout="NVIDIA-SMI has failed because it couldn't communicate with the driver")
    assert not hardware.nvidia_present(empty)


@pytest.mark.parametrize(
    ("sees_gpu", "cuda_build", "nvidia", "said"),
    [
        (True, True, True, None),  # TensorFlow uses the GPU
        (False, False, False, None),  # no GPU here: the CPU is no fallback
        (False, False, True, "this TensorFlow was built without CUDA"),
        (False, True, True, "its CUDA or cuDNN libraries did not load"),
    ],
)
def test_a_gpu_tensorflow_does_not_use_is_said_with_its_fix(sees_gpu, cuda_build, nvidia, said) -> None:
    note = hardware.gpu_fallback_note(sees_gpu, cuda_build, nvidia)
    if said is None:
        assert note is None
    else:
        assert said in note and "runs on the CPU" in note and "pip install 'transfer-tui[gpu]'" in note
        assert "\n" not in note


def test_the_cli_says_so_before_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    import engine.runtime as runtime
    from engine.config import ExperimentConfig
    from engine.paths import log_dir
    from tui.cli import execute

    assert not runtime.has_gpu()  # this machine's TensorFlow trains on the CPU
    console = Console(width=300, record=True)
    execute._say_device(console, ExperimentConfig())
    first = console.export_text()
    assert "NVIDIA" not in first  # and no GPU is here: nothing to say but the device
    assert f"Device: CPU: {hardware.cpu_model()}, " in first and "cores; float32" in first
    monkeypatch.setattr(hardware, "nvidia_present", lambda: True)  # as on a GPU box whose TensorFlow sees none
    log = log_dir() / "tensorflow.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as file:
        file.write(f"2026-12-04 15:00:00.1: W external/cuda_dso_loader.cc:1] {TENSORFLOWS_REASON}\n")
    execute._say_device(console, ExperimentConfig())
    said = console.export_text()
    assert "An NVIDIA GPU is here" in said and "transfer-tui[gpu]" in said and TENSORFLOWS_REASON in said


TENSORFLOWS_REASON = "Cannot dlopen some GPU libraries. Please make sure the missing libraries are installed."


def test_tensorflows_reason_is_its_last_line_about_the_gpu(tmp_path: Path) -> None:
    log = tmp_path / "tensorflow.log"
    assert hardware.tensorflow_gpu_reason(log) is None  # no log yet
    log.write_text(
        "2026-12-04 14:00:00: I tensorflow/core/platform/cpu_feature_guard.cc:210] This TensorFlow binary is "
        "optimized to use available CPU instructions\n"
        "2026-12-04 14:00:01: I external/cudart_stub.cc:32] Could not find cuda drivers on your machine, GPU will "
        "not be used.\n"
        f"2026-12-04 15:00:00: W external/dso_loader.cc:1]   {TENSORFLOWS_REASON}\n"
        "2026-12-04 15:00:02: I tensorflow/core/other.cc:1] something else\n"
    )
    assert hardware.tensorflow_gpu_reason(log) == TENSORFLOWS_REASON
    note = hardware.gpu_fallback_note(False, True, True, TENSORFLOWS_REASON)
    assert f'TensorFlow said: "{TENSORFLOWS_REASON}"' in note and "\n" not in note


H200 = hardware.GpuFacts(0, "NVIDIA H200", (9, 0), 139.8, 139.2)
T4 = hardware.GpuFacts(0, "Tesla T4", (7, 5), 15.0, 14.6)


def test_the_device_line_names_the_gpu_in_full_or_the_cpu(tmp_path: Path) -> None:
    build = {"cuda_version": "12.5.1", "cudnn_version": "9"}
    line = hardware.device_line([H200, dataclasses.replace(H200, index=1)], build, "bfloat16")
    assert line == "GPU 0 of 2: NVIDIA H200, 140 GiB, compute capability 9.0, CUDA 12.5.1, cuDNN 9; bfloat16"
    bare = hardware.device_line([hardware.GpuFacts(0, "NVIDIA A100")], {}, None)
    assert bare == "GPU 0 of 1: NVIDIA A100"
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: avx2\n\n")
    assert hardware.device_line([], build, "float32", cpuinfo, cores=2) == "CPU: Some CPU, 2 cores; float32"


def test_nvidia_smi_memory_is_read_per_gpu() -> None:
    text = "0, 143771, 142541\n1, 143771, 1024\nNot a line\n"
    assert hardware.parse_nvidia_memory(text) == {0: (143771 / 1024, 142541 / 1024), 1: (143771 / 1024, 1.0)}


@pytest.mark.parametrize(
    ("gpus", "flags", "chosen"),
    [
        ([H200], "avx2", "bfloat16"),  # Hopper, Ampere: bfloat16 tensor cores
        ([T4], "avx512_bf16", "float16"),  # older GPUs: float16, whatever the CPU
        ([hardware.GpuFacts(0, "Unknown GPU")], "avx2", "float16"),  # capability unknown: float16, the safe side
        ([], "avx512_bf16", "bfloat16"),
        ([], "amx_bf16 amx_tile", "bfloat16"),
        ([], "avx2 avx512f", "float32"),
    ],
)
def test_auto_precision_is_the_fastest_the_device_computes(tmp_path: Path, gpus, flags, chosen) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n\n")
    assert hardware.auto_precision(gpus, cpuinfo) == chosen


def test_float16_on_a_cpu_without_float16_instructions_is_one_line(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: avx512_bf16\n\n")
    note = hardware.precision_note("float16", has_gpu=False, cpuinfo=cpuinfo)
    assert note is not None and "neither amx_fp16 nor avx512_fp16" in note and "\n" not in note
    assert hardware.precision_note("bfloat16", has_gpu=False, cpuinfo=cpuinfo) is None
    assert hardware.precision_note("float16", has_gpu=True, cpuinfo=cpuinfo) is None
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: avx512_fp16\n\n")
    assert hardware.precision_note("float16", has_gpu=False, cpuinfo=cpuinfo) is None


async def test_the_app_says_so_when_tensorflow_is_ready(isolated_home: Path) -> None:
    from tests.pilot import wait_for
    from tui.app.app import TransferApp
    from tui.app.messages import EngineReady

    app = TransferApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.post_message(EngineReady("CPU", fallback=hardware.gpu_fallback_note(False, False, True)))
        await wait_for(pilot, lambda: any(n.title == "GPU unused" for n in app._notifications))
        (note,) = [n for n in app._notifications if n.title == "GPU unused"]
        assert "built without CUDA" in note.message and note.severity == "warning"
        device = hardware.device_line([H200, H200], {"cuda_version": "12.5.1"}, None)
        app.post_message(EngineReady(device, gpus_note=hardware.several_gpus(2, True, "")[1]))
        await wait_for(pilot, lambda: any(n.title == "Several GPUs" for n in app._notifications))
        assert "one unit per GPU" in next(n.message for n in app._notifications if n.title == "Several GPUs")
        await wait_for(pilot, lambda: app.sub_title == device)


def test_determinism_is_asked_of_a_gpu_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the CPU nothing is switched: its kernels repeat bit for bit already, and TensorFlow's deterministic mode
    would change their numbers (measured: a 2-seed run's model A loss 0.5997387 against 0.5997397). Where a GPU
    trains, op determinism goes on and TensorFloat-32 off, or TensorFloat-32 on with run.deterministic = false."""
    import engine.runtime as runtime

    calls: list[tuple[str, object]] = []
    experimental = runtime.tf.config.experimental
    monkeypatch.setattr(experimental, "enable_op_determinism", lambda: calls.append(("determinism", True)))
    monkeypatch.setattr(experimental, "enable_tensor_float_32_execution", lambda on: calls.append(("tf32", on)))
    monkeypatch.setattr(runtime, "_switched_on", set())
    assert runtime.set_determinism(True) is None and calls == []  # the CPU: nothing switched
    monkeypatch.setattr(runtime, "has_gpu", lambda: True)
    assert runtime.set_determinism(True) is None
    assert calls == [("tf32", False), ("determinism", True)]
    note = runtime.set_determinism(False)
    assert calls[-1] == ("tf32", True) and "op determinism stays on until the process ends" in note


def test_every_run_starts_deterministic_as_its_config_asks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import engine.runtime as runtime
    from engine.config import ExperimentConfig, apply_overrides
    from engine.kinds import RunContext
    from tests.coin_kind import COINS

    asked: list[bool] = []
    monkeypatch.setattr(runtime, "set_determinism", lambda deterministic: asked.append(deterministic))
    for overrides, expected in (([], True), (["run.deterministic=false"], False)):
        config = apply_overrides(ExperimentConfig(), overrides)
        COINS.start(config, None, RunContext(tmp_path))
        assert asked[-1] is expected


def test_every_visible_gpu_takes_memory_as_it_needs_it() -> None:
    from types import SimpleNamespace

    from engine.runtime import grow_gpu_memory

    grown: list[str] = []
    experimental = SimpleNamespace(set_memory_growth=lambda gpu, on: grown.append(gpu) if on else None)
    fake_tf = SimpleNamespace(
        config=SimpleNamespace(list_physical_devices=lambda kind: ["GPU:0", "GPU:1"], experimental=experimental)
    )
    assert grow_gpu_memory(fake_tf) == 2 and grown == ["GPU:0", "GPU:1"]
    import engine.runtime as runtime

    assert grow_gpu_memory(runtime.tf) == 0  # this CPU machine: none


def test_bench_reports_the_gpus_peak_memory_where_a_gpu_trains(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.runtime as runtime

    assert runtime.device_peak_gb() is None  # the CPU: the process's resident set says it all
    monkeypatch.setattr(runtime, "has_gpu", lambda: True)
    asked: list[str] = []

    def memory_info(device: str) -> dict:
        asked.append(device)
        return {"current": 1024**3, "peak": 3 * 1024**3}

    monkeypatch.setattr(runtime.tf.config.experimental, "get_memory_info", memory_info)
    assert runtime.device_peak_gb() == 3.0 and asked == ["GPU:0"]


def test_the_matmul_rate_waits_for_the_product_without_copying_it_back() -> None:
    from engine.studies.benches.population import matmul_gflops

    rate = matmul_gflops((256, 256), (256, 256), "float32", repeats=3)
    assert 0 < rate < 1e5  # GFLOP/s: finite and positive


def test_what_the_device_decides_is_resolved_when_a_run_starts() -> None:
    """On a GPU (given: an H200 with 139.2 GiB free) "auto" trains in bfloat16 and a population may take 0.8 of
    the free memory; on a T4, float16; on this CPU, 3 GiB and float32 or bfloat16 by its flags. A figure the user
    gave stands."""
    import importlib.util

    import engine.runtime as runtime
    from engine.config import ExperimentConfig, apply_overrides
    from engine.execution.tracking import for_this_device

    auto = apply_overrides(ExperimentConfig(), ['run.precision="auto"'])
    here = for_this_device(auto, runtime.gpu_facts())
    assert here.run.population_memory_gb == 3.0 and here.run.precision == hardware.auto_precision([])
    assert here.cluster.address == ""
    on_h200 = for_this_device(auto, [H200])
    assert on_h200.run.precision == "bfloat16" and on_h200.run.population_memory_gb == round(0.8 * 139.2, 1)
    assert for_this_device(auto, [T4]).run.precision == "float16"
    given = apply_overrides(auto, ['run.precision="float32"', "run.population_memory_gb=2.5"])
    assert for_this_device(given, [T4]).run == given.run
    silent = [dataclasses.replace(T4, free_gib=None)]
    assert for_this_device(auto, silent).run.population_memory_gb == 3.0  # nvidia-smi silent: the CPU's figure

    two = [H200, dataclasses.replace(H200, index=1)]
    ray_here = importlib.util.find_spec("ray") is not None
    assert for_this_device(auto, two).cluster.address == ("local" if ray_here else "")
    own = apply_overrides(auto, ['cluster.address="auto"'])
    assert for_this_device(own, two).cluster.address == "auto"


def test_several_gpus_train_one_unit_per_gpu_where_ray_is_here() -> None:
    assert hardware.several_gpus(1, True, "") == ("", None)
    address, note = hardware.several_gpus(4, True, "")
    assert address == "local" and "4 GPUs here" in note and "one unit per GPU" in note
    address, note = hardware.several_gpus(2, False, "")
    assert address == "" and "Ray is not installed" in note and "GPU 0" in note
    assert hardware.several_gpus(8, True, "ray://head:10001") == ("ray://head:10001", None)


def test_on_device_copies_an_array_once_while_it_lives() -> None:
    import gc

    import numpy as np

    from engine.training import on_device as module

    images = np.arange(12, dtype=np.float32).reshape(3, 4)
    first = module.on_device(images)
    assert module.on_device(images) is first and np.array_equal(first.numpy(), images)
    key = id(images)
    del images
    gc.collect()
    assert key not in module._held
