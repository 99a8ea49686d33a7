"""Members trained together: each phase trains every member (a class pair and a seed) as one Population, then
every member is exported back to a plain Keras model. One pair's seeds, or several pairs' seeds that index one
shared copy of the images, are both lists of members; each member starts from exactly the weights, and sees
exactly the batches, it would get alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.classes import N_CLASSES
from engine.data.fashion_mnist import Dataset
from engine.data.packing import IndexedData, MemberData, indexed_data, member_data
from engine.data.pair_index import SharedImages, indexed_tasks
from engine.data.split import Tasks
from engine.execution.plan import Member, ReadyA, RememberA
from engine.execution.runner import Runner
from engine.networks.population import Population, indexed_accuracies, member_accuracies
from engine.phases import B_FINETUNE, B_FROZEN, B_SCRATCH, MODEL_A, frozen_layers
from engine.progress import SeedDone
from engine.results.experiment import SeedResult
from engine.results.history import PhaseHistory
from engine.training.starts import initial_model_a, initial_scratch, initial_transfer

N_A_CLASSES = N_CLASSES - 2
Accuracies = Callable[[Population], list[float]]


@dataclass(frozen=True)
class MemberTasks:
    """What a population's members train on (tasks A and B) and how their test accuracies are read, whether the
    members share their images (one pair's seeds) or index one shared copy (several pairs)."""

    a: MemberData | IndexedData
    b: MemberData | IndexedData
    test_a: Accuracies
    test_b: Accuracies


def shared_tasks(tasks: Sequence[Tasks]) -> MemberTasks:
    """One pair's tasks for each member (a seed each): stacked, one copy where the members' arrays are shared."""
    first = tasks[0]
    return MemberTasks(
        member_data([t.a for t in tasks]),
        member_data([t.b for t in tasks]),
        lambda population: member_accuracies(population, first.a.x_test, first.a.y_test),
        lambda population: member_accuracies(population, first.b.x_test, first.b.y_test),
    )


def indexed_member_tasks(dataset: Dataset, images: SharedImages, config, members: Sequence[Member]) -> MemberTasks:
    """Each member's tasks as positions in `images`, for members of different class pairs."""
    tasks = [indexed_tasks(dataset, config.split, pair, seed) for pair, seed in members]
    a_tasks, b_tasks = [a for a, _ in tasks], [b for _, b in tasks]

    def tested(population: Population, on: list) -> list[float]:
        return indexed_accuracies(population, images.test, [t.test for t in on], [t.y_test for t in on])

    return MemberTasks(
        indexed_data(images.train, a_tasks),
        indexed_data(images.train, b_tasks),
        lambda population: tested(population, a_tasks),
        lambda population: tested(population, b_tasks),
    )


class PopulationRunner(Runner):
    """Runs the phases of the experiment for a list of members, each phase once for all of them, following the
    plan's entries (one per class pair of the members)."""

    def run(
        self, members: list[Member], tasks: MemberTasks, ready: dict[Member, ReadyA], remember: RememberA
    ) -> list[SeedResult]:
        """Every member at once; model A is trained unless every member has one in `ready`."""
        net, transfer = self.config.network, self.config.transfer
        histories: dict[Member, dict[str, PhaseHistory]] = {member: {} for member in members}

        all_ready = all(member in ready for member in members)
        if all_ready:
            population_a = Population(
                net,
                N_A_CLASSES,
                "softmax",
                [ready[member].model for member in members],
                precision=self.config.run.precision,
            )
            for member in members:
                if ready[member].history is not None:
                    histories[member][MODEL_A] = ready[member].history
        else:
            starts = [initial_model_a(net, seed) for _, seed in members]
            population_a = Population(net, N_A_CLASSES, "softmax", starts, precision=self.config.run.precision)
            self._phase(population_a, tasks.a, MODEL_A, members, histories, binary=False)
        models_a = [population_a.member_model(number, "model_a") for number in range(len(members))]
        if not all_ready:
            for member, model in zip(members, models_a, strict=True):
                remember(member, model, histories[member][MODEL_A])

        population_scratch = Population(
            net, 1, "sigmoid", [initial_scratch(net, seed) for _, seed in members], precision=self.config.run.precision
        )
        if transfer.source == "b":  # the selffer control reuses the trained scratch models
            self._phase(population_scratch, tasks.b, B_SCRATCH, members, histories, binary=True)
            sources = [population_scratch.member_model(number, "b_scratch") for number in range(len(members))]
        else:
            sources = models_a
        reused = self.config.reused_layers
        transfer_starts = [
            initial_transfer(source, seed, net, reused) for source, (_, seed) in zip(sources, members, strict=True)
        ]
        population_b = Population(net, 1, "sigmoid", transfer_starts, precision=self.config.run.precision)
        for phase, epochs in ((B_FROZEN, transfer.frozen_epochs), (B_FINETUNE, transfer.unfrozen_epochs)):
            if epochs:
                frozen = frozen_layers(phase, reused, transfer.fine_tune)
                self._phase(population_b, tasks.b, phase, members, histories, binary=True, frozen=frozen)
        if transfer.source == "a":
            self._phase(population_scratch, tasks.b, B_SCRATCH, members, histories, binary=True)

        accuracy_a = tasks.test_a(population_a)
        accuracy_transfer = tasks.test_b(population_b)
        accuracy_scratch = tasks.test_b(population_scratch)
        results = []
        for number, member in enumerate(members):
            models = {
                B_FINETUNE: population_b.member_model(number, "b_on_a"),
                B_SCRATCH: population_scratch.member_model(number, "b_scratch"),
            }
            if not (all_ready and ready[member].users_file):  # the user's own file stays where it is
                models[MODEL_A] = models_a[number]
            accuracies = (accuracy_a[number], accuracy_scratch[number], accuracy_transfer[number])
            pair, seed = member
            results.append(self.seed_result(pair, seed, accuracies, histories[member], models))
            self.listener(SeedDone(results[-1]))
        return results

    def _phase(self, population, data, phase, members, histories, *, binary: bool, frozen: int = 0) -> None:
        """One phase for every member: the plan's next entry for each of the members' pairs, in their order."""
        entries = []
        for pair in dict.fromkeys(pair for pair, _ in members):
            seeds = tuple(seed for member_pair, seed in members if member_pair == pair)
            index, planned = self.cursor.take(phase, seeds)
            if planned.pair != pair:
                raise RuntimeError(f"plan entry {index} is for pair {planned.pair}, not {pair}")
            entries.append((index, planned))
        phase_histories = self.train_entries(population, data, entries, binary=binary, frozen=frozen)
        for member, history in zip(members, phase_histories, strict=True):
            histories[member][phase] = history
