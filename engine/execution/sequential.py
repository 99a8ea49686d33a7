"""One seed at a time, as plain Keras models: the notebook's way, and the reference populations are tested against."""

from __future__ import annotations

from engine.data.split import Tasks
from engine.execution.plan import Member, ReadyA, RememberA
from engine.execution.runner import Runner
from engine.networks.keras_models import held_out_accuracy, in_precision, set_reused_trainable
from engine.phases import B_FINETUNE, B_FROZEN, B_SCRATCH, MODEL_A, frozen_layers
from engine.progress import SeedDone
from engine.results.experiment import SeedResult
from engine.results.history import PhaseHistory
from engine.runtime import keras
from engine.training.keras_phase import compile_model, train_planned_model
from engine.training.starts import initial_model_a, initial_scratch, initial_transfer

A_LOSS = "sparse_categorical_crossentropy"
B_LOSS = "binary_crossentropy"


class SequentialRunner(Runner):
    """Runs the phases of each seed in turn, consuming the plan's entries in order."""

    def run(
        self, pair: tuple[int, int], tasks: dict[int, Tasks], ready: dict[Member, ReadyA], remember: RememberA
    ) -> list[SeedResult]:
        """Every seed of one pair; `ready` holds the models A that need no training, `remember` keeps new ones."""
        results = []
        for seed, seed_tasks in tasks.items():
            results.append(self._run_seed(pair, seed, seed_tasks, ready.get((pair, seed)), remember))
            self.listener(SeedDone(results[-1]))
        return results

    def _run_seed(
        self, pair: tuple[int, int], seed: int, tasks: Tasks, ready: ReadyA | None, remember: RememberA
    ) -> SeedResult:
        """All phases of one seed; a phase that diverges ends early and marks the seed, the others still run."""
        histories: dict[str, PhaseHistory] = {}
        if ready is None:
            model_a = self._trained_a(seed, tasks, histories)
            remember((pair, seed), model_a, histories[MODEL_A])
        else:
            model_a = ready.model
            if ready.history is not None:
                histories[MODEL_A] = ready.history
        if self.config.transfer.source == "b":  # the selffer control reuses the trained scratch model
            b_scratch = self._trained_scratch(seed, tasks, histories)
            b_on_a = self._trained_transfer(seed, tasks, b_scratch, histories)
        else:
            b_on_a = self._trained_transfer(seed, tasks, model_a, histories)
            b_scratch = self._trained_scratch(seed, tasks, histories)
        models = {MODEL_A: model_a, B_FINETUNE: b_on_a, B_SCRATCH: b_scratch}
        if ready is not None and ready.users_file:
            del models[MODEL_A]  # the user's own file stays where it is
        accuracies = (
            held_out_accuracy(model_a, tasks.a.x_test, tasks.a.y_test),
            held_out_accuracy(b_scratch, tasks.b.x_test, tasks.b.y_test),
            held_out_accuracy(b_on_a, tasks.b.x_test, tasks.b.y_test),
        )
        return self.seed_result(pair, seed, accuracies, histories, models)

    def _trained_a(self, seed: int, tasks: Tasks, histories: dict[str, PhaseHistory]) -> keras.Model:
        model = in_precision(initial_model_a(self.config.network, seed, len(tasks.a_classes)), self._precision)
        compile_model(model, A_LOSS, *self.phase_optimizer(MODEL_A))
        self._phase(model, tasks, MODEL_A, seed, histories)
        return model

    def _trained_transfer(
        self, seed: int, tasks: Tasks, source: keras.Model, histories: dict[str, PhaseHistory]
    ) -> keras.Model:
        """B on `source` (model A, or B from scratch for the selffer control): its first layers reused,
        frozen for the frozen epochs, then fine-tuned or kept frozen."""
        transfer = self.config.transfer
        reused = self.config.reused_layers
        model = in_precision(initial_transfer(source, seed, self.config.network, reused), self._precision)
        if transfer.frozen_epochs:
            set_reused_trainable(model, frozen_layers(B_FROZEN, reused, transfer.fine_tune) == 0, reused)
            compile_model(model, B_LOSS, *self.phase_optimizer(B_FROZEN))
            self._phase(model, tasks, B_FROZEN, seed, histories)
        set_reused_trainable(model, frozen_layers(B_FINETUNE, reused, transfer.fine_tune) == 0, reused)
        compile_model(model, B_LOSS, *self.phase_optimizer(B_FINETUNE))
        if transfer.unfrozen_epochs:
            self._phase(model, tasks, B_FINETUNE, seed, histories)
        return model

    def _trained_scratch(self, seed: int, tasks: Tasks, histories: dict[str, PhaseHistory]) -> keras.Model:
        model = in_precision(initial_scratch(self.config.network, seed), self._precision)
        compile_model(model, B_LOSS, *self.phase_optimizer(B_SCRATCH))
        self._phase(model, tasks, B_SCRATCH, seed, histories)
        return model

    @property
    def _precision(self) -> str:
        return self.config.run.precision

    def _phase(self, model: keras.Model, tasks: Tasks, phase: str, seed: int, histories: dict) -> None:
        index, planned = self.cursor.take(phase, (seed,))
        data = tasks.a if phase == MODEL_A else tasks.b
        histories[phase] = train_planned_model(
            model, data, seed=seed, index=index, planned=planned, session=self.session
        )
