"""A real Ray cluster of several nodes on this machine, for tests: run only inside a network namespace of the
test's own (see `in_namespace`), where Ray binds to 127.0.0.1 and nothing can reach any other address.

Each node is `ray start --block` in a session of its own, so a test can kill one node (its raylet and its
workers) and stop all of them, without `ray stop`, which would also stop other tests' clusters.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HEAD_PORT = 6390
CLIENT_PORT = 10001  # Ray's own default, below the head's worker ports (10002 and up)


def in_namespace(scenario: str, workdir: Path, timeout: float) -> dict:
    """Run `tests.cluster_scenarios SCENARIO WORKDIR` in a new network namespace (loopback only); its report."""
    script = f"ip link set lo up && exec {sys.executable} -m tests.cluster_scenarios {scenario} {workdir}"
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c", script], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )
    report = workdir / "report.json"
    assert done.returncode == 0 and report.is_file(), f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return json.loads(report.read_text())


def ray_env() -> dict[str, str]:
    """The environment of every process of a test cluster and its drivers: a token of its own, no usage stats."""
    return {
        **os.environ,
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": os.environ.get("RAY_AUTH_TOKEN") or secrets.token_hex(16),
        "RAY_health_check_period_ms": "1000",  # a dead node is noticed in seconds
        "RAY_health_check_failure_threshold": "3",
    }


def node_ports(number: int) -> list[str]:
    """Ports of their own for each worker node (nodes on one address would otherwise race for the same ones)."""
    base = 20_000 + 1_000 * number
    return [
        f"--node-manager-port={7001 + number}",
        f"--object-manager-port={base + 1}",
        f"--metrics-export-port={base + 2}",
        f"--dashboard-agent-listen-port={base + 3}",
        f"--dashboard-agent-grpc-port={base + 4}",
        f"--runtime-env-agent-port={base + 5}",
        f"--min-worker-port={base + 100}",
        f"--max-worker-port={base + 999}",
    ]


class LocalCluster:
    """A head node (no CPUs: it keeps the cluster's state and the driver's mailbox) and worker nodes."""

    def __init__(self, nodes: list[dict[str, float]]) -> None:
        os.environ.update(ray_env())
        self.temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))  # short: Ray's socket paths have a limit
        self.address = f"127.0.0.1:{HEAD_PORT}"
        self.client_address = f"ray://127.0.0.1:{CLIENT_PORT}"  # Ray Client, on the head node
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []
        try:
            self._start_nodes(nodes)
        except BaseException:
            self.stop()
            raise

    def _start_nodes(self, nodes: list[dict[str, float]]) -> None:
        self._start(
            [
                "--head",
                f"--port={HEAD_PORT}",
                f"--ray-client-server-port={CLIENT_PORT}",
                "--num-cpus=0",
                "--num-gpus=0",
                "--include-dashboard=false",
                f"--temp-dir={self.temp}",
            ]
        )
        self._wait(1)
        for number, resources in enumerate(nodes):
            self._start(
                [
                    f"--address={self.address}",
                    f"--num-cpus={resources.get('cpus', 1):g}",
                    f"--num-gpus={resources.get('gpus', 0):g}",
                    *node_ports(number),
                ]
            )
            self._wait(2 + number)  # one at a time: nodes starting together race for their socket files

    def _start(self, arguments: list[str]) -> None:
        log = self.temp / f"node{len(self.processes)}.log"
        command = [
            str(BIN / "ray"),
            "start",
            "--block",
            "--node-ip-address=127.0.0.1",
            "--disable-usage-stats",
            *arguments,
        ]
        with open(log, "wb") as stream:
            self.processes.append(subprocess.Popen(command, stdout=stream, stderr=stream, start_new_session=True))
        self.logs.append(log)

    def nodes(self) -> list[dict]:
        """The live nodes, as this process (a driver of its own) sees them."""
        import ray

        if not ray.is_initialized():
            ray.init(address=self.address, logging_level="ERROR", log_to_driver=False)
        return [{"id": n["NodeID"], "port": n["NodeManagerPort"]} for n in ray.nodes() if n["Alive"]]

    def _wait(self, count: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", HEAD_PORT), timeout=1):
                    if len(self.nodes()) >= count:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the cluster did not reach {count} nodes: " + self.logs[-1].read_text()[-2000:])

    def kill_node(self, node_id_prefix: str) -> int:
        """SIGKILL the worker node whose id starts with `node_id_prefix` (raylet, workers, all); its number."""
        port = next(node["port"] for node in self.nodes() if node["id"].startswith(node_id_prefix))
        number = port - 7001 + 1  # processes[0] is the head
        os.killpg(self.processes[number].pid, signal.SIGKILL)
        return number

    def stop(self) -> None:
        import ray

        ray.shutdown()
        for process in reversed(self.processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
