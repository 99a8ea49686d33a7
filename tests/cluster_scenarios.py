"""What the cluster tests do inside their network namespace: start a Ray cluster of several nodes, run
transfer-tui against it as a user would (and in-process, for the numbers to compare), write a report.

`python -m tests.cluster_scenarios SCENARIO WORKDIR`, run by tests/test_cluster.py through `in_namespace`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.ray_cluster import BIN, LocalCluster

TINY = [
    "--set", "network.hidden=[16]",
    "--set", "train_a.epochs=1",
    "--set", "transfer.frozen_epochs=1",
    "--set", "transfer.unfrozen_epochs=1",
    "--set", "split.n_train_b=50",
]  # fmt: skip
LONGER = [*TINY[:2], "--set", "train_a.epochs=4", *TINY[4:]]  # long enough to be interrupted on purpose


def cli(workdir: Path, *arguments: str, timeout: float = 400) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "transfer-tui"), *arguments, "--home", str(workdir / "home")],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def numbers(path: Path) -> list:
    """What a result file says per seed (or per cell, per optimizer), without the timings and file paths."""
    data = json.loads(path.read_text())
    if "seeds" in data:
        return numbers_of(data)
    if "networks" in data:  # a map: each network's seeds
        return [numbers_of(result) for result in data["networks"].values()]
    if "trials" in data:  # a tuning: every trial of every arm, pair and seed
        return [
            [t["arm"], t["number"], t["pair"], t["seed"], t["val_accuracy"], t["test_accuracy"], t["best_epoch"]]
            for t in data["trials"]
        ]
    if "cells" in data:
        return [
            data["baseline"],
            data["accuracy_a"],
            [[c["treatment"], c["layers"], c["accuracies"]] for c in data["cells"]],
        ]
    return [[e["name"], {seed: {k: v for k, v in h.items() if k != "seconds"} for seed, h in e["histories"].items()}]
            for e in data["optimizers"]]  # fmt: skip


def numbers_of(experiment: dict) -> list:
    return [
        [s["b_classes"], s["seed"], s["test_acc_a"], s["test_acc_b_scratch"], s["test_acc_b_transfer"]]
        for s in experiment["seeds"]
    ]


def same_both_ways(workdir: Path, name: str, command: list[str], cluster: str) -> dict:
    """`command` in-process and on `cluster`: both results and the cluster run's output."""
    local = cli(workdir, *command, "--json", str(workdir / f"{name}-here.json"))
    remote = cli(workdir, *command, "--cluster", cluster, "--json", str(workdir / f"{name}-ray.json"))
    assert local.returncode == 0, local.stderr[-3000:]
    assert remote.returncode == 0, remote.stdout[-3000:] + remote.stderr[-3000:]
    return {
        "here": numbers(workdir / f"{name}-here.json"),
        "ray": numbers(workdir / f"{name}-ray.json"),
        "output": remote.stdout,
    }


def equal_numbers(workdir: Path) -> dict:
    """Two nodes with two (pretend) GPUs each: the app runs two pairs in two units; a unit too big to fit."""
    cluster = LocalCluster([{"cpus": 2, "gpus": 2}, {"cpus": 2, "gpus": 2}])
    try:
        address = cluster.address
        two_pairs = ["run", "--seeds", "1,2", "--b-classes", "5,6", "0,1", "--set", "run.population_memory_gb=0.0001",
                     *TINY]  # fmt: skip
        here = cli(workdir, *two_pairs, "--json", str(workdir / "pairs-here.json"))
        assert here.returncode == 0, here.stderr[-3000:]
        report = {"nodes": len(cluster.nodes()), "here": numbers(workdir / "pairs-here.json")}
        # the user's model A, which no worker can read (the driver ships its bytes), through Ray Client (ray://),
        # whose driver talks to the cluster by proxy
        model_a = str(next((workdir / "home" / "runs").glob("*/b5-6/seed1/model_a.keras")))
        command = ["run", "--seeds", "1,2", *TINY, "--model-a", model_a]
        report["model_a"] = same_both_ways(workdir, "model-a", command, cluster.client_address)
        # a tuning of two pairs, one unit each, with a treatment arm beside B on A
        tuning = ["tune", "--seeds", "1,2", "--b-classes", "5,6", "0,1", "--budget", "2", "--epochs", "2", *TINY,
                  "--set", 'tune.arms=["scratch", "transfer", "AnB:1"]',
                  "--set", 'tune.space.transfer.frozen_epochs={dist="choice", values=[0,1]}']  # fmt: skip
        report["tune"] = same_both_ways(workdir, "tune", tuning, address)
        started = time.monotonic()
        too_big = cli(workdir, "run", *TINY, "--cluster", address, "--cpus-per-unit", "64")
        report["too_big"] = {"rc": too_big.returncode, "stderr": too_big.stderr, "seconds": time.monotonic() - started}
        report["app"] = asyncio.run(app_on_cluster(workdir, address))
    finally:
        cluster.stop()
    return report


