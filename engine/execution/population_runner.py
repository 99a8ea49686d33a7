"""Several seeds at once: each phase trains all seeds as one Population, then every member is exported back
to a plain Keras model. Each member starts from exactly the weights the one-seed path would give it."""

from __future__ import annotations

from engine.data.split import Tasks
from engine.execution.plan import ReadyA, RememberA
from engine.execution.runner import Runner
from engine.networks.population import Population, member_accuracies
from engine.phases import B_FINETUNE, B_FROZEN, B_SCRATCH, MODEL_A
from engine.progress import SeedDone
from engine.results.experiment import SeedResult
from engine.results.history import PhaseHistory
from engine.training.population_trainer import member_data
from engine.training.starts import initial_model_a, initial_scratch, initial_transfer


class PopulationRunner(Runner):
    """Runs each phase once for all seeds of the config, consuming the plan's entries in order."""

    def run(
        self, pair: tuple[int, int], tasks: dict[int, Tasks], ready: dict[int, ReadyA], remember: RememberA
    ) -> list[SeedResult]:
        """Every seed of one pair at once; model A is trained unless every seed has one in `ready`."""
        seeds = tuple(tasks)
        net, transfer = self.config.network, self.config.transfer
        first = tasks[seeds[0]]
        histories: dict[int, dict[str, PhaseHistory]] = {seed: {} for seed in seeds}
        task_a = member_data([tasks[seed].a for seed in seeds])
        task_b = member_data([tasks[seed].b for seed in seeds])

        all_ready = set(seeds) <= set(ready)
        if all_ready:
            population_a = Population(net, len(first.a_classes), "softmax", [ready[s].model for s in seeds])
            for seed in seeds:
                if ready[seed].history is not None:
                    histories[seed][MODEL_A] = ready[seed].history
        else:
            population_a = Population(net, len(first.a_classes), "softmax", [initial_model_a(net, s) for s in seeds])
            self._phase(population_a, task_a, MODEL_A, seeds, histories, binary=False)
        models_a = [population_a.member_model(member, "model_a") for member in range(len(seeds))]
        if not all_ready:
            for seed, model in zip(seeds, models_a, strict=True):
                remember(seed, model, histories[seed][MODEL_A])

        population_scratch = Population(net, 1, "sigmoid", [initial_scratch(net, seed) for seed in seeds])
        if transfer.source == "b":  # the selffer control reuses the trained scratch models
            self._phase(population_scratch, task_b, B_SCRATCH, seeds, histories, binary=True)
            sources = [population_scratch.member_model(member, "b_scratch") for member in range(len(seeds))]
        else:
            sources = models_a
        reused = self.config.reused_layers
        transfer_members = [
            initial_transfer(source, seed, net, reused) for source, seed in zip(sources, seeds, strict=True)
        ]
        population_b = Population(net, 1, "sigmoid", transfer_members)
        if transfer.frozen_epochs:
            self._phase(population_b, task_b, B_FROZEN, seeds, histories, binary=True, frozen=reused)
        if transfer.unfrozen_epochs:
            frozen = 0 if transfer.fine_tune else reused
            self._phase(population_b, task_b, B_FINETUNE, seeds, histories, binary=True, frozen=frozen)
        if transfer.source == "a":
            self._phase(population_scratch, task_b, B_SCRATCH, seeds, histories, binary=True)

        accuracy_a = member_accuracies(population_a, first.a.x_test, first.a.y_test)
        accuracy_transfer = member_accuracies(population_b, first.b.x_test, first.b.y_test)
        accuracy_scratch = member_accuracies(population_scratch, first.b.x_test, first.b.y_test)
        results = []
        for member, seed in enumerate(seeds):
            models = {
                B_FINETUNE: population_b.member_model(member, "b_on_a"),
                B_SCRATCH: population_scratch.member_model(member, "b_scratch"),
            }
            if not (all_ready and ready[seed].users_file):  # the user's own file stays where it is
                models[MODEL_A] = models_a[member]
            accuracies = (accuracy_a[member], accuracy_scratch[member], accuracy_transfer[member])
            results.append(self.seed_result(pair, seed, accuracies, histories[seed], models))
            self.listener(SeedDone(results[-1]))
        return results

    def _phase(self, population, data, phase, seeds, histories, *, binary: bool, frozen: int = 0) -> None:
        entry = self.cursor.take(phase, seeds)
        phase_histories = self.train_entries(population, data, [entry], binary=binary, frozen=frozen)
        for seed, history in zip(seeds, phase_histories, strict=True):
            histories[seed][phase] = history
