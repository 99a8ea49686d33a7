"""bfloat16 and float16: a population computes as Keras' mixed_bfloat16 and mixed_float16 policies do (float32
weights cast per step, every layer in the lower precision, the loss and the metrics in float32), member by member,
and under float16 each member scales its loss as Keras' LossScaleOptimizer does; float32 stays as it was."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from engine import hardware
from engine.config import CnnNetwork, DenseNetwork, NetworkConfig, SplitConfig, apply_overrides
from engine.data.fashion_mnist import Dataset
from engine.data.packing import member_data
from engine.data.split import make_tasks
from engine.hardware import precision_note
from engine.networks.keras_models import in_precision
from engine.networks.population import Population
from engine.progress import StopToken, ignore
from engine.runtime import keras, tf
from engine.storage.store import RunStore
from engine.training.keras_phase import train_phase
from engine.training.member_optimizers import LOSS_SCALE_GROWTH_STEPS, MemberOptimizer
from engine.training.population_trainer import PopulationEpochs, PopulationTrainer, compiles_with_xla
from tests.conftest import tiny_config
from tests.notebook_oracle import notebook_optimizer
from tests.pilot import wait_for
from tests.test_population import keras_model_a_trained, keras_models, train_population
from tui.app.app import TransferApp
from tui.main import main
from tui.state.stored import summary_of

DENSE = DenseNetwork(hidden=(32, 16))
CNN = CnnNetwork(conv=(4, 8), hidden=(16,))


@pytest.fixture(scope="module")
def tasks(small_dataset: Dataset):
    return make_tasks(small_dataset, SplitConfig(n_train_b=60), seed=0)


def _logits_model(model: keras.Model, precision: str) -> keras.Model:
    """`model` as in_precision has it train, its output layer without its activation: its logits."""
    mixed = in_precision(model, precision)
    last = mixed.layers[-1].name

    def cloned(layer: keras.layers.Layer) -> keras.layers.Layer:
        config = layer.get_config()
        if layer.name == last:
            config["activation"] = None
        return layer.__class__.from_config(config)

    copy = keras.models.clone_model(mixed, clone_function=cloned)
    copy.set_weights(model.get_weights())
    return copy


# bfloat16's matmuls round the same batched or not (oneDNN), so its logits are equal bit for bit; float16's on the
# CPU accumulate in float32 in an order that differs between the batched matmul and Keras' 2-D one (as float32's
# own do, tests/test_population.py), which moves a rare logit by one float16 step: measured, 1 of 512.
EXACT_AT_LEAST = {"bfloat16": 1.0, "float16": 0.99}


@pytest.mark.parametrize("lower", ["bfloat16", "float16"])
@pytest.mark.parametrize("net", [DENSE, CNN, DenseNetwork(hidden=(24, 12), batch_norm=True)])
def test_a_lower_precision_population_computes_every_logit_as_keras_mixed_policy(
    tasks, net: NetworkConfig, lower: str
) -> None:
    """The same roundings in the same places: every logit equal (float16: all but a rare one, and that one step
    away). The float32 population is the control: it differs from the mixed policy in nearly every logit, so the
    equality is not a tolerance."""
    models = keras_models(net, [1, 2])
    x = tasks.a.x_test[:64]
    for precision in (lower, "float32"):
        logits = Population(net, 8, "softmax", models, precision=precision).logits(
            tf.constant(x.reshape(len(x), -1)), training=False
        )
        for member, model in enumerate(models):
            want = np.asarray(_logits_model(model, lower)(x)).astype(np.float32)
            got = logits.numpy()[member]
            equal = np.mean(got == want)
            if precision == "float32":
                assert equal < 0.1, (member, equal)
                continue
            assert equal >= EXACT_AT_LEAST[lower], (member, equal)
            one_step = np.spacing(np.abs(want).astype(np.dtype(lower))).astype(np.float32)
            assert np.all(np.abs(got - want) <= one_step), member


# Trained, the members drift from Keras' models by rounding alone: the loss is taken from float32 logits (Keras
# takes it from bfloat16 probabilities), so the gradients differ in their last bfloat16 bits (8 significant
# bits, a relative step of 2^-8 = 0.4%), and two epochs of SGD at lr 1e-2 carry that along: measured, at most
# 6e-4 in a weight (99% within 1.5e-4) and 0.7% in an epoch's accuracy. The weights must agree to 2e-3 and the
# metrics to 1%. That drift is as large as bfloat16's own rounding (a float32 member stays as close), so this
# test guards training under bfloat16 (the gradients through the casts, float32 master weights that keep small
# updates); the logits test above is the one that tells the precisions apart.
WEIGHTS_ATOL = 2e-3
METRICS_ATOL = 1e-2


@pytest.mark.parametrize("net", [DENSE, CNN])
def test_a_bfloat16_population_trains_each_member_as_keras_mixed_bfloat16(tasks, net: NetworkConfig) -> None:
    seeds = [1, 2]
    population = Population(net, 8, "softmax", keras_models(net, seeds), precision="bfloat16")
    histories = train_population(
        population, tasks.a, seeds, binary=False, optimizer="sgd", lr=1e-2, frozen=0, phase="model_a"
    )
    for member, (seed, start) in enumerate(zip(seeds, keras_models(net, seeds), strict=True)):
        reference = in_precision(start, "bfloat16")
        expected = keras_model_a_trained(reference, tasks.a, seed, "sgd", 1e-2)
        exported = population.member_model(member, "member")
        differences = np.concatenate(
            [
                np.abs(got - want).ravel()
                for got, want in zip(exported.get_weights(), reference.get_weights(), strict=True)
            ]
        )
        assert differences.max() < WEIGHTS_ATOL
        for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
            np.testing.assert_allclose(getattr(histories[member], name), getattr(expected, name), atol=METRICS_ATOL)


def _member_weights_differ(population: Population, member: int, reference: keras.Model) -> float:
    exported = population.member_model(member, "member")
    pairs = zip(exported.get_weights(), reference.get_weights(), strict=True)
    return max(float(np.abs(got - want).max()) for got, want in pairs)


@pytest.mark.parametrize("optimizer, lr", [("sgd", 1e-2), ("adam", 1e-3)])
def test_a_float16_population_scales_each_members_loss_as_keras_loss_scale_optimizer(
    tasks, optimizer: str, lr: float
) -> None:
    """float16 member by member against plain Keras under mixed_float16 with its LossScaleOptimizer. Member 1
    starts at a scale of 2^40, so its float16 gradients overflow: it skips steps and halves its scale until they
    fit, exactly as Keras does (the same scale and step count at the end), while members 0 and 2 step on as if
    it were not there. Adam reads each member's own step count (its bias correction)."""
    seeds, scales = [1, 2, 3], [2.0**15, 2.0**40, 2.0**15]
    population = Population(DENSE, 8, "softmax", keras_models(DENSE, seeds), precision="float16")
    trainer = PopulationTrainer(population, binary=False, optimizer=optimizer, learning_rate=lr)
    trainer.optimizer.loss_scale.assign(np.array(scales, np.float32))
    histories = trainer.train(
        member_data([tasks.a] * 3), seeds=seeds, phase="model_a", epochs=2, batch_size=32, index=0,
        listener=ignore, stop=StopToken(),
    )  # fmt: skip
    steps = trainer.optimizer.iterations.numpy()
    for member, (seed, start) in enumerate(zip(seeds, keras_models(DENSE, seeds), strict=True)):
        reference = in_precision(start, "float16")
        scaled = keras.optimizers.LossScaleOptimizer(notebook_optimizer(optimizer, lr), initial_scale=scales[member])
        reference.compile(loss="sparse_categorical_crossentropy", optimizer=scaled, metrics=["accuracy"])
        expected = train_phase(
            reference, tasks.a, phase="model_a", seed=seed, epochs=2, batch_size=32, index=0, listener=ignore,
            stop=StopToken(),
        )  # fmt: skip
        assert trainer.optimizer.loss_scale.numpy()[member] == float(scaled.dynamic_scale.numpy())
        assert steps[member] == int(scaled.iterations.numpy())
        assert _member_weights_differ(population, member, reference) < WEIGHTS_ATOL
        for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
            np.testing.assert_allclose(getattr(histories[member], name), getattr(expected, name), atol=METRICS_ATOL)
    assert steps[1] < steps[0] == steps[2]  # the overflowing member skipped steps, the others none
    assert trainer.optimizer.loss_scale.numpy()[1] < 2.0**40