async def app_on_cluster(workdir: Path, address: str) -> dict:
    """The app (driven as a user would, through Pilot) running two pairs in two units on the cluster."""
    os.environ["TRANSFER_TUI_HOME"] = str(workdir / "app-home")
    from engine.config import ExperimentConfig, apply_overrides
    from tui.app.app import TransferApp

    overrides = [value for value in TINY if value != "--set"]
    config = apply_overrides(
        ExperimentConfig(),
        [*overrides, "run.seeds=[1,2]", "split.extra_pairs=[[0,1]]", "run.population_memory_gb=0.0001",
         f"cluster.address={address}"],
    )  # fmt: skip
    app = TransferApp(config)
    headers, units = set(), ""
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + 300
        while app.sub_title in ("", "loading TensorFlow…") and time.monotonic() < deadline:
            await pilot.pause(0.1)
        await pilot.press("ctrl+r")
        while app.screen.id != "results" and time.monotonic() < deadline:
            headers.add(app.sub_title)
            units = app.get_screen("run").units_text or units
            await pilot.pause(0.05)
        # let the results view finish mounting: Pilot's teardown does not wait for it, and a Header still
        # setting its title then fails on a title already taken down (a user's quit is a message, after it)
        await pilot.pause()
        result = app.get_screen("results").result
        return {
            "headers": sorted(headers),
            "units": units,
            "status": result.status if result else None,
            "device": result.device if result else None,
            "numbers": numbers_of(result.to_dict()) if result else None,
        }


def run_ids(output: str) -> list[str]:
    return re.findall(r"Run (\d{8}-\d{6}-[0-9a-f]{4}) is in the run store", output)


def started_run(workdir: Path, address: str, name: str) -> tuple[subprocess.Popen, Path, list[str]]:
    """A cluster run going, once its run folder holds a checkpoint; its process, folder and output so far."""
    log = workdir / f"{name}.out"
    with open(log, "w") as stream:
        process = subprocess.Popen(
            [str(BIN / "transfer-tui"), "run", "--seeds", "1-4", *LONGER, "--cluster", address,
             "--json", str(workdir / f"{name}.json"), "--home", str(workdir / "home")],
            stdout=stream, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    runs = workdir / "home" / "runs"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        checkpoints = list(runs.glob("*/checkpoints/*.npz")) if runs.is_dir() else []
        new = [c for c in checkpoints if c.parent.parent.name not in seen_runs]
        if new and "unit 1" in log.read_text():
            folder = new[0].parent.parent
            seen_runs.add(folder.name)
            return process, folder, log.read_text().splitlines()
        if process.poll() is not None:
            raise RuntimeError(f"the run ended before its first checkpoint: {log.read_text()[-3000:]}")
        time.sleep(0.2)
    raise RuntimeError("no checkpoint within 240 s")


seen_runs: set[str] = set()


def faults(workdir: Path) -> dict:
    """Three one-CPU nodes: a node killed mid-run, then the driver, and the run resumed; a cancel."""
    reference = cli(workdir, "run", "--seeds", "1-4", *LONGER, "--json", str(workdir / "reference.json"))
    assert reference.returncode == 0, reference.stderr[-3000:]
    cluster = LocalCluster([{"cpus": 1}, {"cpus": 1}, {"cpus": 1}])
    report: dict = {"reference": numbers(workdir / "reference.json")}
    try:
        # a worker node dies in the middle of the unit: it starts again on a spare node from its last checkpoint;
        # then the driver is killed: the run is interrupted, and `runs resume --cluster` finishes it
        process, folder, lines = started_run(workdir, cluster.address, "faults")
        node = re.search(r"unit 1: .*node ([0-9a-f]{8})", "\n".join(lines)).group(1)
        cluster.kill_node(node)
        log = workdir / "faults.out"
        deadline = time.monotonic() + 180
        while "started again" not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        restarted = log.read_text()
        process.send_signal(signal.SIGKILL)
        process.wait()
        listed = cli(workdir, "runs", "list").stdout
        resumed = cli(workdir, "runs", "resume", folder.name[:15], "--cluster", cluster.address)
        shown = cli(workdir, "runs", "export", folder.name[:15], "--format", "json",
                    "--output", str(workdir / "resumed.json"))  # fmt: skip
        report["faults"] = {
            "killed": node,
            "restarted": restarted,
            "listed": listed,
            "rc": resumed.returncode,
            "output": resumed.stdout + resumed.stderr,
            "numbers": numbers(workdir / "resumed.json") if shown.returncode == 0 else None,
        }

        # Ctrl-C once: every unit stops soon, what finished is kept
        process, folder, _ = started_run(workdir, cluster.address, "cancel")
        asked = time.monotonic()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
        report["cancel"] = {
            "rc": process.returncode,
            "seconds": time.monotonic() - asked,
            "output": (workdir / "cancel.out").read_text(),
            "shown": cli(workdir, "runs", "show", folder.name[:15]).stdout,
        }
    finally:
        cluster.stop()
    return report


SCENARIOS = {"equal_numbers": equal_numbers, "faults": faults}

if __name__ == "__main__":
    name, workdir = sys.argv[1], Path(sys.argv[2])
    report = SCENARIOS[name](workdir)
    (workdir / "report.json").write_text(json.dumps(report))
