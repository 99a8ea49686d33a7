"""What both ways of training share: the config, the plan, where progress goes, and what to keep."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.config import ExperimentConfig
from engine.data.packing import IndexedData, MemberData
from engine.execution.plan import PlanCursor
from engine.networks.model_files import save_model
from engine.networks.population import Population
from engine.paths import model_file
from engine.phases import B_FINETUNE, B_FROZEN, B_SCRATCH, MODEL_A
from engine.progress import Listener, PlannedPhase, StopToken
from engine.results.experiment import SeedResult
from engine.results.history import PhaseHistory
from engine.runtime import keras
from engine.storage.checkpoints import Checkpoints
from engine.training.phase_loop import Session
from engine.training.population_trainer import PopulationTrainer, train_planned_group


def phase_optimizer(config: ExperimentConfig, phase: str) -> tuple[str, float]:
    """The optimizer and learning rate a phase trains with: B's unfrozen epochs take the unfrozen rate also
    when the reused layers stay frozen."""
    transfer = config.transfer
    return {
        MODEL_A: (config.train_a.optimizer, config.train_a.learning_rate),
        B_FROZEN: (transfer.optimizer, transfer.frozen_learning_rate),
        B_FINETUNE: (transfer.optimizer, transfer.unfrozen_learning_rate),
        B_SCRATCH: (transfer.optimizer, transfer.scratch_learning_rate),
    }[phase]


@dataclass
class Runner:
    """What both ways of training share: the config, the plan, where progress goes, and what to keep."""

    config: ExperimentConfig
    cursor: PlanCursor
    listener: Listener
    stop: StopToken
    save_dir: Path | None
    checkpoints: Checkpoints | None = None

    def phase_optimizer(self, phase: str) -> tuple[str, float]:
        return phase_optimizer(self.config, phase)

    @property
    def session(self) -> Session:
        """What every phase of the run shares: its listener, stop, checkpoints and batch size."""
        return Session(self.listener, self.stop, self.checkpoints, self.config.run.batch_size)

    def train_entries(
        self,
        population: Population,
        data: MemberData | IndexedData,
        entries: list[tuple[int, PlannedPhase]],
        *,
        binary: bool,
        frozen: int = 0,
    ) -> list[PhaseHistory]:
        """Train plan entries of one phase as one population, with the phase's optimizer and learning rate."""
        optimizer, learning_rate = self.phase_optimizer(entries[0][1].phase)
        trainer = PopulationTrainer(
            population, binary=binary, optimizer=optimizer, learning_rate=learning_rate, frozen=frozen
        )
        return train_planned_group(trainer, data, entries, self.session)

    def seed_result(
        self,
        pair: tuple[int, int],
        seed: int,
        accuracies: tuple[float, float, float],
        histories: dict[str, PhaseHistory],
        models: dict[str, keras.Model],
    ) -> SeedResult:
        """Save a seed's trained models in the run folder (if it keeps them) and say what the seed gave.
        `accuracies` are the test accuracies of A, B from scratch and B on A; `models` is keyed by role."""
        model_files = {}
        if self.save_dir is not None:
            for role, model in models.items():
                model_files[role] = str(save_model(model, model_file(self.save_dir, pair, seed, role)))
        acc_a, acc_scratch, acc_transfer = accuracies
        return SeedResult(
            seed=seed,
            b_classes=pair,
            test_acc_a=acc_a,
            test_acc_b_scratch=acc_scratch,
            test_acc_b_transfer=acc_transfer,
            history={phase: history.as_dict() for phase, history in histories.items()},
            diverged=next((phase for phase, history in histories.items() if history.diverged), None),
            model_files=model_files,
        )