def test_each_members_loss_scale_and_steps_travel_in_its_checkpoint_part(tasks) -> None:
    """What a checkpoint keeps per member (its part of the population's state) holds its loss scale, its count of
    finite steps and its own step count, and a fresh population restored from the parts has them back."""
    seeds = [1, 2, 3]

    def epochs() -> PopulationEpochs:
        population = Population(DENSE, 8, "softmax", keras_models(DENSE, seeds), precision="float16")
        trainer = PopulationTrainer(population, binary=False, optimizer="adam", learning_rate=1e-3)
        return PopulationEpochs(trainer, member_data([tasks.a] * 3), seeds, "model_a", 1, 32, StopToken())

    saved = epochs()
    optimizer = saved.trainer.optimizer
    optimizer.loss_scale.assign(np.array([2.0**10, 2.0**20, 2.0**3], np.float32))
    optimizer.finite_steps.assign(np.array([7, 0, 1999]))
    optimizer.iterations.assign(np.array([5, 9, 11]))
    parts = saved.states([slice(0, 1), slice(1, 3)])
    fresh = epochs()
    fresh.restore(parts)
    for name in ("loss_scale", "finite_steps", "iterations"):
        restored = getattr(fresh.trainer.optimizer, name).numpy()
        np.testing.assert_array_equal(restored, getattr(optimizer, name).numpy())


