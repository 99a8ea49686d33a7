"""`transfer-tui bench`: plain Keras one member after another against one population, same machine, same run.

Both sides train model A on the real task A with batch 32 and validate every epoch, as the notebook
does. Figures are per member-epoch, so the ratio reads directly as "how many times faster", and each
side is also set against the FLOPs the training needs at this machine's measured matmul peak.
"""

from __future__ import annotations

import os
import resource
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from engine.config import ExperimentConfig
from engine.data.packing import member_data
from engine.data.split import Tasks
from engine.hardware import cpu_model
from engine.networks.sizes import dense_sizes, multiply_adds, training_flops
from engine.phases import MODEL_A
from engine.progress import Cancelled, EpochDone, StopToken, ignore
from engine.runtime import device_name, device_peak_gb, keras, tf
from engine.studies.models_a import initial_population_a
from engine.training.keras_phase import compile_model, train_phase
from engine.training.population_trainer import PopulationTrainer
from engine.training.starts import initial_model_a

Say = Callable[[str], None]


@dataclass(frozen=True)
class SideResult:
    """One way of training P members: wall time, and what it means per member-epoch."""

    seconds_total: float
    seconds_per_member_epoch: float
    seconds_per_member_epoch_steady: float  # median over epochs after the first (no tracing or compiling)
    images_per_second: float
    fraction_of_peak: float
    times_flop_time: float
    stop_seconds: float  # from a stop request at an arbitrary moment to training having stopped


@dataclass(frozen=True)
class BenchResult:
    members: int
    epochs: int
    batch_size: int
    train_images: int
    valid_images: int
    device: str
    machine: str
    cpu_count: int
    tensorflow: str
    keras: str
    matmul_peak_gflops: float  # float32, large square operands: "% of peak" reads against it
    precision: str
    precision_peak_gflops: float  # the same in the run's precision
    layer_matmul_gflops: float  # the first Dense layer's matmul at the population's shape, in the run's precision
    gflop_per_member_epoch: float
    flop_time_per_member_epoch: float
    plain_keras: SideResult
    population: SideResult
    speedup: float
    speedup_steady: float
    peak_rss_gb: float  # of this whole process, both sides included
    device_peak_gb: float | None = None  # the GPU's peak memory, where a GPU trains

    def to_dict(self) -> dict:
        return asdict(self)


def matmul_peak_gflops(size: int = 2048, repeats: int = 10, dtype: str = "float32") -> float:
    """The best matmul rate this machine reaches through TensorFlow on large square operands, in GFLOP/s."""
    return matmul_gflops((size, size), (size, size), dtype, repeats)


