"""How long a run in progress has left: the work its plan has left (FLOPs, entry by entry: a step of model A on
44,000 images weighs more than one of B's 200), at the rate the run has trained since its first epoch ended (that
epoch also paid for loading and compiling, which made the first estimates several times too long), or before that
at the rate this machine's earlier runs measured."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.config import ExperimentConfig, NetworkConfig
from engine.config.presets import study_networks
from engine.execution.cost import about, entry_flops
from engine.progress import EpochDone, PlannedPhase, ProgressEvent, RunPlanned
from engine.trains import Network
from tui.state.run_state import RunState

STEADY_AFTER_SECONDS = 2.0  # the run's own rate is read once it has trained this long after its first epoch


@dataclass
class RunClock:
    """Fed the run's events (and the time of each) after its RunState, says how long is left."""

    config: ExperimentConfig
    prior_rate: float | None = None  # FLOP/s this machine's earlier runs measured; None: not measured
    step_flops: list[float] = field(default_factory=list)  # per plan entry, the work of one of its steps
    first_epoch: tuple[float, float] | None = None  # (time, work done) when the run's first epoch ended

    def apply(self, event: ProgressEvent, state: RunState, now: float) -> None:
        if isinstance(event, RunPlanned):
            networks = dict(study_networks(self.config))
            n_b = self.config.split.n_train_b
            self.step_flops = [entry_flops(p, self._network(p, networks), n_b) / max(p.steps, 1) for p in event.plan]
            self.first_epoch = None
        elif isinstance(event, EpochDone) and self.first_epoch is None and not event.restored:
            self.first_epoch = (now, self.done(state))

    def _network(self, planned: PlannedPhase, networks: dict[str, NetworkConfig]) -> NetworkConfig:
        """The network a plan entry trains: a map's own for each of its networks, else the config's."""
        return networks[planned.trains.name] if isinstance(planned.trains, Network) else self.config.network

    def done(self, state: RunState) -> float:
        return sum(self.step_flops[index] * steps for index, steps in state.steps_done.items())

    def seconds_left(self, state: RunState, now: float) -> float | None:
        """None while there is nothing to go on: no epoch ended yet and no rate measured here before."""
        if not self.step_flops:
            return None
        left = sum(flops * planned.steps for flops, planned in zip(self.step_flops, state.plan, strict=True))
        left -= self.done(state)
        rate = self.prior_rate
        if self.first_epoch is not None:
            since, done_then = self.first_epoch
            if now - since >= STEADY_AFTER_SECONDS and self.done(state) > done_then:
                rate = (self.done(state) - done_then) / (now - since)
        return None if rate is None else max(left, 0.0) / rate

    def words(self, state: RunState, now: float) -> str:
        """'about 3 min left', or 'timing it' while there is nothing to go on (the first epoch pays for compiling)."""
        seconds = self.seconds_left(state, now)
        return "timing it" if seconds is None else f"{about(seconds)} left"
