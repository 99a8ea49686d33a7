"""The command line: fast help without TensorFlow, clear one-line errors, and a real run end to end."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from engine.config import config_from_dict
from engine.config.presets import preset
from tui.main import main

CLI = [sys.executable, "-m", "tui"]
ONE_EPOCH = ["--set", "transfer.frozen_epochs=1", "--set", "transfer.unfrozen_epochs=1"]


def run_cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env=env or os.environ.copy())


def test_help_does_not_import_tensorflow() -> None:
    probe = (
        "import sys\nfrom tui.main import main\n"
        "for argv in (['--help'], ['run', '--help'], ['config', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert "--model-a FILE" in completed.stdout and "--json FILE" in completed.stdout


def test_config_command_prints_a_preset(capsys) -> None:
    assert main(["config", "--preset", "handson-ml3", "--seeds", "1-3"]) == 0
    printed = tomllib.loads(capsys.readouterr().out)
    config = config_from_dict(printed)
    assert config.split.b_classes == (0, 2) and config.run.seeds == (1, 2, 3)
    assert config.network == preset("handson-ml3").network


def test_config_command_writes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "exp.toml"
    assert main(["config", "--set", "split.n_train_b=77", "--output", str(target)]) == 0
    assert tomllib.loads(target.read_text())["split"]["n_train_b"] == 77


def test_bad_value_is_one_clear_line() -> None:
    completed = run_cli("run", "--set", "split.b_classes=[5, 5]")
    assert completed.returncode == 2
    assert completed.stderr.strip() == (
        "transfer-tui: error: split.b_classes must be two different classes, got [5, 5]"
    )


def test_bad_seeds_and_unknown_preset(capsys) -> None:
    assert main(["run", "--seeds", "ten"]) == 2
    assert "--seeds must look like 42,1,2 or 1-10; cannot read 'ten'" in capsys.readouterr().err
    assert main(["config", "--preset", "handson-ml9"]) == 2
    assert "unknown preset 'handson-ml9'" in capsys.readouterr().err


def test_missing_data_folder_exits_2_without_traceback(tmp_path: Path) -> None:
    """Given with --data-dir, the folder is checked as the flag is read (as Setup's field checks it); given by the
    environment, when the data is read, and the error says how to set it."""
    completed = run_cli("run", "--data-dir", str(tmp_path / "nowhere"))
    assert completed.returncode == 2
    assert completed.stderr == f"transfer-tui: error: --data-dir {tmp_path / 'nowhere'} does not exist\n"
    completed = run_cli("run", env={**os.environ, "TRANSFER_TUI_DATA": str(tmp_path / "nowhere")})
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert completed.stderr.count("\n") == 1 and "nowhere does not exist" in completed.stderr
    assert completed.stderr.endswith("(set with --data-dir DIR or $TRANSFER_TUI_DATA)\n")


def test_corrupt_model_a_exits_2(tmp_path: Path, real_data_dir: Path) -> None:
    bad = tmp_path / "model_a.keras"
    bad.write_bytes(b"\x00" * 64)
    completed = run_cli("run", "--data-dir", str(real_data_dir), "--model-a", str(bad))
    assert completed.returncode == 2 and "Traceback" not in completed.stderr
    assert "model_a.keras is not a readable Keras model file" in completed.stderr


def test_run_end_to_end_on_real_data(tmp_path: Path, real_data_dir: Path, isolated_home: Path) -> None:
    out = tmp_path / "result.json"
    args = ["run", "--data-dir", str(real_data_dir), "--seeds", "42", "--set", "train_a.epochs=2", *ONE_EPOCH]
    process = subprocess.Popen(
        [*CLI, *args, "--json", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    estimate = process.stdout.readline()
    device = process.stdout.readline()
    header = process.stdout.readline()
    task_line = process.stdout.readline()
    first_line = process.stdout.readline()
    still_running = process.poll() is None
    rest, errors = process.communicate(timeout=300)
    assert process.returncode == 0, errors
    # rows appear as epochs finish, not at the end
    assert estimate.startswith("Estimated time: about ")  # said before TensorFlow loads
    assert device.startswith("Device: CPU: ") and device.rstrip().endswith("; float32")  # once it has loaded
    assert header.split() == ["seed", "phase", "epoch", "loss", "acc", "val", "loss", "val", "acc", "time"]
    assert task_line.strip() == "── Task B: Sandal vs Shirt ──"
    assert re.match(r" +42  Model A +1/2 ", first_line)
    assert still_running
    lines = [first_line, *rest.splitlines()]
    phases = [match.group(1) for line in lines if (match := re.match(r" +42  (.+?) +\d+/\d+ ", line))]
    assert phases == ["Model A", "Model A", "B on A, frozen", "B on A, fine-tune", "B from scratch", "B from scratch"]
    assert "Task B: Sandal (5) vs Shirt (6), 200 training images" in rest
    assert "One seed only" in rest

    data = json.loads(out.read_text())
    assert data["config"]["run"]["seeds"] == [42] and data["status"] == "finished"
    seed = data["seeds"][0]
    assert seed["seed"] == 42
    assert 0.75 < seed["test_acc_a"] <= 1.0  # two epochs of SGD on the 8 classes
    assert 0.5 < seed["test_acc_b_scratch"] <= 1.0 and 0.5 < seed["test_acc_b_transfer"] <= 1.0
    expected_ratio = (1 - seed["test_acc_b_scratch"]) / (1 - seed["test_acc_b_transfer"])
    assert abs(seed["error_ratio"] - expected_ratio) < 1e-9
    assert {k: len(v["loss"]) for k, v in seed["history"].items()} == {
        "model_a": 2,
        "b_frozen": 1,
        "b_finetune": 1,
        "b_scratch": 2,
    }
    assert data["summary"]["n_seeds"] == 1

    model_a = Path(seed["model_files"]["model_a"])
    assert model_a.is_file() and model_a.is_relative_to(isolated_home)

    # reuse that model A: no Model A phase, the same A accuracy, the same B numbers (same seed)
    again = tmp_path / "again.json"
    reused = run_cli(
        "run",
        "--data-dir",
        str(real_data_dir),
        "--seeds",
        "42",
        *ONE_EPOCH,
        "--model-a",
        str(model_a),
        "--json",
        str(again),
        "--no-save",
    )
    assert reused.returncode == 0, reused.stderr
    assert re.search(r"^ +42  Model A ", reused.stdout, re.MULTILINE) is None
    assert f"Model A from {model_a} for every seed." in reused.stdout
    second = json.loads(again.read_text())["seeds"][0]
    assert second["test_acc_a"] == seed["test_acc_a"]
    assert second["test_acc_b_transfer"] == seed["test_acc_b_transfer"]
    assert second["test_acc_b_scratch"] == seed["test_acc_b_scratch"]


def test_leaderboard_on_real_data_is_recorded_and_exported(tmp_path: Path, real_data_dir: Path) -> None:
    from engine.results.leaderboard import LeaderboardResult
    from engine.storage.store import RunStore

    files = {fmt: tmp_path / f"board.{fmt}" for fmt in ("json", "csv", "md")}
    completed = run_cli(
        "leaderboard",
        "--data-dir",
        str(real_data_dir),
        "--seeds",
        "1-2",
        "--epochs",
        "1",
        "--optimizers",
        "sgd,adam",
        "--set",
        "network.hidden=[32]",
        "--sort",
        "loss",
        "--json",
        str(files["json"]),
        "--csv",
        str(files["csv"]),
        "--markdown",
        str(files["md"]),
    )
    assert completed.returncode == 0, completed.stderr
    assert "Optimizers, sorted by final val loss" in completed.stdout
    said = " ".join(completed.stdout.split())
    assert re.search(r"\d/2 │", completed.stdout) and "over how many of the seeds did" in said  # the caption says /2
    data = json.loads(files["json"].read_text())
    assert [item["name"] for item in data["optimizers"]] == ["sgd", "adam"]
    assert all(len(item["histories"]["2"]["val_loss"]) == 1 for item in data["optimizers"])
    assert files["csv"].read_text().splitlines()[0].startswith("rank,optimizer,status")
    assert files["md"].read_text().startswith("# Optimizer leaderboard: task A (8 classes)")

    home = Path(os.environ["TRANSFER_TUI_HOME"])
    (record,) = RunStore(home / "runs.sqlite").runs("leaderboard")
    assert record.status == "finished" and record.config["leaderboard"]["optimizers"] == ["sgd", "adam"]
    stored = LeaderboardResult.from_dict(record.result)
    assert [entry.name for entry in stored.entries] == ["sgd", "adam"]


def test_tensorboard_logs(tmp_path: Path, real_data_dir: Path) -> None:
    from engine.runtime import tf

    logs = tmp_path / "tb"
    completed = run_cli(
        "run",
        "--data-dir",
        str(real_data_dir),
        "--seeds",
        "7",
        "--set",
        "network.hidden=[16]",
        "--set",
        "train_a.epochs=2",
        *ONE_EPOCH,
        "--tensorboard",
        str(logs),
        "--no-save",
    )
    assert completed.returncode == 0, completed.stderr
    (run_folder,) = logs.iterdir()
    (events,) = (run_folder / "b5-6" / "Model_A" / "seed7").glob("events.out.tfevents.*")
    written = {
        (value.tag, event.step)
        for event in tf.compat.v1.train.summary_iterator(str(events))
        for value in event.summary.value
    }
    assert written == {(tag, step) for tag in ("loss", "accuracy", "val_loss", "val_accuracy") for step in (1, 2)}
    assert (run_folder / "b5-6" / "B_from_scratch" / "seed7").is_dir()


def test_a_bad_config_file_is_one_clear_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[split\nb_classes = [5, 6]\n")
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[split]\nb_clases = [5, 6]\n")
    for path, expected in (
        (broken, f"transfer-tui: error: config file {broken} is not valid TOML: "),
        (unknown, f"transfer-tui: error: {unknown}: unknown key split.b_clases; known keys in [split]: "),
    ):
        completed = run_cli("run", "--config", str(path))
        assert completed.returncode == 2
        assert completed.stderr.count("\n") == 1 and completed.stderr.startswith(expected), completed.stderr


def test_a_corrupt_idx_file_is_one_clear_line(tmp_path: Path, real_data_dir: Path) -> None:
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for source in real_data_dir.glob("*.gz"):
        (folder / source.name).write_bytes(source.read_bytes())
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b\x08\x00 this is no longer gzip")
    completed = run_cli("run", "--data-dir", str(folder))
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1
    assert completed.stderr.startswith(
        f"transfer-tui: error: {folder / 't10k-labels-idx1-ubyte.gz'}: not a readable gzip"
    )


def test_divergence_in_the_b_phases_is_reported_end_to_end(tmp_path: Path, real_data_dir: Path) -> None:
    out = tmp_path / "diverged.json"
    completed = run_cli(
        "run",
        "--data-dir",
        str(real_data_dir),
        "--seeds",
        "1,2",
        "--set",
        "network.hidden=[256, 256, 256]",
        "--set",
        "train_a.epochs=1",
        *ONE_EPOCH,
        "--set",
        "transfer.frozen_learning_rate=10.0",
        "--set",
        "transfer.unfrozen_learning_rate=10.0",
        "--set",
        "transfer.scratch_learning_rate=10.0",
        "--json",
        str(out),
        "--no-save",
    )
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    data = json.loads(out.read_text())
    assert data["status"] == "finished"
    for seed in data["seeds"]:
        assert seed["diverged"] in ("b_frozen", "b_finetune", "b_scratch")
        assert seed["history"]["model_a"]["loss"][-1] is not None  # model A trained fine
    # both B models diverged in each seed: both count at chance level, and the verdict reads nothing into them
    assert "2 seeds diverged: the model that diverged counts at chance level" in " ".join(completed.stdout.split())
    assert "Both models are at chance level" in " ".join(completed.stdout.split())
    assert completed.stdout.count("diverged (B ") == 2


def start_cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def read_until(process: subprocess.Popen, needle: str) -> str:
    seen = ""
    for line in process.stdout:
        seen += line
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} never printed:\n{seen}{process.stderr.read()}")


def test_ctrl_c_once_stops_after_the_batch_and_keeps_finished_seeds(real_data_dir: Path, isolated_home: Path) -> None:
    from engine.storage.store import RunStore

    process = start_cli(
        "run",
        "--data-dir",
        str(real_data_dir),
        "--seeds",
        "1,2",
        "--b-classes",
        "5,6",
        "0,2",
        "--set",
        "network.hidden=[32]",
        "--set",
        "train_a.epochs=2",
        "--set",
        "run.population_memory_gb=0.001",  # a population per pair, one after the other
        *ONE_EPOCH,
        "--no-cache",
    )
    read_until(process, "── T-shirt/top vs Pullover, seeds 1-2, as one population (group 2 of 2) ──")  # 5,6 done
    process.send_signal(signal.SIGINT)
    rest, errors = process.communicate(timeout=120)
    assert process.returncode == 130, errors
    assert "Stopping after the current batch; Ctrl-C again aborts." in errors and "Traceback" not in errors
    assert "Cancelled: 2 of 4 seed runs finished." in rest
    assert "Task B: Sandal (5) vs Shirt (6), 200 training images" in rest  # the finished pair's table
    (record,) = RunStore(isolated_home / "runs.sqlite").runs()
    assert record.status == "cancelled"
    assert [(s["b_classes"], s["seed"]) for s in record.result["seeds"]] == [([5, 6], 1), ([5, 6], 2)]


# Presses come from inside the process at a known point of the run, so the test does not race the run:
# the first Ctrl-C is handled (a stop is requested), then a second comes while the run has not stopped yet.
TWO_PRESSES = """
import os, signal, sys, threading, time
import tui.cli.reporter
from engine.progress import EpochDone
from engine.runtime import tf

report = tui.cli.reporter.ConsoleReporter.__call__

def press_twice(self, event):
    report(self, event)
    if isinstance(event, EpochDone) and event.seed == 2:
        if sys.argv[1] == "between-batches":
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)  # the first press is handled here: a stop is requested
            os.kill(os.getpid(), signal.SIGINT)
        else:  # both presses land while the main thread waits on one long TensorFlow operation
            def press():
                for _ in range(2):
                    time.sleep(0.05)
                    os.kill(os.getpid(), signal.SIGINT)
            big = tf.ones((3000, 3000))
            threading.Thread(target=press).start()
            tf.linalg.matmul(big, big).numpy()  # Python runs the signal handler only after this, and only once
        time.sleep(60)  # not reached: the second press aborts at once

