"""Runs a kind of run on a Ray cluster: the driver (this process) cuts it into units, puts the data in the
object store once, starts a task per unit, passes every unit's events on as they come (their plan entries
renumbered into the run's plan), writes the checkpoints and model files into the run folder, and puts the
units' results together. The numbers are the in-process run's: units are cut where a cut changes nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import socket
from pathlib import Path
from typing import IO, Any

from engine.config import ClusterConfig, ExperimentConfig, config_to_dict
from engine.data.fashion_mnist import Dataset
from engine.errors import ClusterError
from engine.execution.units import Unit, UnitOutcome, UnitPlaced, UnitSpec
from engine.fileio import atomic_path
from engine.kinds import RunContext, RunKind
from engine.progress import AtPlanEntry, ClusterStatus, EpochDone, PartDone, RunPlanned
from engine.results.protocol import RunResult
from engine.results.words import plural

POLL_SECONDS = 0.2
HEAD_NODE = "node:__internal_head__"  # the resource only Ray's head node has
CONNECT_SECONDS = 5.0
INSTALL_HINT = "Ray is not installed; install it with: pip install 'transfer-tui[ray]'"
CLIENT_ATTEMPTS = 3  # Ray Client connections, when the head's server for the client fails to start


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ClusterError(INSTALL_HINT) from None
    return ray


def in_our_words(ray_message: str) -> str:
    """Ray's reason, without its advice about flags and variables of Ray's own that this tool does not take."""
    if ray_message.startswith("Could not find any running Ray instance"):
        return (
            "no Ray cluster is running on this machine; start one (ray start --head) or give --cluster local, "
            "HOST:PORT or ray://HOST:10001"
        )
    return ray_message


def connect(cluster: ClusterConfig) -> Any:
    """Ray, connected to the cluster `cluster.address` names (started here for "local"); a one-line error
    within seconds if it cannot be reached."""
    ray = import_ray()
    address = cluster.address
    if ray.is_initialized():
        if getattr(connect, "address", None) == address:
            return ray
        ray.shutdown()
    if address not in ("local", "auto"):
        _check_reachable(address, *cluster.host_port())
    options: dict[str, Any] = {"log_to_driver": False, "logging_level": "ERROR", "configure_logging": True}
    if address == "local":  # bound to the loopback address: nothing leaves this machine
        options |= {"include_dashboard": False, "_node_ip_address": "127.0.0.1"}
    for attempt in range(1, CLIENT_ATTEMPTS + 1):
        try:
            # Ray wants real files behind stdout and stderr (the app's are not); what it prints goes to its log
            with open_ray_log() as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                ray.init(address=address, **options)
            break
        except Exception as exc:  # Ray raises ConnectionError, RuntimeError or ValueError, by version
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if address.startswith("ray://") and "Initialization failure" in first_line and attempt < CLIENT_ATTEMPTS:
                continue  # the head's server for this client died as it started (seen 1 time in 4): a new one
            raise ClusterError(f"cannot use the Ray cluster at {address}: {in_our_words(first_line)}") from None
    connect.address = address  # type: ignore[attr-defined]
    _ray_messages_to_log(ray)
    return ray


def _ray_messages_to_log(ray: Any) -> None:
    """Ray's driver prints the cluster's error messages (a task retried, a node marked dead) on stdout, where
    they would break the CLI's rows and the app's screen; they go to resources/logs/ray.log instead, and the
    run says in its own words what happened (a unit started again)."""
    worker = ray._private.worker
    if not hasattr(worker, "print_to_stdstream"):
        return

    def to_log(data: dict[str, Any], ignore_prefix: bool) -> None:
        with open_ray_log() as log:
            log.writelines(f"{line}\n" for line in data.get("lines", []))

    worker.print_to_stdstream = to_log


def open_ray_log() -> IO[str]:
    """resources/logs/ray.log for appending, or the null device when it cannot be written."""
    from engine.paths import log_dir

    try:
        log_dir().mkdir(parents=True, exist_ok=True)
        return open(log_dir() / "ray.log", "a")
    except OSError:
        return open(os.devnull, "w")


def _check_reachable(address: str, host: str, port: int) -> None:
    try:
        with socket.create_connection((host, port), timeout=CONNECT_SECONDS):
            pass
    except OSError as exc:
        raise ClusterError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from None


@dataclasses.dataclass(frozen=True)
class Capacity:
    """What the cluster offers units: how many fit at once, and what each asks for."""

    nodes: int
    gpus: float
    workers: int
    cpus_per_unit: float
    gpus_per_unit: float


def capacity(ray: Any, cluster: ClusterConfig) -> Capacity:
    """How many units fit on the cluster's live nodes at once; a one-line error when none does."""
    nodes = [node["Resources"] for node in ray.nodes() if node.get("Alive")]
    gpus = sum(node.get("GPU", 0) for node in nodes)
    gpus_per_unit = (1.0 if gpus else 0.0) if cluster.gpus_per_unit == -1 else cluster.gpus_per_unit
    cpus_per_unit = cluster.cpus_per_unit
    workers = 0
    for node in nodes:
        fits = math.floor(node.get("CPU", 0) / cpus_per_unit + 1e-9)
        if gpus_per_unit:
            fits = min(fits, math.floor(node.get("GPU", 0) / gpus_per_unit + 1e-9))
        workers += fits
    if workers == 0:
        offered = "; ".join(f"{node.get('CPU', 0):g} CPUs, {node.get('GPU', 0):g} GPUs" for node in nodes) or "none"
        raise ClusterError(
            f"no node of the Ray cluster at {cluster.address} has {cpus_per_unit:g} CPUs and {gpus_per_unit:g} GPUs "
            f"for a unit (nodes: {offered}); lower --cpus-per-unit or --gpus-per-unit"
        )
    return Capacity(len(nodes), gpus, workers, cpus_per_unit, gpus_per_unit)