def matmul_gflops(a_shape: tuple[int, ...], b_shape: tuple[int, ...], dtype: str, repeats: int = 10) -> float:
    """The best rate TensorFlow's matmul reaches on operands of these shapes (batched with a leading axis), in
    GFLOP/s: at a population's own shapes it is the ceiling its steps can reach, well below the square peak."""
    a = tf.cast(tf.random.normal(a_shape), dtype)
    b = tf.cast(tf.random.normal(b_shape), dtype)
    # one element of the product comes back: enough to wait for the device, without timing a copy of it all
    matmul = tf.function(lambda x, y: tf.matmul(x, y)[..., :1, :1])
    matmul(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        matmul(a, b).numpy()
        best = min(best, time.perf_counter() - started)
    batch = a_shape[0] if len(a_shape) == 3 else 1
    return 2 * batch * a_shape[-2] * a_shape[-1] * b_shape[-1] / best / 1e9


def run_bench(config: ExperimentConfig, tasks: Tasks, members: int, epochs: int, say: Say) -> BenchResult:
    """Time both sides on task A; `say` receives a line per finished epoch."""
    net, batch = config.network, config.run.batch_size
    seeds = list(range(1, members + 1))
    task = tasks.a
    n_classes = len(tasks.a_classes)
    peak = matmul_peak_gflops()
    flops = training_flops(multiply_adds(net, n_classes), len(task.y_train), len(task.y_valid))
    flop_time = flops / (peak * 1e9)
    say(
        f"float32 matmul peak: {peak:.0f} GFLOP/s; one member-epoch needs {flops / 1e9:.1f} GFLOP "
        f"= {flop_time:.3f} s at that peak"
    )
    precision = config.run.precision
    precision_peak = peak if precision == "float32" else matmul_peak_gflops(dtype=precision)
    fan_in, fan_out = dense_sizes(net, n_classes)[:2]
    layer_rate = matmul_gflops((members, batch, fan_in), (members, fan_in, fan_out), precision, repeats=100)
    say(
        f"{precision} matmul peak: {precision_peak:.0f} GFLOP/s; at the first Dense layer's shape in the "
        f"population ({members} x {batch} x {fan_in} -> {fan_out}): {layer_rate:.0f} GFLOP/s"
    )

    keras_epoch_seconds: list[float] = []
    started = time.perf_counter()
    for seed in seeds:
        model = compiled_model_a(config, seed, n_classes)
        timer = _EpochTimer(
            lambda epoch, seconds, seed=seed: say(
                f"plain Keras  member {seed}/{members}  epoch {epoch}/{epochs}  {seconds:.2f} s"
            )
        )
        model.fit(
            task.x_train,
            task.y_train,
            batch_size=batch,
            epochs=epochs,
            verbose=0,
            validation_data=(task.x_valid, task.y_valid),
            callbacks=[timer],
        )
        keras_epoch_seconds += timer.seconds[1:]
    keras_total = time.perf_counter() - started

    population = initial_population_a(config, seeds, n_classes)
    started = time.perf_counter()
    trainer = PopulationTrainer(
        population,
        binary=False,
        optimizer=config.train_a.optimizer,
        learning_rate=config.train_a.learning_rate,
        frozen=0,
    )
    population_epoch_seconds: list[float] = []

    def listen(event: object) -> None:
        if isinstance(event, EpochDone) and event.seed == seeds[0]:
            population_epoch_seconds.append(event.metrics.seconds)
            say(f"population   {members} members  epoch {event.epoch}/{epochs}  {event.metrics.seconds:.2f} s")

    trainer.train(
        member_data([task] * members),
        seeds=seeds,
        phase=MODEL_A,
        epochs=epochs,
        batch_size=batch,
        index=0,
        listener=listen,
        stop=StopToken(),
    )
    population_total = time.perf_counter() - started

    say("stop latency: training again, with a stop requested after 1 s")
    keras_stop = stop_latency(
        lambda stop: train_phase(
            compiled_model_a(config, seeds[0], n_classes),
            task,
            phase=MODEL_A,
            seed=seeds[0],
            epochs=1000,
            batch_size=batch,
            index=0,
            listener=ignore,
            stop=stop,
        )
    )
    population_stop = stop_latency(
        lambda stop: trainer.train(
            member_data([task] * members),
            seeds=seeds,
            phase=MODEL_A,
            epochs=1000,
            batch_size=batch,
            index=0,
            listener=ignore,
            stop=stop,
        )
    )

    def side(total: float, steady_epochs: list[float], per_epoch_divisor: int, stop_seconds: float) -> SideResult:
        per_member_epoch = total / (members * epochs)
        steady = statistics.median(steady_epochs) / per_epoch_divisor if steady_epochs else per_member_epoch
        return SideResult(
            seconds_total=total,
            seconds_per_member_epoch=per_member_epoch,
            seconds_per_member_epoch_steady=steady,
            images_per_second=len(task.y_train) / per_member_epoch,
            fraction_of_peak=flop_time / per_member_epoch,
            times_flop_time=per_member_epoch / flop_time,
            stop_seconds=stop_seconds,
        )

    plain = side(keras_total, keras_epoch_seconds, 1, keras_stop)
    together = side(population_total, population_epoch_seconds[1:], members, population_stop)
    return BenchResult(
        members=members,
        epochs=epochs,
        batch_size=batch,
        train_images=len(task.y_train),
        valid_images=len(task.y_valid),
        device=device_name(config.run.precision),
        machine=cpu_model(),
        cpu_count=os.cpu_count() or 0,
        tensorflow=tf.__version__,
        keras=keras.__version__,
        matmul_peak_gflops=peak,
        precision=precision,
        precision_peak_gflops=precision_peak,
        layer_matmul_gflops=layer_rate,
        gflop_per_member_epoch=flops / 1e9,
        flop_time_per_member_epoch=flop_time,
        plain_keras=plain,
        population=together,
        speedup=plain.seconds_per_member_epoch / together.seconds_per_member_epoch,
        speedup_steady=plain.seconds_per_member_epoch_steady / together.seconds_per_member_epoch_steady,
        peak_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        device_peak_gb=device_peak_gb(),
    )


def compiled_model_a(config: ExperimentConfig, seed: int, n_classes: int) -> keras.Model:
    """Model A for `seed`, compiled with model A's optimizer, as plain Keras trains it in a bench."""
    model = initial_model_a(config.network, seed, n_classes)
    compile_model(model, "sparse_categorical_crossentropy", config.train_a.optimizer, config.train_a.learning_rate)
    return model


def stop_latency(train: Callable[[StopToken], object], after: float = 1.0) -> float:
    """Seconds from a stop request made `after` seconds into `train(stop)`, at no particular point of an epoch,
    to training having stopped (Cancelled raised). The request comes from a timer thread, as a user's would."""
    stop = StopToken()
    requested: list[float] = []
    timer = threading.Timer(after, lambda: (requested.append(time.perf_counter()), stop.request()))
    timer.start()
    try:
        train(stop)
    except Cancelled:
        return time.perf_counter() - requested[0]
    finally:
        timer.cancel()
    raise RuntimeError("training ended before the stop request")


class _EpochTimer(keras.callbacks.Callback):
    """Wall time of each epoch of a plain model.fit, validation included."""

    def __init__(self, report: Callable[[int, float], None]) -> None:
        super().__init__()
        self.report = report
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self.started)
        self.report(epoch + 1, self.seconds[-1])