tui.cli.reporter.ConsoleReporter.__call__ = press_twice
from tui.main import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("moment", ["between-batches", "during-one-long-computation"])
def test_ctrl_c_twice_aborts_at_once(real_data_dir: Path, isolated_home: Path, moment: str) -> None:
    from engine.storage.store import RunStore

    run = ["run", "--data-dir", str(real_data_dir), "--seeds", "1,2", "--set", "network.hidden=[32]", "--no-cache"]
    completed = subprocess.run(
        [sys.executable, "-c", TWO_PRESSES, moment, *run], capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 130, completed.stderr
    assert completed.stderr.splitlines()[-1] == "transfer-tui: interrupted" and "Traceback" not in completed.stderr
    assert "Cancelled:" not in completed.stdout  # it did not wait to stop cooperatively and report
    (record,) = RunStore(isolated_home / "runs.sqlite").runs()
    assert record.status == "cancelled" and record.result is None


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["leaderboard", "--optimizers", ""], "--optimizers '' is empty; give a list such as sgd,adam,nadam"),
        (["leaderboard", "--optimizers", "sgd,,adam"], "--optimizers has an empty name between commas in 'sgd,,adam'"),
        (["study", "--treatments", ""], "--treatments '' is empty; give a list such as AnB,AnB+"),
        (["study", "--networks", ","], "--networks ',' is empty; give a list such as dense,cnn"),
        (["study", "--layers", ""], "--layers '' is empty; give a list such as 0-5 or 0,1,3"),
        (["run", "--seeds", " "], "--seeds ' ' is empty; give a list such as 42,1,2 or 1-10"),
        (["run", "--b-classes", ","], "--b-classes ',' is empty; give a list such as 5,6 or 5,6 0,2"),
        (["tune", "--budget", "x"], "--budget must be a whole number; cannot read 'x'"),
        (["leaderboard", "--target", "high"], "--target must be a number, e.g. 0.001 or 1e-3; cannot read 'high'"),
    ],
)
def test_an_empty_list_of_names_is_refused_not_read_as_all(arguments: list[str], error: str, capsys) -> None:
    assert main(arguments) == 2
    assert capsys.readouterr().err.startswith(f"transfer-tui: error: {error}")