def test_each_member_grows_and_halves_its_own_scale_as_keras_loss_scale_optimizer() -> None:
    """The scale's rule against Keras' own on one step: a member at its 2,000th finite step in a row doubles its
    scale, a member with an infinite gradient halves it and keeps its weights, a member in between counts on."""
    settings = [{"learning_rate": 0.1}] * 3
    optimizer = MemberOptimizer("sgd", settings, loss_scaled=True)
    weights = keras.Variable(np.ones((3, 2), np.float32))
    optimizer.build([weights])
    optimizer.finite_steps.assign(np.array([LOSS_SCALE_GROWTH_STEPS - 1, 5, LOSS_SCALE_GROWTH_STEPS - 1]))
    gradient = np.array([[1.0, 2.0], [1.0, 2.0], [np.inf, 1.0]], np.float32)
    optimizer.apply([tf.constant(gradient)], [weights])
    for member, counted in enumerate((LOSS_SCALE_GROWTH_STEPS - 1, 5, LOSS_SCALE_GROWTH_STEPS - 1)):
        alone = keras.Variable(np.ones(2, np.float32))
        scaled = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1))
        scaled.build([alone])
        scaled.step_counter.assign(counted)
        scaled.apply([tf.constant(gradient[member])], [alone])
        assert optimizer.loss_scale.numpy()[member] == scaled.dynamic_scale.numpy()
        assert optimizer.finite_steps.numpy()[member] == scaled.step_counter.numpy()
        assert optimizer.iterations.numpy()[member] == scaled.iterations.numpy()
        np.testing.assert_array_equal(weights.numpy()[member], alone.numpy())
    assert list(optimizer.loss_scale.numpy()) == [2.0**16, 2.0**15, 2.0**14]


