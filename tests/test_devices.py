"""The GPU box's first minutes, checked on the CPU with the device queries patched: an NVIDIA GPU that TensorFlow
does not use is said, with the reason and the fix, never a silent CPU."""

from __future__ import annotations

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
    from tui.cli import execute

    assert not runtime.has_gpu()  # this machine's TensorFlow trains on the CPU
    console = Console(width=300, record=True)
    execute._say_precision(console, ExperimentConfig())
    assert "NVIDIA" not in console.export_text()  # and no GPU is here: nothing to say
    monkeypatch.setattr(hardware, "nvidia_present", lambda: True)  # as on a GPU box whose TensorFlow sees none
    execute._say_precision(console, ExperimentConfig())
    said = console.export_text()
    assert "An NVIDIA GPU is here" in said and "transfer-tui[gpu]" in said


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