def test_version_names_the_program_the_libraries_and_the_device(capsys) -> None:
    from importlib.metadata import version

    from engine.hardware import cpu_model

    assert main(["--version"]) == 0
    program, libraries, device = capsys.readouterr().out.splitlines()
    assert program == f"transfer-tui {version('transfer-tui')}"
    assert f"tensorflow {version('tensorflow')}" in libraries and libraries.startswith("python 3.")
    assert device.startswith("trains on the CPU (" if "GPU" not in device else "trains on GPU: ")
    assert cpu_model() in device


def test_a_leaderboard_over_several_pairs_races_over_tasks_on_real_data(tmp_path: Path, real_data_dir: Path) -> None:
    from engine.results.race import RaceResult
    from engine.storage.store import RunStore

    chart, table, whole = tmp_path / "cd.svg", tmp_path / "race.csv", tmp_path / "race.json"
    completed = run_cli(
        "leaderboard",
        "--data-dir",
        str(real_data_dir),
        "--b-classes",
        "5,6",
        "0,2",
        "1,7",
        "--tasks",
        "b_scratch",
        "--seeds",
        "1-2",
        "--epochs",
        "2",
        "--optimizers",
        "sgd,adam,rmsprop",
        "--set",
        "network.hidden=[32]",
        "--plot",
        str(chart),
        "--csv",
        str(table),
        "--json",
        str(whole),
    )
    assert completed.returncode == 0, completed.stderr
    said = " ".join(completed.stdout.split())
    assert "Rank per task, over its 95% interval from resampled seeds" in said
    assert "Average rank over 3 tasks (1 the best)" in said and "Friedman's test, Iman-Davenport F" in said
    assert "Nemenyi's CD at 95%" in said and "the task (over 3 tasks)" in said
    assert "CD = " in chart.read_text() and "Performance profile" in chart.read_text()
    assert table.read_text().splitlines()[0].startswith("task,optimizer,score_mean,rank,rank_low_95")
    assert len(table.read_text().splitlines()) == 1 + 3 * 3
    stored = RaceResult.from_dict(json.loads(whole.read_text()))
    assert stored.titles == [f"B from scratch: {pair}" for pair in ("Sandal vs Shirt", "T-shirt/top vs Pullover",
                                                                    "Trouser vs Sneaker")]  # fmt: skip
    (record,) = RunStore(Path(os.environ["TRANSFER_TUI_HOME"]) / "runs.sqlite").runs("race")
    assert record.status == "finished" and record.config["split"]["b_sample"] == "random"
    one_task = run_cli("leaderboard", "--data-dir", str(real_data_dir), "--plot", str(tmp_path / "x.svg"))
    assert one_task.returncode != 0 and "a race on one task has no chart" in one_task.stderr
