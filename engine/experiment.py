"""The transfer experiment over a list of seeds: model A, B on A (frozen, then fine-tuned), B from scratch.

`run_experiment` is the engine's one entry point for "train these models for these seeds";
callers get per-seed results and progress messages and never see how the training is done.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from engine.config import ExperimentConfig, config_to_dict
from engine.data import Dataset
from engine.models import (
    build_model_a,
    build_scratch_b,
    compile_model,
    held_out_accuracy,
    load_model_a,
    save_model,
    set_reused_trainable,
    transfer_model,
)
from engine.phases import B_FINETUNE, B_FROZEN, B_SCRATCH, MODEL_A
from engine.progress import (
    Cancelled,
    Listener,
    PhaseDone,
    PhaseStarted,
    PlannedPhase,
    RunPlanned,
    SeedDone,
    StopToken,
    ignore,
)
from engine.results import ExperimentResult, SeedResult
from engine.runtime import device_name, keras
from engine.seeding import model_seed
from engine.split import Tasks, make_tasks
from engine.training import PhaseHistory, train_phase

A_LOSS = "sparse_categorical_crossentropy"
B_LOSS = "binary_crossentropy"


def plan_phases(config: ExperimentConfig, n_train_a: int, n_train_b: int, train_a: bool) -> list[PlannedPhase]:
    """Every phase that will run, seed by seed, in order; phases with zero epochs are left out."""
    batch = config.run.batch_size
    steps_a = math.ceil(n_train_a / batch)
    steps_b = math.ceil(n_train_b / batch)
    transfer = config.transfer
    per_seed = [
        (MODEL_A, config.train_a.epochs if train_a else 0, steps_a),
        (B_FROZEN, transfer.frozen_epochs, steps_b),
        (B_FINETUNE, transfer.unfrozen_epochs, steps_b),
        (B_SCRATCH, transfer.frozen_epochs + transfer.unfrozen_epochs, steps_b),
    ]
    return [
        PlannedPhase(phase, (seed,), epochs, steps)
        for seed in config.run.seeds
        for phase, epochs, steps in per_seed
        if epochs > 0
    ]


def run_experiment(
    config: ExperimentConfig,
    dataset: Dataset,
    *,
    listener: Listener = ignore,
    stop: StopToken | None = None,
    model_a_file: Path | None = None,
    save_dir: Path | None = None,
) -> ExperimentResult:
    """Run every seed of `config`; a stop request ends the run with status 'cancelled' and the finished seeds."""
    stop = stop or StopToken()
    loaded_a = load_model_a(model_a_file) if model_a_file else None
    first_tasks = make_tasks(dataset, config.split, config.run.seeds[0])
    plan = plan_phases(config, len(first_tasks.a.y_train), len(first_tasks.b.y_train), loaded_a is None)
    listener(RunPlanned(tuple(plan)))
    runner = _SeedRunner(config, plan, listener, stop, save_dir)
    results: list[SeedResult] = []
    status = "finished"
    try:
        for seed in config.run.seeds:
            tasks = first_tasks if seed == config.run.seeds[0] else make_tasks(dataset, config.split, seed)
            result = runner.run(seed, tasks, loaded_a)
            results.append(result)
            listener(SeedDone(result))
    except Cancelled:
        status = "cancelled"
    return ExperimentResult(config_to_dict(config), results, status, device_name())


@dataclass
class _SeedRunner:
    """Runs the phases of one seed, consuming the plan's entries in order."""

    config: ExperimentConfig
    plan: list[PlannedPhase]
    listener: Listener
    stop: StopToken
    save_dir: Path | None
    next_index: int = 0

    def run(self, seed: int, tasks: Tasks, loaded_a: keras.Model | None) -> SeedResult:
        """All phases of one seed; a phase that diverges ends early and marks the seed, the others still run."""
        histories: dict[str, PhaseHistory] = {}
        model_a = loaded_a or self._trained_a(seed, tasks, histories)
        b_on_a = self._trained_transfer(seed, tasks, model_a, histories)
        b_scratch = self._trained_scratch(seed, tasks, histories)
        models = {MODEL_A: model_a, B_FINETUNE: b_on_a, B_SCRATCH: b_scratch}
        if loaded_a is not None:
            del models[MODEL_A]  # the user's own file stays where it is
        model_files = {}
        if self.save_dir is not None:
            for role, model in models.items():
                model_files[role] = str(save_model(model, self.save_dir / f"seed{seed}" / f"{role}.keras"))
        return SeedResult(
            seed=seed,
            b_classes=tasks.b_classes,
            test_acc_a=held_out_accuracy(model_a, tasks.a.x_test, tasks.a.y_test),
            test_acc_b_scratch=held_out_accuracy(b_scratch, tasks.b.x_test, tasks.b.y_test),
            test_acc_b_transfer=held_out_accuracy(b_on_a, tasks.b.x_test, tasks.b.y_test),
            history={phase: history.as_dict() for phase, history in histories.items()},
            diverged=next((phase for phase, history in histories.items() if history.diverged), None),
            model_files=model_files,
        )

    def _trained_a(self, seed: int, tasks: Tasks, histories: dict[str, PhaseHistory]) -> keras.Model:
        keras.utils.set_random_seed(model_seed(seed, MODEL_A))
        model = build_model_a(self.config.network, len(tasks.a_classes))
        compile_model(model, A_LOSS, self.config.train_a.optimizer, self.config.train_a.learning_rate)
        self._phase(model, tasks, MODEL_A, seed, histories)
        return model

    def _trained_transfer(
        self, seed: int, tasks: Tasks, model_a: keras.Model, histories: dict[str, PhaseHistory]
    ) -> keras.Model:
        transfer = self.config.transfer
        keras.utils.set_random_seed(model_seed(seed, B_FROZEN))
        model = transfer_model(model_a)
        if transfer.frozen_epochs:
            set_reused_trainable(model, False)
            compile_model(model, B_LOSS, transfer.optimizer, transfer.frozen_learning_rate)
            self._phase(model, tasks, B_FROZEN, seed, histories)
        set_reused_trainable(model, True)
        compile_model(model, B_LOSS, transfer.optimizer, transfer.unfrozen_learning_rate)
        if transfer.unfrozen_epochs:
            self._phase(model, tasks, B_FINETUNE, seed, histories)
        return model

    def _trained_scratch(self, seed: int, tasks: Tasks, histories: dict[str, PhaseHistory]) -> keras.Model:
        transfer = self.config.transfer
        keras.utils.set_random_seed(model_seed(seed, B_SCRATCH))
        model = build_scratch_b(self.config.network)
        compile_model(model, B_LOSS, transfer.optimizer, transfer.scratch_learning_rate)
        self._phase(model, tasks, B_SCRATCH, seed, histories)
        return model

    def _phase(self, model: keras.Model, tasks: Tasks, phase: str, seed: int, histories: dict) -> None:
        index = self.next_index
        planned = self.plan[index]
        assert planned.phase == phase and planned.seeds == (seed,), "plan and run disagree"
        self.next_index += 1
        self.listener(PhaseStarted(index, planned))
        data = tasks.a if phase == MODEL_A else tasks.b
        histories[phase] = train_phase(
            model,
            data,
            phase=phase,
            seed=seed,
            epochs=planned.epochs,
            batch_size=self.config.run.batch_size,
            index=index,
            listener=self.listener,
            stop=self.stop,
        )
        self.listener(PhaseDone(index))
