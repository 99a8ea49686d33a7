"""`transfer-tui bench --settings`: what members of different settings cost. Three populations of P members train
model A on task A for the same epochs: one whose members share the config's learning rate (Keras' optimizer), one
with P learning rates log-spaced over [1e-4, 1e-2] (each member its own rule), one with P epoch counts spread
over 1..N; and plain Keras trains a sample of members one after another, in the same process.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from engine.config import ExperimentConfig
from engine.data.packing import member_data
from engine.data.split import Tasks
from engine.hardware import cpu_model
from engine.phases import MODEL_A
from engine.progress import StopToken, ignore
from engine.runtime import device_name
from engine.studies.benches.population import Say, compiled_model_a
from engine.studies.models_a import initial_population_a
from engine.training.population_trainer import MemberSettings, PopulationTrainer


@dataclass(frozen=True)
class SettingsCase:
    """One population: its wall time per member-epoch it computed (P members x its epochs: a member whose epochs
    are done, or that diverged, is still computed until the longest member ends), and per member-epoch trained."""

    name: str
    seconds: float
    member_epochs: int  # computed
    member_epochs_trained: int
    seconds_per_member_epoch: float
    seconds_per_trained_member_epoch: float
    against_shared: float  # this case's seconds per member-epoch over the shared case's
    against_keras: float  # plain Keras' seconds per member-epoch over this case's


@dataclass(frozen=True)
class SettingsBenchResult:
    members: int
    epochs: int
    batch_size: int
    device: str
    machine: str
    keras_sample_members: int
    keras_seconds_per_member_epoch: float
    cases: list[SettingsCase]

    def to_dict(self) -> dict:
        return asdict(self)


def member_cases(config: ExperimentConfig, members: int, epochs: int) -> dict[str, list[MemberSettings]]:
    """The three populations' member settings: shared, P learning rates, P epoch counts (1..epochs)."""
    rate = config.train_a.learning_rate  # model A's optimizer, with its spec's other hyperparameters
    rates = np.geomspace(1e-4, 1e-2, members)  # a range SGD trains in without diverging: no NaN to slow it
    counts = np.round(np.linspace(1, epochs, members)).astype(int)
    return {
        "shared learning rate": [MemberSettings(rate) for _ in range(members)],
        f"{members} learning rates": [MemberSettings(float(r)) for r in rates],
        f"{members} epoch counts": [MemberSettings(rate, epochs=int(n)) for n in counts],
    }


def run_settings_bench(
    config: ExperimentConfig, tasks: Tasks, members: int, epochs: int, sample: int, say: Say
) -> SettingsBenchResult:
    batch, task = config.run.batch_size, tasks.a
    n_classes = len(tasks.a_classes)
    seeds = list(range(1, members + 1))
    started = time.perf_counter()
    for seed in seeds[:sample]:
        compiled_model_a(config, seed, n_classes).fit(
            task.x_train,
            task.y_train,
            batch_size=batch,
            epochs=epochs,
            verbose=0,
            validation_data=(task.x_valid, task.y_valid),
        )
    keras_per_member_epoch = (time.perf_counter() - started) / (sample * epochs)
    say(f"plain Keras: {keras_per_member_epoch:.2f} s per member-epoch ({sample} members x {epochs} epochs)")

    cases: list[SettingsCase] = []
    for name, settings in member_cases(config, members, epochs).items():
        population = initial_population_a(config, seeds, n_classes)
        started = time.perf_counter()
        trainer = PopulationTrainer(
            population,
            binary=False,
            optimizer=config.train_a.optimizer,
            learning_rate=settings[0].learning_rate,
            members=settings,
        )
        histories = trainer.train(
            member_data([task] * members),
            seeds=seeds,
            phase=MODEL_A,
            epochs=epochs,
            batch_size=batch,
            index=0,
            listener=ignore,
            stop=StopToken(),
        )
        seconds = time.perf_counter() - started
        computed = members * epochs
        trained = sum(len(history.loss) for history in histories)
        per_member_epoch = seconds / computed
        shared = cases[0].seconds_per_member_epoch if cases else per_member_epoch
        cases.append(
            SettingsCase(
                name,
                seconds,
                computed,
                trained,
                per_member_epoch,
                seconds / trained,
                per_member_epoch / shared,
                keras_per_member_epoch / per_member_epoch,
            )
        )
        say(f"{name}: {seconds:.1f} s for {computed} member-epochs ({trained} trained), {per_member_epoch:.3f} s each")
    return SettingsBenchResult(
        members, epochs, batch, device_name(config.run.precision), cpu_model(), sample, keras_per_member_epoch, cases
    )
