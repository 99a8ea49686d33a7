"""Several class pairs at once: the members of a population need not share a task. Each member (a pair and a
seed) indexes one shared copy of the images, so the models A of every pair and seed of a group train together,
then their B on A, then their B from scratch. Each member starts from exactly the weights, and sees exactly the
batches, it would get alone."""

from __future__ import annotations

from collections.abc import Callable

from engine.data.classes import N_CLASSES
from engine.data.fashion_mnist import Dataset
from engine.data.pair_index import IndexedTask, SharedImages, indexed_tasks
from engine.execution.plan import ReadyA, RememberA
from engine.execution.runner import Runner
from engine.networks.population import Population, indexed_accuracies
from engine.phases import B_FINETUNE, B_FROZEN, B_SCRATCH, MODEL_A
from engine.progress import SeedDone
from engine.results.experiment import SeedResult
from engine.results.history import PhaseHistory
from engine.training.population_trainer import IndexedData, indexed_data
from engine.training.starts import initial_model_a, initial_scratch, initial_transfer

Pair = tuple[int, int]
Member = tuple[Pair, int]  # (pair, seed)
N_A_CLASSES = N_CLASSES - 2


class PairsRunner(Runner):
    """Runs a group of pairs (every seed of each) as one population per phase, following the plan's entries."""

    def run_group(
        self,
        dataset: Dataset,
        images: SharedImages,
        pairs: list[Pair],
        ready: dict[Pair, dict[int, ReadyA]],
        remember: Callable[[Pair], RememberA],
    ) -> list[SeedResult]:
        """Every seed of every pair in `pairs`; model A is trained unless every member has one in `ready`."""
        net, transfer, seeds = self.config.network, self.config.transfer, self.config.run.seeds
        members: list[Member] = [(pair, seed) for pair in pairs for seed in seeds]
        tasks = {member: indexed_tasks(dataset, self.config.split, *member) for member in members}
        task_a = indexed_data(images.train, [tasks[m][0] for m in members])
        task_b = indexed_data(images.train, [tasks[m][1] for m in members])
        histories: dict[Member, dict[str, PhaseHistory]] = {member: {} for member in members}

        all_ready = all(seed in ready.get(pair, {}) for pair, seed in members)
        if all_ready:
            population_a = Population(net, N_A_CLASSES, "softmax", [ready[pair][seed].model for pair, seed in members])
            for pair, seed in members:
                if ready[pair][seed].history is not None:
                    histories[(pair, seed)][MODEL_A] = ready[pair][seed].history
        else:
            population_a = Population(net, N_A_CLASSES, "softmax", [initial_model_a(net, seed) for _, seed in members])
            self._phase(population_a, task_a, MODEL_A, members, histories, binary=False)
        models_a = [population_a.member_model(number, "model_a") for number in range(len(members))]
        if not all_ready:
            for (pair, seed), model in zip(members, models_a, strict=True):
                remember(pair)(seed, model, histories[(pair, seed)][MODEL_A])

        population_scratch = Population(net, 1, "sigmoid", [initial_scratch(net, seed) for _, seed in members])
        if transfer.source == "b":  # the selffer control reuses the trained scratch models
            self._phase(population_scratch, task_b, B_SCRATCH, members, histories, binary=True)
            sources = [population_scratch.member_model(number, "b_scratch") for number in range(len(members))]
        else:
            sources = models_a
        reused = self.config.reused_layers
        population_b = Population(
            net,
            1,
            "sigmoid",
            [initial_transfer(source, seed, net, reused) for source, (_, seed) in zip(sources, members, strict=True)],
        )
        if transfer.frozen_epochs:
            self._phase(population_b, task_b, B_FROZEN, members, histories, binary=True, frozen=reused)
        if transfer.unfrozen_epochs:
            frozen = 0 if transfer.fine_tune else reused
            self._phase(population_b, task_b, B_FINETUNE, members, histories, binary=True, frozen=frozen)
        if transfer.source == "a":
            self._phase(population_scratch, task_b, B_SCRATCH, members, histories, binary=True)

        accuracy_a = _test_accuracies(population_a, images, [tasks[m][0] for m in members])
        b_tests = [tasks[m][1] for m in members]
        accuracy_transfer = _test_accuracies(population_b, images, b_tests)
        accuracy_scratch = _test_accuracies(population_scratch, images, b_tests)
        results = []
        for number, (pair, seed) in enumerate(members):
            models = {
                B_FINETUNE: population_b.member_model(number, "b_on_a"),
                B_SCRATCH: population_scratch.member_model(number, "b_scratch"),
            }
            if not all_ready:
                models[MODEL_A] = models_a[number]
            accuracies = (accuracy_a[number], accuracy_scratch[number], accuracy_transfer[number])
            results.append(self.seed_result(pair, seed, accuracies, histories[(pair, seed)], models))
            self.listener(SeedDone(results[-1]))
        return results

    def _phase(self, population, data: IndexedData, phase, members, histories, *, binary: bool, frozen: int = 0):
        seeds = self.config.run.seeds
        pairs = list(dict.fromkeys(pair for pair, _ in members))
        entries = []
        for pair in pairs:
            index, planned = self.cursor.take(phase, seeds)
            if planned.pair != pair:
                raise RuntimeError(f"plan entry {index} is for pair {planned.pair}, not {pair}")
            entries.append((index, planned))
        phase_histories = self.train_entries(population, data, entries, binary=binary, frozen=frozen)
        for member, history in zip(members, phase_histories, strict=True):
            histories[member][phase] = history


def _test_accuracies(population: Population, images: SharedImages, tasks: list[IndexedTask]) -> list[float]:
    return indexed_accuracies(population, images.test, [t.test for t in tasks], [t.y_test for t in tasks])
