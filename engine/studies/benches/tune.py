"""`transfer-tui bench --tune`: what a tuning's population saves. One arm (B from scratch) of the config's tuning, its
[tune] budget trials x the config's seeds as one population on task B (per-member learning rates, every trial
keeping its best validation epoch), against plain Keras training the same trials one at a time (model.fit with
EarlyStopping(restore_best_weights=True)), measured on a sample of trials, in the same process.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from engine.config import ExperimentConfig
from engine.config.search import trial_values
from engine.data.packing import member_data
from engine.data.split import Tasks
from engine.hardware import cpu_model
from engine.networks.population import Population
from engine.phases import B_SCRATCH
from engine.progress import StopToken, ignore
from engine.runtime import device_name, keras
from engine.studies.benches.population import Say
from engine.training.optimizers import make_optimizer
from engine.training.population_trainer import MemberSettings, PopulationTrainer
from engine.training.starts import initial_scratch


@dataclass(frozen=True)
class TuneBenchResult:
    trials: int
    seeds: int
    epochs: int
    n_train: int
    n_validation: int
    device: str
    machine: str
    keras_sample_trials: int
    keras_seconds_per_trial_epoch: float
    population_seconds: float
    population_seconds_per_trial_epoch: float
    speedup: float

    def to_dict(self) -> dict:
        return asdict(self)


def run_tune_bench(config: ExperimentConfig, tasks: Tasks, sample: int, say: Say) -> TuneBenchResult:
    tune, net, batch, task = config.tune, config.network, config.run.batch_size, tasks.b
    seeds = list(config.run.seeds)
    rates = [values["learning_rate"] for values in trial_values(tune.space_of("scratch"), tune.budget, tune.draw_seed)]
    optimizer = config.transfer.optimizer
    started = time.perf_counter()
    for rate in rates[:sample]:  # plain Keras: one trial of one seed at a time
        model = initial_scratch(net, seeds[0])
        model.compile(loss="binary_crossentropy", optimizer=make_optimizer(optimizer, rate), metrics=["accuracy"])
        best = keras.callbacks.EarlyStopping(
            monitor="val_accuracy", mode="max", patience=tune.epochs, restore_best_weights=True
        )
        model.fit(
            task.x_train,
            task.y_train,
            batch_size=batch,
            epochs=tune.epochs,
            verbose=0,
            validation_data=(task.x_valid, task.y_valid),
            callbacks=[best],
        )
    keras_per_trial_epoch = (time.perf_counter() - started) / (sample * tune.epochs)
    say(f"plain Keras: {keras_per_trial_epoch:.3f} s per trial-epoch ({sample} trials x {tune.epochs} epochs)")

    members = [(rate, seed) for rate in rates for seed in seeds]
    started = time.perf_counter()
    population = Population(
        net, 1, "sigmoid", [initial_scratch(net, seed) for _, seed in members], precision=config.run.precision
    )
    settings = [MemberSettings(rate, epochs=tune.epochs, keep_best=True) for rate, _ in members]
    trainer = PopulationTrainer(population, binary=True, optimizer=optimizer, learning_rate=rates[0], members=settings)
    trainer.train(
        member_data([task] * len(members)),
        seeds=[seed for _, seed in members],
        phase=B_SCRATCH,
        epochs=tune.epochs,
        batch_size=batch,
        index=0,
        listener=ignore,
        stop=StopToken(),
    )
    seconds = time.perf_counter() - started
    per_trial_epoch = seconds / (len(members) * tune.epochs)
    say(f"population of {len(members)}: {seconds:.1f} s, {per_trial_epoch:.4f} s per trial-epoch")
    return TuneBenchResult(
        len(rates),
        len(seeds),
        tune.epochs,
        len(task.y_train),
        len(task.y_valid),
        device_name(config.run.precision),
        cpu_model(),
        sample,
        keras_per_trial_epoch,
        seconds,
        per_trial_epoch,
        keras_per_trial_epoch / per_trial_epoch,
    )
