"""Every setting a user gives by hand, declared once: the config key it sets, how typed text becomes its value, and
where it is given — a flag of some commands, a field of Setup's form, or both. The command line's parser and
Setup's form are both rendered from this table, so a flag and its field cannot drift apart (harlequin declares
its options the same way)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.classes import CLASS_NAMES
from engine.config import LEADERBOARD_SPACES, LEADERBOARD_TASKS, parse_numbers, parse_pairs
from engine.config.choices import ACTIVATIONS, B_SAMPLES, DRAWS, INITIALIZERS, PRECISIONS, VALIDATION_SETS
from engine.config.optimizers import OPTIMIZERS
from engine.data.fashion_mnist import DATA_ENV_VAR, IDX_FILES
from engine.errors import ConfigError
from engine.results.leaderboard import TASK_TITLES

Choices = tuple[tuple[str, Any], ...]

# the commands that describe an experiment (the app is the command line with no command); the cluster's options
# also continue a stored run
EXPERIMENT = ("app", "run", "bench", "leaderboard", "study", "tune", "config")
CLUSTER = (*EXPERIMENT, "resume")
COMPARE_PRECISIONS = "both"  # bench --precision with no value: the experiment in each precision

CLASS_CHOICES: Choices = tuple((f"{name} ({index})", index) for index, name in enumerate(CLASS_NAMES))
B_SAMPLE_LABELS = {
    "auto": "auto: per seed in tune, maps and races; else first N",
    "first": "first N, as the notebook",
    "random": "random N per seed",
}
DRAWS_LABELS = {"per_seed": "drawn per seed", "shared": "the same for every seed"}
VALIDATION_LABELS = {"first": "first 5,000 (seed notebook)", "last": "last 5,000 (3rd edition)"}
PRECISION_LABELS = {
    "float32": "float32",
    "bfloat16": "bfloat16 matmuls (mixed)",
    "float16": "float16 matmuls (mixed, loss-scaled)",
    "auto": "auto: the fastest this device computes",
}
NETWORK_CHOICES: Choices = (("dense", "dense"), ("cnn: conv blocks, then dense", "cnn"))
SOURCE_CHOICES: Choices = (("model A (AnB)", "a"), ("B from scratch (BnB, selffer)", "b"))
SPACE_TITLES = {"default": "learning rate (and momentum)", "extended": "also epsilon (RMSProp, Adam family)"}
LEADERBOARD = "Leaderboard"  # the section of the options the Optimizers dialog shows (not Setup)


def _labelled(labels: dict[str, str], names: tuple[str, ...]) -> Choices:
    return tuple((labels.get(name, name), name) for name in names)


@dataclass(frozen=True)
class Option:
    """One setting. `kind` names how text becomes its value (PARSERS); `label` and `section` place it on Setup's
    form ('' : no field there), `flag` on the command line of `commands` (''  : no flag); `help` is the flag's help
    and the field's tooltip; `example` what a valid value looks like, quoted when one is refused."""

    id: str
    key: str
    kind: str  # int, float, intlist, depths, seeds, pairs, text, folder, choice, bool, reuse, names, networks
    label: str = ""
    section: str = ""
    choices: Choices = ()
    placeholder: str = ""
    network_kinds: tuple[str, ...] = ()  # the kinds of network the field belongs to; empty: every kind
    flag: str = ""
    commands: tuple[str, ...] = EXPERIMENT
    metavar: str = ""
    help: str = ""
    example: str = ""
    env: str = ""  # an environment variable that gives the value where neither the config nor the flag does
    bare: str = ""  # what the flag means given with no value (bench --precision: both precisions); '' : needs one
    rest_key: str = ""  # where a list flag's entries after the first go (--b-classes: split.extra_pairs)

    def shown_for(self, network_kind: str) -> bool:
        return not self.network_kinds or network_kind in self.network_kinds

    @property
    def set_with(self) -> str:
        """How a user sets it from the shell: '--data-dir DIR or $TRANSFER_TUI_DATA'."""
        given = f"{self.flag} {self.metavar}".strip()
        return f"{given} or ${self.env}" if self.env else given

    def parse(self, text: Any) -> Any:
        """The value `text` stands for; ValueError says what is wrong with it, without naming the setting."""
        return PARSERS[self.kind](self, text)


def _cannot_read(text: str) -> str:
    """'; cannot read 'x'' after what a value must be, where something was typed."""
    return f"; cannot read {text.strip()!r}" if text.strip() else ""


