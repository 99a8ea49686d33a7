"""The one phase loop and its hooks, with a trainer of plain numbers (no TensorFlow): what the listener hears, in
which order, what a checkpoint keeps, how a phase resumes and where a diverged member stops."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.progress import EpochDone, EpochMetrics, PhaseDone, PhaseStarted, PlannedPhase, StepsDone
from engine.results.history import PhaseHistory
from engine.storage.checkpoints import Checkpoints
from engine.training.phase_loop import Entry, EpochOutcome, PhaseHook, PhaseRun, Session, run_phase


class Counting:
    """Members whose one weight counts their epochs; member 1's loss turns NaN at `nan_at` (0-based)."""

    def __init__(self, members: int, nan_at: int | None = None) -> None:
        self.weights = np.zeros(members)
        self.nan_at = nan_at
        self.member_steps = [3] * members
        self.trained: list[int] = []

    def train_epoch(self, epoch, on_steps):
        self.trained.append(epoch)
        self.weights += 1
        on_steps(3)
        return [
            EpochOutcome(
                EpochMetrics(
                    math.nan if (m == 1 and epoch == self.nan_at) else 1.0 / (epoch + 1),
                    0.5,
                    0.7,
                    0.6 + epoch / 100,
                    0.1,
                )
            )
            for m in range(len(self.weights))
        ]

    def states(self, parts):
        return [([self.weights[part].copy()], [np.array(len(self.trained))]) for part in parts]

    def restore(self, states):
        self.weights = np.concatenate([weights[0] for weights, _ in states])


def _run(trainer, entries, epochs=3) -> PhaseRun:
    seeds = tuple(range(1, len(trainer.weights) + 1))
    return PhaseRun(trainer, "b_scratch", seeds, epochs, entries, [PhaseHistory() for _ in seeds])


def _entries() -> tuple[Entry, ...]:
    first, second = PlannedPhase("b_scratch", (1, 2), 3, 3, (5, 6)), PlannedPhase("b_scratch", (3,), 3, 3, (0, 2))
    return Entry(4, first, slice(0, 2)), Entry(7, second, slice(2, 3))


def test_progress_and_checkpoints_hang_on_the_loop_in_order(tmp_path) -> None:
    heard: list = []
    saved_before_told: list[bool] = []
    checkpoints = Checkpoints(tmp_path)

    def listener(event) -> None:
        heard.append(event)
        if isinstance(event, EpochDone):  # an epoch shown is an epoch kept
            state = checkpoints.load(_entries()[0 if event.index == 4 else 1].planned)
            saved_before_told.append(state is not None and state.epochs_done == event.epoch)

    histories = run_phase(_run(Counting(3), _entries()), Session(listener, checkpoints=checkpoints).hooks())
    assert [len(h.loss) for h in histories] == [3, 3, 3]
    assert heard[:2] == [PhaseStarted(4, _entries()[0].planned), PhaseStarted(7, _entries()[1].planned)]
    assert heard[2:4] == [StepsDone(4, 0, 3), StepsDone(7, 0, 3)]
    assert [(e.index, e.seed, e.epoch) for e in heard[4:7]] == [(4, 1, 1), (4, 2, 1), (7, 3, 1)]
    assert heard[-2:] == [PhaseDone(4), PhaseDone(7)]
    assert all(saved_before_told) and len(saved_before_told) == 9


def test_a_phase_resumes_from_its_checkpoints_and_replays_what_it_had(tmp_path) -> None:
    checkpoints = Checkpoints(tmp_path)

    class StopAfterTwo(PhaseHook):
        def on_epoch_end(self, run, epoch) -> None:
            if epoch == 1:
                raise KeyboardInterrupt

    first = Counting(3)
    with pytest.raises(KeyboardInterrupt):
        run_phase(_run(first, _entries()), [*Session(checkpoints=checkpoints).hooks(), StopAfterTwo()])
    heard: list = []
    again = Counting(3)
    histories = run_phase(_run(again, _entries()), Session(heard.append, checkpoints=checkpoints).hooks())
    assert again.trained == [2]  # epochs 0 and 1 were kept
    assert list(again.weights) == [3, 3, 3]
    restored = [e for e in heard if isinstance(e, EpochDone) and e.restored]
    assert [(e.index, e.seed, e.epoch) for e in restored] == [
        (4, 1, 1),
        (4, 1, 2),
        (4, 2, 1),
        (4, 2, 2),
        (7, 3, 1),
        (7, 3, 2),
    ]
    assert [len(h.loss) for h in histories] == [3, 3, 3]

    # an entry without a state, or with one of other epochs, makes the group start over (same numbers, later)
    behind = checkpoints.load(_entries()[1].planned)
    behind.epochs_done = 1
    checkpoints.save(_entries()[1].planned, behind)
    fresh = Counting(3)
    run_phase(_run(fresh, _entries()), Session(checkpoints=checkpoints).hooks())
    assert fresh.trained == [0, 1, 2]
    checkpoints.path(_entries()[1].planned).unlink()
    fresh = Counting(3)
    run_phase(_run(fresh, _entries()), Session(checkpoints=checkpoints).hooks())
    assert fresh.trained == [0, 1, 2]


def test_a_diverged_member_is_no_longer_recorded_and_the_phase_ends_when_all_have() -> None:
    heard: list = []
    trainer = Counting(2, nan_at=0)
    histories = run_phase(_run(trainer, (Entry(0, None, slice(0, 2)),)), Session(heard.append).hooks())
    assert histories[1].diverged and len(histories[1].loss) == 1
    assert not histories[0].diverged and len(histories[0].loss) == 3
    assert not any(isinstance(e, (PhaseStarted, PhaseDone)) for e in heard)  # outside any plan
    everyone = Counting(2)
    everyone.train_epoch = lambda epoch, on_steps: [EpochOutcome(EpochMetrics(math.inf, 0, 0, 0, 0), True)] * 2
    assert [len(h.loss) for h in run_phase(_run(everyone, (Entry(0, None, slice(0, 2)),)), [])] == [1, 1]
    assert trainer.trained == [0, 1, 2]


def test_with_a_save_interval_a_phase_saves_only_when_it_is_due_and_at_its_end(tmp_path) -> None:
    """A tuning's phases save at most every so many seconds and after their last epoch; stopped in between, a
    phase starts over from its last save (here: from the start)."""
    checkpoints = Checkpoints(tmp_path)

    class StopAfterTwo(PhaseHook):
        def on_epoch_end(self, run, epoch) -> None:
            if epoch == 1:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_phase(
            _run(Counting(3), _entries()),
            [*Session(checkpoints=checkpoints, checkpoint_seconds=3600).hooks(), StopAfterTwo()],
        )
    assert not any(tmp_path.iterdir())  # nothing was due
    again = Counting(3)
    run_phase(_run(again, _entries()), Session(checkpoints=checkpoints, checkpoint_seconds=3600).hooks())
    assert again.trained == [0, 1, 2]
    assert checkpoints.load(_entries()[0].planned).epochs_done == 3  # the phase's end is always saved