def run_on_cluster(kind: RunKind, config: ExperimentConfig, dataset: Dataset, context: RunContext) -> RunResult:
    """`kind` run on the cluster `config.cluster` names, as the in-process run would: same events, same folder,
    same numbers. A stop request reaches every unit within a second or so; finished work is kept."""
    ray = connect(config.cluster)
    fit = capacity(ray, config.cluster)
    study = kind.study()
    # planned with the options a unit gets: files the run reads (the user's model A) are read and checked here
    unit_options = context.options.for_unit(context.options.input_files())
    units, offset = [], 0
    for number, (part, indexed) in enumerate(study.cut_kind(config, fit.workers)):
        plan = tuple(study.plan_kind(part, dataset, unit_options, indexed))
        units.append(Unit(number, part, offset, plan, indexed, study.unit_words(part)))
        offset += len(plan)
    # a unit's groups are its own: each unit numbers its groups from 0, the run numbers them across units
    numbers: dict[tuple[int, int], int] = {}
    plan = tuple(
        planned
        if planned.group is None
        else dataclasses.replace(planned, group=numbers.setdefault((unit.number, planned.group), len(numbers)))
        for unit in units
        for planned in unit.plan
    )
    context.listener(RunPlanned(plan))
    return _Driver(ray, kind, config, context, units, plan, fit).run(dataset)