def _cpuinfo(tmp_path: Path, flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 avx2 {flags}\n\n")
    return path


def test_bfloat16_on_hardware_without_it_is_one_line_and_float32_says_nothing(tmp_path: Path) -> None:
    plain = _cpuinfo(tmp_path, "avx512f")
    note = precision_note("bfloat16", has_gpu=False, cpuinfo=plain)
    assert note is not None and "\n" not in note and "neither amx_bf16 nor avx512_bf16" in note
    assert precision_note("float32", has_gpu=False, cpuinfo=plain) is None
    assert precision_note("bfloat16", has_gpu=True, cpuinfo=plain) is None
    for flags in ("avx512_bf16", "amx_bf16 amx_tile"):
        assert precision_note("bfloat16", has_gpu=False, cpuinfo=_cpuinfo(tmp_path, flags)) is None
    assert precision_note("bfloat16", has_gpu=False, cpuinfo=tmp_path / "missing") is not None


TINY = ["--set", "network.hidden=[16]", "--set", "train_a.epochs=1", "--set", "transfer.frozen_epochs=1",
        "--set", "transfer.unfrozen_epochs=1", "--set", "split.n_train_b=50"]  # fmt: skip


def test_a_bfloat16_run_says_so_once_records_its_precision_and_trains(
    real_data_dir: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """On a CPU without bfloat16 instructions (a patched cpuinfo), the run says so in one line and still runs;
    the run store and the JSON keep the precision."""
    monkeypatch.setattr(hardware, "CPUINFO", _cpuinfo(tmp_path, "avx2"))
    out = tmp_path / "run.json"
    code = main(
        ["run", "--data-dir", str(real_data_dir), "--home", str(tmp_path / "home"), "--precision", "bfloat16",
         "--seeds", "1,2", *TINY, "--json", str(out)]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert sum("bfloat16 will likely run slower than float32 here" in line for line in printed.splitlines()) == 1
    stored = json.loads(out.read_text())
    assert stored["config"]["run"]["precision"] == "bfloat16" and stored["device"] == "CPU, bfloat16"
    run_id = re.search(r"Run (\S+) is in the run store", printed).group(1)
    assert main(["runs", "show", run_id, "--home", str(tmp_path / "home")]) == 0
    assert "on CPU, bfloat16" in " ".join(capsys.readouterr().out.split())
    (record,) = RunStore(tmp_path / "home" / "runs.sqlite").runs()
    assert summary_of(record).startswith("bfloat16: ")  # as History and `runs list` show it


@pytest.mark.parametrize(("seeds", "asked", "flags", "trained"), [
    ("1", "float16", "avx2", "float16"),  # one seed: plain Keras with its LossScaleOptimizer
    ("1,2", "float16", "avx2", "float16"),  # a population, each member with its own loss scale
    ("1,2", "auto", "avx512_bf16", "bfloat16"),
    ("1,2", "auto", "avx2", "float32"),
])  # fmt: skip
def test_a_float16_or_auto_run_trains_and_records_what_it_trained_in(
    real_data_dir: Path, tmp_path: Path, monkeypatch, capsys, seeds: str, asked: str, flags: str, trained: str
) -> None:
    """float16 runs on the CPU (saying once that it is slow here) with finite numbers; "auto" is resolved when the
    run starts, said in the header, and the run store keeps what it trained in, with the device in full."""
    monkeypatch.setattr(hardware, "CPUINFO", _cpuinfo(tmp_path, flags))
    out, home = tmp_path / "run.json", tmp_path / "home"
    code = main(
        ["run", "--data-dir", str(real_data_dir), "--home", str(home), "--precision", asked, "--seeds", seeds,
         *TINY, "--json", str(out)]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "Device: CPU: Some CPU, " in printed and f"cores; {trained}" in printed
    assert ("(auto: this CPU has" in printed) == (asked == "auto")
    assert sum("will likely run slower than float32" in line for line in printed.splitlines()) == (trained == "float16")
    stored = json.loads(out.read_text())
    assert stored["config"]["run"]["precision"] == trained
    # one epoch of model A learns the 8 classes to about 80% in every precision (B, with 50 images and one epoch
    # a phase, is still near chance); a float16 overflow left unscaled would leave NaN weights and chance
    assert all(seed["test_acc_a"] > 0.7 and not seed["diverged"] for seed in stored["seeds"])
    (record,) = RunStore(home / "runs.sqlite").runs()
    assert record.hardware.startswith("CPU: Some CPU, ") and record.hardware.endswith(f"; {trained}")
    assert main(["runs", "show", record.id, "--home", str(home)]) == 0
    assert f"Device: {record.hardware}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("asked", "flags", "trained", "notes"),
    [
        ("bfloat16", "avx2", "bfloat16", 1),
        ("float16", "avx512_bf16", "float16", 1),
        ("auto", "avx512_bf16", "bfloat16", 0),
    ],
)
async def test_the_app_trains_in_the_precision_asked_and_says_so_where_it_is_slow(
    small_dataset: Dataset, tmp_path: Path, monkeypatch, asked: str, flags: str, trained: str, notes: int
) -> None:
    monkeypatch.setattr(hardware, "CPUINFO", _cpuinfo(tmp_path, flags))
    config = apply_overrides(tiny_config(), [f'run.precision="{asked}"'])
    app = TransferApp(config, load_dataset=lambda _config: small_dataset)
    said: list[str] = []  # every notice as it is given (a notice times out while a loaded machine trains)
    notify = app.notify
    monkeypatch.setattr(app, "notify", lambda message, **kw: (said.append(message), notify(message, **kw))[1])
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: bool(app.device))
        assert app.device.startswith("CPU: ")  # the device in full, in the header
        await pilot.press("ctrl+r")
        results = app.get_screen("results")
        await wait_for(pilot, lambda: results.result is not None and not app.engine.busy)
        assert sum("will likely run slower" in message for message in said) == notes
        assert results.result.device == f"CPU, {trained}"
        assert results.result.config["run"]["precision"] == trained


@pytest.mark.parametrize(
    ("net", "precision", "xla"),
    [(DENSE, "float32", True), (DENSE, "bfloat16", False), (CNN, "float32", False), (CNN, "bfloat16", False)],
)
def test_xla_compiles_only_the_dense_float32_steps(net: NetworkConfig, precision: str, xla: bool) -> None:
    population = Population(net, 8, "softmax", keras_models(net, [1]), precision=precision)
    assert compiles_with_xla(population) is xla