def _parse_int(_option: Option, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"must be a whole number{_cannot_read(text)}") from None


def _parse_float(_option: Option, text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ValueError(f"must be a number, e.g. 0.001 or 1e-3{_cannot_read(text)}") from None


def _parse_int_list(option: Option, text: str) -> list[int]:
    """'300, 100' (or '300 100') -> [300, 100]; an empty entry between commas ('300,,100') is refused, as the
    config refuses [300,,100], rather than read as two layers."""
    entries = [entry.strip() for entry in text.split(",")]
    if text.strip() and not all(entries):
        raise ValueError(f"has an empty entry between commas, e.g. {option.example}")
    try:
        return [int(part) for entry in entries for part in entry.split()]
    except ValueError:
        raise ValueError(f"must be whole numbers separated by commas, e.g. {option.example}") from None


def _numbers(option: Option, text: str) -> list[int]:
    """Whole numbers as ranges and lists: '0-3', '0, 2, 4', '1-3,42'."""
    try:
        return list(parse_numbers(text, option.key, "", option.example))
    except ConfigError as exc:
        raise ValueError(str(exc).strip()) from None


def _parse_depths(option: Option, text: str) -> list[int]:
    """The sweep's depths, '0-3', '0, 2, 4'; empty: every depth."""
    return _numbers(option, text) if text.strip() else []


def _parse_seeds(option: Option, text: str) -> list[int]:
    if not text.strip():
        raise ValueError(f"is empty; give seeds like {option.example}")
    return _numbers(option, text)


def _parse_reuse(_option: Option, text: str) -> int | str:
    if text.strip().lower() == "all":
        return "all"
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("must be all or a whole number") from None


def _parse_names(option: Option, text: str) -> list[str]:
    """'AnB, AnB+' or 'AnB AnB+' -> ['AnB', 'AnB+']; '' -> [] (the config says what none means); an empty name
    between commas is refused."""
    if not text.strip():
        return []
    entries = [entry.strip() for entry in text.split(",")]
    if not all(entries):
        raise ValueError(f"has an empty name between commas in {text!r}; e.g. {option.example}")
    return [name for entry in entries for name in entry.split()]


def _parse_pairs(_option: Option, text: str) -> list[list[int]]:
    """'5,6 0,2' (or 'sandal,shirt'; 'all': the 45 pairs); a pair given twice is refused."""
    try:
        pairs = parse_pairs(text.replace(";", " ").split())
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    repeated = next((pair for index, pair in enumerate(pairs) if pair in pairs[:index]), None)
    if repeated is not None:
        raise ValueError(f"repeats the pair {repeated[0]},{repeated[1]}")
    return [list(pair) for pair in pairs]


def _parse_folder(_option: Option, text: str) -> str:
    """A data folder as typed ('' leaves it to $TRANSFER_TUI_DATA or the download): it must exist and hold the four
    files, checked here so that a run does not start only to fail (their contents are checked when they are read)."""
    folder = text.strip()
    if not folder:
        return folder
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ValueError(f"{path} does not exist")
    missing = [name for name in IDX_FILES if not (path / name).is_file()]
    if missing:
        raise ValueError(f"{path} has no {', '.join(missing)}")
    return folder


def _parse_choice(option: Option, value: Any) -> Any:
    """A select's value as it is; from the command line, one of the choices' values."""
    allowed = [choice for _, choice in option.choices]
    if value not in allowed:
        raise ValueError(f"must be one of {', '.join(map(str, allowed))}, not {value!r}")
    return value


LIST_KINDS = ("pairs", "intlist", "depths", "names", "networks", "seeds")  # a flag of these given empty is refused

PARSERS: dict[str, Callable[[Option, Any], Any]] = {
    "pairs": _parse_pairs,
    "int": _parse_int,
    "float": _parse_float,
    "intlist": _parse_int_list,
    "depths": _parse_depths,
    "reuse": _parse_reuse,
    "names": _parse_names,
    "networks": _parse_names,
    "seeds": _parse_seeds,
    "text": lambda _option, text: text.strip(),
    "folder": _parse_folder,
    "choice": _parse_choice,
    "bool": lambda _option, value: bool(value),
}


def _names(names: tuple[str, ...]) -> Choices:
    return tuple((name, name) for name in names)


OPTIONS: tuple[Option, ...] = (
    Option(
        "b_classes",
        "split.b_classes",
        "pairs",
        flag="--b-classes",
        metavar="PAIR",
        example="5,6 or 5,6 0,2",
        rest_key="split.extra_pairs",
        help="task B's class pair(s), e.g. 5,6 or 5,6 0,2 7,9 for a study over pairs, or all for the 45 pairs "
        "(the second class is positive; the pairs after the first go to split.extra_pairs)",
    ),
    Option("negative_class", "split.b_classes", "choice", "B class (negative)", "Split", CLASS_CHOICES),
    Option("positive_class", "split.b_classes", "choice", "B class (positive)", "Split", CLASS_CHOICES),
    Option("n_train_b", "split.n_train_b", "int", "B training images", "Split", help="B's training images per seed"),
    Option("b_sample", "split.b_sample", "choice", "Which B images", "Split", _labelled(B_SAMPLE_LABELS, B_SAMPLES)),
    Option(
        "validation",
        "split.validation",
        "choice",
        "Validation images",
        "Split",
        _labelled(VALIDATION_LABELS, VALIDATION_SETS),
    ),
    Option(
        "extra_pairs",
        "split.extra_pairs",
        "pairs",
        "More B pairs (study)",
        "Split",
        placeholder="e.g. 0,2 7,9",
        example="0,2 7,9",
        help="more class pairs for a map over pairs, each trained exactly as the first",
    ),
    Option("network_kind", "network.kind", "choice", "Kind of network", "Network", NETWORK_CHOICES),
    Option(
        "conv",
        "network.conv",
        "intlist",
        "Conv filters",
        "Network",
        placeholder="32, 64",
        network_kinds=("cnn",),
        example="32, 64",
    ),
    Option(
        "hidden",
        "network.hidden",
        "intlist",
        "Hidden layers",
        "Network",
        placeholder="300, 100, 50",
        example="300, 100, 50",
    ),
    Option("activation", "network.activation", "choice", "Activation", "Network", _names(ACTIVATIONS)),
    Option("initializer", "network.initializer", "choice", "Initializer", "Network", _names(INITIALIZERS)),
    Option(
        "batch_norm",
        "network.batch_norm",
        "bool",
        "Batch normalization",
        "Network",
        placeholder="after each hidden layer",
    ),
    Option("a_epochs", "train_a.epochs", "int", "A epochs", "Training"),
    Option("a_learning_rate", "train_a.learning_rate", "float", "A learning rate", "Training"),
    Option("a_optimizer", "train_a.optimizer", "choice", "A optimizer", "Training", _names(OPTIMIZERS)),
    Option("frozen_epochs", "transfer.frozen_epochs", "int", "Frozen epochs", "Training"),
    Option("frozen_learning_rate", "transfer.frozen_learning_rate", "float", "Frozen learning rate", "Training"),
    Option("unfrozen_epochs", "transfer.unfrozen_epochs", "int", "Fine-tune epochs", "Training"),
    Option("unfrozen_learning_rate", "transfer.unfrozen_learning_rate", "float", "Fine-tune learning rate", "Training"),
    Option("scratch_learning_rate", "transfer.scratch_learning_rate", "float", "Scratch learning rate", "Training"),
    Option("b_optimizer", "transfer.optimizer", "choice", "B optimizer", "Training", _names(OPTIMIZERS)),
    Option(
        "reuse_layers",
        "transfer.reuse_layers",
        "reuse",
        "Layers reused",
        "Training",
        placeholder="all or n",
        help="how many of A's hidden layers B on A reuses, from the bottom",
    ),
    Option("fine_tune", "transfer.fine_tune", "bool", "Fine-tune reused", "Training", placeholder="unfreeze them"),
    Option("source", "transfer.source", "choice", "Reuse layers of", "Training", SOURCE_CHOICES),
    Option("batch_size", "run.batch_size", "int", "Batch size", "Training"),
    Option(
        "seeds",
        "run.seeds",
        "seeds",
        "Seeds",
        "Training",
        placeholder="42 or 1-5 or 1,2,42",
        flag="--seeds",
        metavar="LIST",
        help="seeds to run, e.g. 42,1,2 or 1-10",
        example="42,1,2 or 1-10",
    ),
    Option(
        "precision",
        "run.precision",
        "choice",
        "Precision",
        "Training",
        _labelled(PRECISION_LABELS, PRECISIONS),
        flag="--precision",
        bare=COMPARE_PRECISIONS,
        metavar="{" + ",".join(PRECISIONS) + "}",
        help="float32 (the default); bfloat16 or float16: matmuls and convolutions in it, weights, optimizer state, "
        "loss and metrics in float32, as Keras' mixed_bfloat16 and mixed_float16 (float16 with each member's own "
        "loss scale); auto: bfloat16 where the device computes it (CPU flags, GPU compute capability 8.0 up), "
        "float16 on older GPUs, float32 otherwise; bench --precision with no value times the experiment in each",
    ),
    Option(
        "deterministic",
        "run.deterministic",
        "bool",
        "Deterministic",
        "Training",
        placeholder="on a GPU: op determinism, no TF32",
        help="on a GPU, TensorFlow's op determinism on and TensorFloat-32 off (the default), so a run repeats bit "
        "for bit and float32 is float32; the CPU repeats bit for bit either way",
    ),
    Option(
        "population_memory_gb",
        "run.population_memory_gb",
        "float",
        "Population GiB (0 auto)",
        "Training",
        help="how much memory one population of members may take; more members train together below it; 0 (the "
        "default): 0.8 of the GPU's free memory where there is a GPU, 3 GiB on the CPU",
    ),
    Option(
        "data_dir",
        "data.dir",
        "folder",
        "Data folder",
        "Data",
        placeholder="$TRANSFER_TUI_DATA or download",
        flag="--data-dir",
        metavar="DIR",
        help="folder with the four Fashion-MNIST IDX .gz files (else $TRANSFER_TUI_DATA, else the Keras download)",
        env=DATA_ENV_VAR,
    ),
    Option(
        "study_layers",
        "study.layers",
        "depths",
        "Sweep depths",
        "Study",
        placeholder="0-3 or 0, 2; empty: all",
        flag="--layers",
        commands=("study",),
        metavar="LIST",
        help="reuse depths, e.g. 0-5 or 0,2,4",
        example="0-5 or 0,1,3",
    ),
    Option(
        "treatments",
        "study.treatments",
        "names",
        "Treatments",
        "Study",
        placeholder="AnB, AnB+, BnB, BnB+",
        flag="--treatments",
        commands=("study",),
        metavar="LIST",
        help="e.g. AnB,AnB+,BnB,BnB+",
        example="AnB,AnB+",
    ),
    Option(
        "networks",
        "study.networks",
        "networks",
        "Networks to map",
        "Study",
        placeholder="e.g. dense, cnn (presets)",
        flag="--networks",
        commands=("study",),
        metavar="LIST",
        help="map these networks over the same pairs and seeds, e.g. dense,cnn (presets or dense)",
        example="dense,cnn",
    ),
    Option(
        "tune_budget",
        "tune.budget",
        "int",
        "Trials per arm",
        "Tune",
        flag="--budget",
        commands=("tune",),
        metavar="N",
        help="trials per arm (default 16)",
    ),
    Option(
        "tune_epochs",
        "tune.epochs",
        "int",
        "Epochs per trial",
        "Tune",
        flag="--epochs",
        commands=("tune",),
        metavar="N",
        help="epochs per trial (default 40)",
    ),
    Option("tune_draw_seed", "tune.draw_seed", "int", "Draws' seed", "Tune", help="the Sobol draws' scramble"),
    Option(
        "tune_draws",
        "tune.draws",
        "choice",
        "Trials",
        "Tune",
        _labelled(DRAWS_LABELS, DRAWS),
        flag="--draws",
        commands=("tune", "leaderboard"),
        help="each seed draws its own trials (per_seed, the default: the interval covers the search's luck) or "
        "every seed tunes the same ones (shared)",
    ),
    Option(
        "tune_arms",
        "tune.arms",
        "names",
        "Arms",
        "Tune",
        placeholder="scratch, transfer, AnB+:3, BnB:2",
        example="scratch, transfer, AnB+:3",
    ),
    Option(
        "leaderboard_epochs",
        "leaderboard.epochs",
        "int",
        "Epochs",
        LEADERBOARD,
        flag="--epochs",
        commands=("leaderboard",),
        metavar="N",
        help="epochs per optimizer",
    ),
    Option(
        "optimizers",
        "leaderboard.optimizers",
        "names",
        flag="--optimizers",
        commands=("leaderboard",),
        metavar="LIST",
        help="e.g. sgd,adam,nadam",
        example="sgd,adam,nadam",
    ),
    Option(
        "task",
        "leaderboard.task",
        "choice",
        "Task",
        LEADERBOARD,
        _labelled(TASK_TITLES, LEADERBOARD_TASKS),
        flag="--task",
        commands=("leaderboard",),
        help="a: task A, 8 classes (default); b_scratch or b_on_a: task B from scratch or on A; full: all ten classes",
    ),
    Option(
        "tasks",
        "leaderboard.tasks",
        "names",
        "Race over tasks",
        LEADERBOARD,
        placeholder="a, full, b_scratch (empty: Task alone)",
        flag="--tasks",
        commands=("leaderboard",),
        metavar="LIST",
        example="a,full,b_scratch",
        help="race over several tasks (a, full, b_scratch, b_on_a; a B task once per pair of --b-classes), each ranked "
        "with intervals over seeds, then over tasks Friedman's test and Nemenyi's critical difference; several "
        "--b-classes alone race over a, full and b_scratch",
    ),
    Option(
        "target",
        "leaderboard.target_accuracy",
        "float",
        "Target val accuracy",
        LEADERBOARD,
        flag="--target",
        commands=("leaderboard",),
        metavar="ACC",
        help="target validation accuracy, e.g. 0.85",
    ),
    Option(
        "leaderboard_budget",
        "leaderboard.budget",
        "int",
        "Trials each (budget)",
        LEADERBOARD,
        flag="--budget",
        commands=("leaderboard",),
        metavar="N",
        help="0: the one-shot race only; N: also give every optimizer N trials from its own search space "
        "(learning rate log-uniform over [1e-5, 1]; 1 - momentum over [1e-3, 0.3]), each keeping its best validation "
        "epoch, and rank them by the validation pick at n = 1, 4 and N",
    ),
    Option(
        "space",
        "leaderboard.space",
        "choice",
        "Search space",
        LEADERBOARD,
        _labelled(SPACE_TITLES, LEADERBOARD_SPACES),
        flag="--space",
        commands=("leaderboard",),
        help="with --budget: extended also tunes epsilon over [1e-10, 1] for RMSProp and the Adam family",
    ),
    Option(
        "rope_points",
        "stats.rope_points",
        "float",
        "Equivalent within ± pts",
        "Reading",
        help="the band of practical equivalence: a difference whose 95% interval lies inside ± this many points "
        "of accuracy reads 'equivalent'; one that straddles zero and reaches past it, 'cannot tell'",
    ),
    Option(
        "cluster",
        "cluster.address",
        "text",
        "Ray cluster",
        "Cluster",
        placeholder="empty: here; local, auto, ray://…",
        flag="--cluster",
        commands=CLUSTER,
        metavar="ADDRESS",
        help="train on Ray: local (start Ray here), auto (the cluster this machine is in), ray://HOST:PORT "
        "(Ray Client) or HOST:PORT (default: in this process)",
    ),
    Option(
        "gpus_per_unit",
        "cluster.gpus_per_unit",
        "float",
        "GPUs per unit (-1 auto)",
        "Cluster",
        flag="--gpus-per-unit",
        commands=CLUSTER,
        metavar="N",
        help="GPUs per unit of work on a cluster, e.g. 0.25 for four per GPU (default 1 where there are GPUs)",
    ),
    Option(
        "cpus_per_unit",
        "cluster.cpus_per_unit",
        "float",
        "CPUs per unit",
        "Cluster",
        flag="--cpus-per-unit",
        commands=CLUSTER,
        metavar="N",
        help="CPUs per unit of work (default 1)",
    ),
)

OPTIONS_BY_ID = {option.id: option for option in OPTIONS}
FORM_OPTIONS = tuple(option for option in OPTIONS if option.label and option.section != LEADERBOARD)  # Setup's
LEADERBOARD_OPTIONS = tuple(option for option in OPTIONS if option.section == LEADERBOARD)  # the Optimizers dialog's


def flags_of(command: str) -> tuple[Option, ...]:
    """The options `command` takes as flags ('app': the command line with no command)."""
    return tuple(option for option in OPTIONS if option.flag and command in option.commands)


def option_setting(key: str) -> Option | None:
    """The option with a flag that sets config value `key` (for an error about it to say how to set it)."""
    return next((option for option in OPTIONS if option.key == key and option.flag), None)