class _Driver:
    """One run's units on the cluster, and the relay of what they send."""

    def __init__(self, ray, kind, config, context, units, plan, fit: Capacity) -> None:
        self.ray, self.kind, self.config, self.context = ray, kind, config, context
        self.units, self.plan, self.fit = units, plan, fit
        self.epochs_seen: set[tuple[int, int, int]] = set()
        self.placements: dict[int, str] = {}
        self.partial: dict[int, Any] = {}
        self.status: ClusterStatus | None = None

    def run(self, dataset: Dataset) -> RunResult:
        from engine.execution.ray_units import Mailbox, run_unit

        ray, options = self.ray, self.context.options
        # on the head node, which outlives the others: a unit whose node dies finds its checkpoints there
        mailbox = Mailbox.options(resources={HEAD_NODE: 0.001}).remote(self._saved_checkpoints())
        data = ray.put(dataset)
        files = {name: (path.name, path.read_bytes()) for name, path in options.input_files().items()}
        pending = {}
        for unit in self.units:
            spec = UnitSpec(
                self.kind.name, config_to_dict(unit.config), unit.indexed, unit.number, unit.plan, options, files
            )
            ref = run_unit.options(num_cpus=self.fit.cpus_per_unit, num_gpus=self.fit.gpus_per_unit).remote(
                spec, data, mailbox
            )
            pending[ref] = unit
        finished: dict[int, UnitOutcome] = {}
        self._tell_status(pending, finished)  # before any unit's event: progress views learn units run side by side
        stop_sent = False
        try:
            while pending:
                if self.context.stop.requested and not stop_sent:
                    mailbox.request_stop.remote()
                    stop_sent = True
                done, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_SECONDS)
                self._relay(ray.get(mailbox.drain.remote()), pending, finished)
                for ref in done:
                    unit = pending.pop(ref)
                    finished[unit.number] = self._outcome(ref)
            self._relay(ray.get(mailbox.drain.remote()), pending, finished)
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise
        finally:
            ray.kill(mailbox)
        parts = [self._kept(finished[unit.number]) for unit in self.units]
        result = self.kind.result_type.merged(config_to_dict(self.config), parts)
        return dataclasses.replace(result, device=f"Ray, {plural(self.fit.nodes, 'node')}: {result.device}")

    def _outcome(self, ref) -> UnitOutcome:
        try:
            return self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as exc:
            cause = exc.cause if getattr(exc, "cause", None) is not None else exc
            raise cause from None
        except self.ray.exceptions.RayError as exc:
            first_line = str(exc).strip().splitlines()[0]
            raise ClusterError(f"a unit failed on the cluster: {first_line}") from None

    def _saved_checkpoints(self) -> dict[tuple[int, int], bytes]:
        """The checkpoints already in the run folder (a resumed run), under (unit, entry of the unit's plan)."""
        saved = {}
        checkpoints = self.context.checkpoints
        if checkpoints is None:
            return saved
        for unit in self.units:
            for entry, planned in enumerate(unit.plan):
                path = checkpoints.path(planned)
                if path.is_file():
                    saved[(unit.number, entry)] = path.read_bytes()
        return saved

    def _relay(self, drained, pending, finished) -> None:
        """Write the checkpoints that came, then pass the events on under the run's plan entries."""
        saved, events = drained
        checkpoints = self.context.checkpoints
        for number, entry, data in saved:
            if checkpoints is not None:
                checkpoints.save_bytes(self.units[number].plan[entry], data)
        for number, event in events:
            self._pass_on(self.units[number], event)
        self._tell_status(pending, finished)

    def _pass_on(self, unit: Unit, event: Any) -> None:
        listener = self.context.listener
        if isinstance(event, UnitPlaced):
            self.placements[unit.number] = self._where(unit, event)
            return
        if isinstance(event, RunPlanned):
            if event.plan != unit.plan:
                raise RuntimeError(f"{unit.title()} planned {len(event.plan)} entries, the driver {len(unit.plan)}")
            return
        if isinstance(event, PartDone):
            self.partial[unit.number] = event.result
            parts = [self.partial[n] for n in sorted(self.partial)]
            listener(PartDone(self.kind.result_type.merged(config_to_dict(self.config), parts)))
            return
        if isinstance(event, AtPlanEntry):
            index = unit.offset + event.index
            if isinstance(event, EpochDone):
                seen = (index, event.seed, event.epoch)
                if seen in self.epochs_seen:  # a unit restarted after its node died replays what it had done
                    return
                self.epochs_seen.add(seen)
            event = event.at(index, self.plan[index])
        listener(event)

    def _where(self, unit: Unit, placed: UnitPlaced) -> str:
        device = f"GPU {placed.gpus}" if placed.gpus else "CPU"
        again = " (started again from its checkpoints)" if unit.number in self.placements else ""
        return f"{unit.title()}: node {placed.node[:8]}, {device}{again}"

    def _tell_status(self, pending, finished) -> None:
        running = sum(1 for unit in pending.values() if unit.number in self.placements)
        status = ClusterStatus(
            self.config.cluster.address,
            self.fit.nodes,
            self.fit.gpus,
            running,
            len(pending) - running,
            tuple(self.placements[n] for n in sorted(self.placements)),
        )
        if status != self.status:
            self.status = status
            self.context.listener(status)

    def _kept(self, outcome: UnitOutcome) -> RunResult:
        """A unit's result with its model files written into the run folder, their paths pointing there."""
        run_dir = Path(self.context.run_dir)
        for relative, data in outcome.files.items():
            with atomic_path(run_dir / relative) as temp:
                temp.write_bytes(data)
        return self.kind.result_from(outcome.result).relocated(Path(outcome.folder), run_dir)
