"""Per-phase checkpoints, so an interrupted run continues from its last finished epoch.

After every epoch, each phase in progress saves its weights, its optimizer's state and its
per-member history to <run>/checkpoints/phase<index>.npz (written to a temporary name, then
renamed). The data order of every epoch depends only on (seed, phase, epoch), so a resumed run
sees exactly the batches it would have seen, and ends with the same numbers.
"""

from __future__ import annotations

import io
import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.fileio import atomic_path
from engine.progress import PlannedPhase
from engine.results.history import PhaseHistory

log = logging.getLogger(__name__)


@dataclass
class PhaseState:
    """Where a phase stands: finished epochs, one history per member, weights and optimizer variables, and what
    the phase's hooks keep besides (`extras`: arrays by name, such as each member's best epoch so far)."""

    epochs_done: int
    histories: list[PhaseHistory]
    weights: list[np.ndarray]
    optimizer: list[np.ndarray]
    extras: dict[str, np.ndarray] = field(default_factory=dict)


class Checkpoints:
    """The checkpoint folder of one run; a file that cannot be read is set aside and counts as missing."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, planned: PlannedPhase) -> Path:
        return self.folder / f"phase_{planned.key}.npz"

    def save(self, planned: PlannedPhase, state: PhaseState) -> None:
        self.save_bytes(planned, state_bytes(state))

    def save_bytes(self, planned: PlannedPhase, data: bytes) -> None:
        """A state that arrived as bytes (from a unit on a cluster), written as save() writes it."""
        with atomic_path(self.path(planned)) as temp:
            temp.write_bytes(data)

    def load(self, planned: PlannedPhase) -> PhaseState | None:
        """The phase's last state, or None: never saved, or unreadable (then renamed *.corrupt-<time>, logged,
        and the phase simply starts over, which gives the same numbers, only later)."""
        path = self.path(planned)
        if not path.is_file():
            return None
        try:
            return state_from_bytes(path.read_bytes())
        except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
            path.rename(aside)
            log.warning("%s: unreadable checkpoint (%s); moved to %s, the phase starts over", path, exc, aside.name)
            return None

    def clear(self) -> None:
        """Once a run has finished its checkpoints are no use: free the disk."""
        shutil.rmtree(self.folder, ignore_errors=True)


def state_bytes(state: PhaseState) -> bytes:
    """A phase's state as one .npz archive: JSON meta (epochs done, histories), weights w*, optimizer o*."""
    meta = {"epochs_done": state.epochs_done, "histories": [h.to_dict() for h in state.histories]}
    arrays = {f"w{i}": w for i, w in enumerate(state.weights)}
    arrays |= {f"o{i}": v for i, v in enumerate(state.optimizer)}
    arrays |= {f"x_{name}": v for name, v in state.extras.items()}
    stream = io.BytesIO()
    np.savez(stream, meta=np.array(json.dumps(meta)), **arrays)
    return stream.getvalue()


def state_from_bytes(data: bytes) -> PhaseState:
    """What state_bytes wrote; raises ValueError, KeyError, ... on a damaged archive."""
    with np.load(io.BytesIO(data)) as archive:
        meta = json.loads(str(archive["meta"]))
        weights = [archive[f"w{i}"] for i in range(sum(k.startswith("w") for k in archive.files))]
        optimizer = [archive[f"o{i}"] for i in range(sum(k.startswith("o") for k in archive.files))]
        extras = {k.removeprefix("x_"): archive[k] for k in archive.files if k.startswith("x_")}
    histories = [PhaseHistory.from_dict(h) for h in meta["histories"]]
    return PhaseState(meta["epochs_done"], histories, weights, optimizer, extras)


def optimizer_values(optimizer: Any) -> list[np.ndarray]:
    """A Keras optimizer's whole state (iterations, slots) as arrays."""
    return [np.array(variable) for variable in optimizer.variables]


def restore_optimizer(optimizer: Any, trainable: list, values: list[np.ndarray]) -> None:
    """Give a fresh optimizer for `trainable` the saved state, so the next step is the step that was next."""
    if not optimizer.built:
        optimizer.build(trainable)
    for variable, value in zip(optimizer.variables, values, strict=True):
        variable.assign(value)
