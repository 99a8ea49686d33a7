"""The experiment's configuration: typed, frozen sections that check their own values when built.

Every value a user can set lives here, so the CLI, the TOML file and the app's form all validate the same way.
Types are checked by msgspec when a config is read (see codec.py); ranges and consistency by each section's
`__post_init__`, with messages that name the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import msgspec

from engine.config.arms import REUSED_LAYERS, SCRATCH, TRANSFER, Arm, parse_arm
from engine.config.choices import (
    ACTIVATIONS,
    B_SAMPLES,
    DRAWS,
    INITIALIZERS,
    PRECISIONS,
    TRANSFER_SOURCES,
    TREATMENTS,
    TUNE_ARMS,
    VALIDATION_SETS,
)
from engine.config.optimizers import OPTIMIZERS, default_hyperparameters
from engine.config.validation import (
    check_class_pair,
    check_epochs,
    check_hyperparameters,
    check_learning_rate,
    check_one_of,
    check_text,
)
from engine.errors import ConfigError

IntList = tuple[int, ...]
PairList = tuple[IntList, ...]
NameList = tuple[str, ...]
Hyperparameters = dict[str, dict[str, float | bool]]
LEADERBOARD_TASKS = ("a", "b_scratch", "b_on_a", "full")
LEADERBOARD_SPACES = ("default", "extended")
MAX_SEED = 2**31 - 1
DISTRIBUTIONS = ("log", "uniform", "int", "choice")
EDGE_SHARE = 0.1  # a picked value in the lowest or highest tenth of its range is at the edge of the space


class Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A TOML table: unknown keys are refused, values are immutable."""


class DataConfig(Section):
    """Where the data comes from; empty `dir` means $TRANSFER_TUI_DATA or the Keras download."""

    dir: str = ""

    def __post_init__(self) -> None:
        check_text("data.dir", self.dir)


class SplitConfig(Section):
    """Which two classes form task B (the second is the positive class) and how many B images to train on.

    `extra_pairs` turns the experiment into a study: the same experiment again for each further pair.
    """

    b_classes: IntList = (5, 6)
    n_train_b: int = 200
    b_sample: str = "auto"  # resolved when a run starts (engine.kinds.RunKind.prepared): first or random
    extra_pairs: PairList = ()
    validation: str = "first"  # which 5,000 training images validate: the first (seed notebook) or the last

    def __post_init__(self) -> None:
        check_class_pair("split.b_classes", self.b_classes)
        for pair in self.extra_pairs:
            check_class_pair("split.extra_pairs", pair)
        if len(set(self.pairs)) != len(self.pairs):
            raise ConfigError.about("split.extra_pairs", f"repeats a pair: {[list(p) for p in self.pairs]}")
        if self.n_train_b < 1:
            raise ConfigError.about("split.n_train_b", f"must be at least 1, got {self.n_train_b}")
        check_one_of("split.b_sample", self.b_sample, B_SAMPLES)
        check_one_of("split.validation", self.validation, VALIDATION_SETS)

    @property
    def b_per_seed(self) -> bool:
        """Whether each seed trains B on its own draw of images; "auto" not yet resolved keeps the first N."""
        return self.b_sample == "random"

    def for_pair(self, pair: tuple[int, int]) -> SplitConfig:
        """This split for one pair of a study alone."""
        return self.for_pairs([pair])

    def for_pairs(self, pairs: list[tuple[int, int]]) -> SplitConfig:
        """This split for these pairs: the first is b_classes, the rest extra_pairs."""
        return msgspec.structs.replace(self, b_classes=pairs[0], extra_pairs=tuple(pairs[1:]))

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """Every B class pair of the study: b_classes first, then extra_pairs."""
        return [(self.b_classes[0], self.b_classes[1]), *((first, second) for first, second in self.extra_pairs)]


@dataclass(frozen=True)
class LayerSpec:
    """One hidden layer as every reader of a network sees it (the Keras builder, the population, the memory
    estimate, the FLOP count): a conv block (Conv2D 3x3 'same', then MaxPooling 2x2) or a Dense layer, each with
    the network's activation and initializer and optionally BatchNormalization after it."""

    kind: str  # "conv" or "dense"
    units: int  # filters of a conv block, units of a Dense layer
    activation: str | None  # None: a population's output layer, whose activation is in the loss
    initializer: str
    batch_norm: bool


class NetworkSection(Section):
    """What every kind of [network] shares."""

    @property
    def kind(self) -> str:
        """The `kind` key the network is told apart by (msgspec's tag, not a field)."""
        return self.__struct_config__.tag

    def hidden_layers(self) -> tuple[LayerSpec, ...]:
        """The hidden layers, from the input, as `transfer.reuse_layers` counts them."""
        raise NotImplementedError

    def _layers(self, kind: str, sizes: tuple[int, ...]) -> tuple[LayerSpec, ...]:
        return tuple(LayerSpec(kind, units, self.activation, self.initializer, self.batch_norm) for units in sizes)


class DenseNetwork(NetworkSection, tag="dense", tag_field="kind"):
    """The dense network shared by model A, B on A and B from scratch (`kind = "dense"`)."""

    hidden: IntList = (300, 100, 50, 50, 50)
    activation: str = "selu"
    initializer: str = "lecun_normal"
    batch_norm: bool = False

    def __post_init__(self) -> None:
        if not 1 <= len(self.hidden) <= 20 or any(not 1 <= n <= 100_000 for n in self.hidden):
            raise ConfigError.about(
                "network.hidden", f"must be 1 to 20 layer sizes between 1 and 100000, got {list(self.hidden)}"
            )
        check_one_of("network.activation", self.activation, ACTIVATIONS)
        check_one_of("network.initializer", self.initializer, INITIALIZERS)

    def hidden_layers(self) -> tuple[LayerSpec, ...]:
        return self._layers("dense", self.hidden)

    @property
    def n_hidden_layers(self) -> int:
        """The layers `transfer.reuse_layers` counts: each hidden Dense layer."""
        return len(self.hidden)


class CnnNetwork(NetworkSection, tag="cnn", tag_field="kind"):
    """A small convolutional network (`kind = "cnn"`): per entry of `conv` a block of Conv2D 3x3 (same padding)
    with that many filters, the activation, optional BatchNormalization and MaxPooling 2x2; then the `hidden`
    Dense layers and the output."""

    conv: IntList = (32, 64)
    hidden: IntList = (80,)
    activation: str = "relu"
    initializer: str = "he_normal"
    batch_norm: bool = False

    def __post_init__(self) -> None:
        if not 1 <= len(self.conv) <= 4 or any(not 1 <= n <= 1024 for n in self.conv):
            # 28 pixels halve at most 4 times
            raise ConfigError.about(
                "network.conv", f"must be 1 to 4 filter counts between 1 and 1024, got {list(self.conv)}"
            )
        if len(self.hidden) > 20 or any(not 1 <= n <= 100_000 for n in self.hidden):
            raise ConfigError.about(
                "network.hidden", f"must be 0 to 20 layer sizes between 1 and 100000, got {list(self.hidden)}"
            )
        check_one_of("network.activation", self.activation, ACTIVATIONS)
        check_one_of("network.initializer", self.initializer, INITIALIZERS)

    def hidden_layers(self) -> tuple[LayerSpec, ...]:
        return self._layers("conv", self.conv) + self._layers("dense", self.hidden)

    @property
    def n_hidden_layers(self) -> int:
        """The layers `transfer.reuse_layers` counts: each conv block, then each hidden Dense layer."""
        return len(self.conv) + len(self.hidden)


# The kinds of network [network] may hold, told apart by its `kind` key.
NetworkConfig = DenseNetwork | CnnNetwork
NETWORK_KINDS: dict[str, type[Section]] = {"dense": DenseNetwork, "cnn": CnnNetwork}


class TrainAConfig(Section):
    """Training model A on the 8-class task."""

    epochs: int = 20
    learning_rate: float = 1e-3
    optimizer: str = "sgd"

    def __post_init__(self) -> None:
        check_epochs("train_a.epochs", self.epochs, minimum=1)
        check_learning_rate("train_a.learning_rate", self.learning_rate)
        check_one_of("train_a.optimizer", self.optimizer, OPTIMIZERS)


class TransferConfig(Section):
    """Training B on A (frozen, then fine-tuned) and the scratch baseline."""

    frozen_epochs: int = 4
    unfrozen_epochs: int = 16
    frozen_learning_rate: float = 1e-3
    unfrozen_learning_rate: float = 1e-4
    scratch_learning_rate: float = 1e-3
    optimizer: str = "sgd"
    reuse_layers: int | str = "all"  # how many hidden layers B on A copies, counted from the input
    fine_tune: bool = True  # unfreeze the reused layers after the frozen epochs (AnB+), or keep them frozen (AnB)
    source: str = "a"  # "b": reuse this seed's B from scratch instead of model A (the selffer control)

    def __post_init__(self) -> None:
        check_one_of("transfer.optimizer", self.optimizer, OPTIMIZERS)
        check_one_of("transfer.source", self.source, TRANSFER_SOURCES)
        if self.reuse_layers != "all" and not (isinstance(self.reuse_layers, int) and self.reuse_layers >= 0):
            raise ConfigError.about(
                "transfer.reuse_layers", f'must be "all" or a whole number from 0, got {self.reuse_layers!r}'
            )
        check_epochs("transfer.frozen_epochs", self.frozen_epochs, minimum=0)
        check_epochs("transfer.unfrozen_epochs", self.unfrozen_epochs, minimum=0)
        if self.frozen_epochs + self.unfrozen_epochs < 1:
            raise ConfigError(
                "transfer.frozen_epochs + transfer.unfrozen_epochs must be at least 1", key="transfer.unfrozen_epochs"
            )
        for name in ("frozen_learning_rate", "unfrozen_learning_rate", "scratch_learning_rate"):
            check_learning_rate(f"transfer.{name}", getattr(self, name))


class RunConfig(Section):
    """Which seeds to run, the batch size of every phase, and the memory a population may take."""

    seeds: IntList = (42,)
    batch_size: int = 32
    # how much memory one population of pairs may take: pairs beyond it train in further populations, in turn;
    # 0: chosen when the run starts (engine.hardware.population_budget_gb): most of the GPU's free memory where
    # there is a GPU, 3 GiB on the CPU; the run store records the figure chosen
    population_memory_gb: float = 0.0
    # "bfloat16" or "float16": matmuls and convolutions in it, weights, optimizer state, loss and metrics in float32
    # (Keras' mixed_bfloat16 and mixed_float16 policies; float16 with each member's own dynamic loss scale);
    # "auto": the fastest of these the device computes natively, chosen when the run starts and recorded so
    precision: str = "float32"
    # on a GPU: TensorFlow's op determinism on and TensorFloat-32 off, so that a run repeats bit for bit and float32
    # is float32; the CPU's kernels repeat already (and its deterministic mode would change their numbers)
    deterministic: bool = True

    def __post_init__(self) -> None:
        check_one_of("run.precision", self.precision, PRECISIONS)
        if not 0 <= self.population_memory_gb <= 1024:
            raise ConfigError.about(
                "run.population_memory_gb",
                f"must be between 0 (chosen by the device) and 1024, got {self.population_memory_gb}",
            )
        if not self.seeds:
            raise ConfigError.about("run.seeds", "must list at least one seed")
        if any(not 0 <= s <= MAX_SEED for s in self.seeds):
            raise ConfigError.about("run.seeds", f"must be between 0 and {MAX_SEED}, got {list(self.seeds)}")
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError.about("run.seeds", f"must not repeat a seed, got {list(self.seeds)}")
        if not 1 <= self.batch_size <= 65_536:
            raise ConfigError.about("run.batch_size", f"must be between 1 and 65536, got {self.batch_size}")


class LeaderboardConfig(Section):
    """Which optimizers race, on which task, for how long; hyperparameters are merged over the notebook's."""

    optimizers: NameList = OPTIMIZERS
    task: str = "a"
    epochs: int = 10
    target_accuracy: float = 0.85
    hyperparameters: Hyperparameters = msgspec.field(default_factory=default_hyperparameters)
    budget: int = 0  # trials per optimizer at an equal tuning budget (0: the one-shot race only)
    space: str = "default"  # extended: also epsilon for RMSProp and the Adam family (Choi et al. 2019)
    # a race over several tasks (engine.config.race): these tasks, a B task once per pair of [split]; empty: `task`
    # alone for one pair, and task A, all ten classes and B (from scratch, or `task` if a B task) per pair for several
    tasks: NameList = ()

    def __post_init__(self) -> None:
        if not self.optimizers:
            raise ConfigError.about("leaderboard.optimizers", "must list at least one optimizer")
        for name in self.optimizers:
            check_one_of("leaderboard.optimizers", name, OPTIMIZERS)
        if len(set(self.optimizers)) != len(self.optimizers):
            raise ConfigError.about(
                "leaderboard.optimizers", f"must not repeat an optimizer, got {list(self.optimizers)}"
            )
        check_one_of("leaderboard.task", self.task, LEADERBOARD_TASKS)
        check_epochs("leaderboard.epochs", self.epochs, minimum=1)
        if not 0 < self.target_accuracy <= 1:
            raise ConfigError.about("leaderboard.target_accuracy", f"must be in (0, 1], got {self.target_accuracy}")
        check_hyperparameters("leaderboard.hyperparameters", self.hyperparameters)
        if not 0 <= self.budget <= 1024:
            raise ConfigError.about("leaderboard.budget", f"must be between 0 and 1024 trials, got {self.budget}")
        check_one_of("leaderboard.space", self.space, LEADERBOARD_SPACES)
        for name in self.tasks:
            check_one_of("leaderboard.tasks", name, LEADERBOARD_TASKS)
        if len(set(self.tasks)) != len(self.tasks):
            raise ConfigError.about("leaderboard.tasks", f"must not repeat a task, got {list(self.tasks)}")


class StudyConfig(Section):
    """The layer sweep (`transfer-tui study`): which reuse depths and which treatments, over the run's seeds."""

    layers: IntList = ()  # empty: 0 to every hidden layer
    treatments: NameList = TREATMENTS
    # a map over pairs for each of these networks: a preset's name ("cnn"), "dense" for the default network,
    # or a [network] table; empty: the config's own network
    networks: tuple[str | NetworkConfig, ...] = ()

    def __post_init__(self) -> None:
        if any(n < 0 for n in self.layers) or len(set(self.layers)) != len(self.layers):
            raise ConfigError.about("study.layers", f"must be distinct whole numbers from 0, got {list(self.layers)}")
        if not self.treatments:
            raise ConfigError.about("study.treatments", "must list at least one treatment")
        for name in self.treatments:
            check_one_of("study.treatments", name, TREATMENTS)
        if len(set(self.treatments)) != len(self.treatments):
            raise ConfigError.about("study.treatments", f"must not repeat a treatment, got {list(self.treatments)}")


def _whole_or_float(value: float) -> float | int:
    """8.0 -> 8 (an epoch count reads as one), 0.001 stays."""
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


class Dimension(Section):
    """One searched value: `dist` log (log-uniform over [low, high]), uniform, int (whole numbers low..high) or
    choice (one of `values`)."""

    dist: str
    low: float = 0.0
    high: float = 0.0
    values: tuple[float, ...] = ()

    def check(self, key: str) -> None:
        check_one_of(f"{key}.dist", self.dist, DISTRIBUTIONS)
        if self.dist == "choice":
            if not self.values:
                raise ConfigError.about(f"{key}.values", "must list at least one value for a choice")
            return
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ConfigError.about(key, f"needs low < high, got low={self.low}, high={self.high}")
        if self.dist == "log" and self.low <= 0:
            raise ConfigError.about(f"{key}.low", f"must be above 0 for a log range, got {self.low}")
        if self.dist == "int" and not (float(self.low).is_integer() and float(self.high).is_integer()):
            raise ConfigError.about(key, f"needs whole numbers for an int range, got {self.low}..{self.high}")

    def as_written(self) -> dict[str, object]:
        """The dimension as a user writes it: a choice's values, or a range's ends."""
        if self.dist == "choice":
            return {"dist": self.dist, "values": [_whole_or_float(v) for v in self.values]}
        return {"dist": self.dist, "low": _whole_or_float(self.low), "high": _whole_or_float(self.high)}

    @property
    def bounds(self) -> tuple[float, float]:
        """The lowest and highest value the dimension can give: of its choices, or its range's ends."""
        return (min(self.values), max(self.values)) if self.dist == "choice" else (self.low, self.high)

    def value_at(self, u: float) -> float:
        """The value at position `u` in [0, 1) of the unit interval (a Sobol coordinate)."""
        if self.dist == "choice":
            return float(self.values[min(int(u * len(self.values)), len(self.values) - 1)])
        if self.dist == "log":
            return float(math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low))))
        if self.dist == "int":
            return float(min(math.floor(self.low + u * (self.high - self.low + 1)), self.high))
        return float(self.low + u * (self.high - self.low))

    def edge_of(self, value: float) -> str | None:
        """'bottom' or 'top' where `value` lies in the lowest or highest tenth of a range (of its logarithm for
        a log range), where the optimum may lie beyond; None inside, and for a choice."""
        if self.dist == "choice":
            return None
        low, high, at = self.low, self.high, value
        if self.dist == "log":
            low, high, at = math.log(low), math.log(high), math.log(value)
        position = (at - low) / (high - low)
        return "bottom" if position < EDGE_SHARE else "top" if position > 1 - EDGE_SHARE else None


SearchSpace = dict[str, Dimension]
FROZEN_EPOCHS = "frozen_epochs"  # a transfer arm's searched epochs with its reused layers frozen


def _numbers(values: tuple[float, ...]) -> str:
    """(0.0, 2.0) -> '[0, 2]'."""
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def default_spaces() -> dict[str, SearchSpace]:
    """The issue's defaults: B from scratch searches its learning rate; B on A its frozen phase's learning rate,
    its frozen epochs and its fine-tuning rate as a share of the frozen one."""
    return {
        "scratch": {"learning_rate": Dimension(dist="log", low=1e-4, high=1e-1)},
        "transfer": {
            "learning_rate": Dimension(dist="log", low=1e-4, high=1e-1),
            "frozen_epochs": Dimension(dist="choice", values=(0, 2, 4, 8)),
            "fine_tune_ratio": Dimension(dist="log", low=1e-2, high=1.0),
        },
    }


class TuneConfig(Section):
    """`transfer-tui tune`: each arm gets `budget` trials drawn from its search space (a scrambled Sobol sequence
    from `draw_seed`: drawn afresh for each seed, or the same for every seed with `draws = "shared"`), each trained
    `epochs` epochs keeping its best validation epoch; `space` tables replace an arm's defaults value by value."""

    budget: int = 16
    arms: NameList = TUNE_ARMS
    epochs: int = 40
    draw_seed: int = 0
    draws: str = "per_seed"
    space: dict[str, dict[str, Dimension]] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.budget <= 1024:
            raise ConfigError.about("tune.budget", f"must be between 1 and 1024 trials, got {self.budget}")
        arms = [parse_arm(name) for name in self.arms]
        if SCRATCH not in self.arms or len(arms) < 2:
            raise ConfigError.about(
                "tune.arms", f"must hold scratch (the baseline) and at least one other arm, got {list(self.arms)}"
            )
        if len(set(self.arms)) != len(self.arms):
            raise ConfigError.about("tune.arms", f"must not repeat an arm, got {list(self.arms)}")
        check_epochs("tune.epochs", self.epochs, minimum=1)
        if not 0 <= self.draw_seed <= MAX_SEED:
            raise ConfigError.about("tune.draw_seed", f"must be between 0 and {MAX_SEED}, got {self.draw_seed}")
        check_one_of("tune.draws", self.draws, DRAWS)
        defaults = default_spaces()
        for table, space in self.space.items():
            if table not in defaults and table not in self.arms:
                raise ConfigError.about(
                    "tune.space", f"names {table!r}, which is neither scratch, transfer nor one of tune.arms"
                )
            known = searched_names(parse_arm(table))
            for name, dimension in space.items():
                if name not in known:
                    raise ConfigError.about(
                        f"tune.space.{table}", f"has no {name!r}; {table} searches {', '.join(known)}"
                    )
                dimension.check(f"tune.space.{table}.{name}")
        for arm in arms:
            if arm.source is not None and self._written(arm, FROZEN_EPOCHS):
                self._check_frozen_epochs(arm.name)

    def _written(self, arm: Arm, name: str) -> bool:
        """Whether the user's [tune.space] tables give `arm` its value `name` (else it is the default's)."""
        return any(name in self.space.get(table, {}) for table in (arm.space_name, arm.name))

    def _check_frozen_epochs(self, arm: str) -> None:
        frozen = self.space_of(arm)[FROZEN_EPOCHS]
        lowest, highest = frozen.bounds
        if (
            frozen.dist == "log"
            or lowest < 0
            or highest >= self.epochs
            or any(not float(v).is_integer() for v in frozen.values)
        ):
            now = f"{frozen.dist} {frozen.low:g}..{frozen.high:g}"
            if frozen.dist == "choice":
                now = _numbers(frozen.values)
            fitting = _numbers(self.default_space(TRANSFER)[FROZEN_EPOCHS].values).replace(" ", "")
            raise ConfigError.about(
                f"tune.space.{arm}.frozen_epochs",
                f"must be whole epochs from 0 to fewer than tune.epochs ({self.epochs}), as a choice or an int range; "
                f"it is {now} (e.g. --set 'tune.space.{arm}.frozen_epochs={{dist=\"choice\", values={fitting}}}')",
            )

    @property
    def ordered_arms(self) -> tuple[str, ...]:
        """The arms in the order they train: scratch first (a selffer arm starts from its one-shot models)."""
        return (SCRATCH, *(arm for arm in self.arms if arm != SCRATCH))

    def space_of(self, arm: str) -> SearchSpace:
        """An arm's search space: its kind's defaults (scratch's or transfer's, the default frozen epochs kept to
        those that fit tune.epochs), each value replaced where the kind's table gives one, then where the arm's own
        table does."""
        parsed = parse_arm(arm)
        space = {
            **self.default_space(parsed.space_name),
            **self.space.get(parsed.space_name, {}),
            **self.space.get(arm, {}),
        }
        return {name: dimension for name, dimension in space.items() if name in searched_names(parsed)}

    def default_space(self, space_name: str) -> SearchSpace:
        """A kind's default space with the frozen epochs fewer than tune.epochs: a default that a short tuning
        cannot train is clipped, not refused (a space the user wrote is checked instead)."""
        space = dict(default_spaces()[space_name])
        frozen = space.get(FROZEN_EPOCHS)
        if frozen is not None:
            space[FROZEN_EPOCHS] = msgspec.structs.replace(
                frozen, values=tuple(v for v in frozen.values if v < self.epochs)
            )
        return space

    def clipped_defaults(self) -> list[str]:
        """A line for each default search space this tuning clipped to fit its epochs, to tell the user."""
        notes = []
        for name in self.arms:
            arm = parse_arm(name)
            if arm.source is None or self._written(arm, FROZEN_EPOCHS):
                continue
            default = default_spaces()[TRANSFER][FROZEN_EPOCHS].values
            kept = self.space_of(name)[FROZEN_EPOCHS].values
            if kept != default:
                notes.append(
                    f"tune.space.{name}.frozen_epochs: the default choices {_numbers(default)} are kept to "
                    f"{_numbers(kept)}, those below tune.epochs ({self.epochs})"
                )
        return notes


def searched_names(arm: Arm) -> tuple[str, ...]:
    """The values an arm's space may hold: the transfer arm alone may search its reuse depth (a treatment's depth
    is part of its name)."""
    names = tuple(default_spaces()[arm.space_name])
    return (*names, REUSED_LAYERS) if arm.name == TRANSFER else names


class StatsConfig(Section):
    """How readings decide: `rope_points` is the region of practical equivalence (Benavoli et al. 2017), in points
    of accuracy either side of zero. A difference whose 95% interval lies inside ±rope_points reads 'equivalent';
    one that straddles zero and reaches past it, 'cannot tell', with the seeds that would resolve it."""

    rope_points: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.rope_points < 100:
            raise ConfigError.about("stats.rope_points", f"must be from 0 to below 100 points, got {self.rope_points}")


class ClusterConfig(Section):
    """Where the work runs: empty `address` trains in this process; "local" starts Ray on this machine, "auto"
    joins the Ray cluster this machine belongs to, "ray://HOST:PORT" uses Ray Client. A unit of work (one
    population) asks for `cpus_per_unit` CPUs and `gpus_per_unit` GPUs (-1: one GPU where the cluster has any)."""

    address: str = ""
    gpus_per_unit: float = -1.0
    cpus_per_unit: float = 1.0

    def __post_init__(self) -> None:
        check_text("cluster.address", self.address)
        if self.address not in ("", "local", "auto"):
            self.host_port()  # the address's form, checked before anything connects
        if self.gpus_per_unit != -1 and not 0 <= self.gpus_per_unit <= 64:
            raise ConfigError.about("cluster.gpus_per_unit", f"must be between 0 and 64, got {self.gpus_per_unit}")
        if not 0 < self.cpus_per_unit <= 1024:
            raise ConfigError.about(
                "cluster.cpus_per_unit", f"must be above 0 and at most 1024, got {self.cpus_per_unit}"
            )

    def host_port(self) -> tuple[str, int]:
        """The host and port of a HOST:PORT or ray://HOST:PORT address (not of local or auto)."""
        host, _, port = self.address.removeprefix("ray://").rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError.about(
                "cluster.address", f"must be local, auto, ray://HOST:PORT or HOST:PORT, got {self.address!r}"
            )
        return host, int(port)


class ExperimentConfig(Section):
    """A whole experiment, one field per TOML section."""

    data: DataConfig = DataConfig()
    split: SplitConfig = SplitConfig()
    network: NetworkConfig = DenseNetwork()
    train_a: TrainAConfig = TrainAConfig()
    transfer: TransferConfig = TransferConfig()
    run: RunConfig = RunConfig()
    leaderboard: LeaderboardConfig = msgspec.field(default_factory=LeaderboardConfig)
    study: StudyConfig = StudyConfig()
    tune: TuneConfig = msgspec.field(default_factory=TuneConfig)
    stats: StatsConfig = StatsConfig()
    cluster: ClusterConfig = ClusterConfig()

    def __post_init__(self) -> None:
        depth = self.network.n_hidden_layers
        reuse = self.transfer.reuse_layers
        if isinstance(reuse, int) and reuse > depth:
            raise ConfigError.about(
                "transfer.reuse_layers", f"must be at most {depth}, the network's hidden layers; got {reuse}"
            )
        for name in self.tune.arms:
            arm = parse_arm(name)
            if arm.depth is not None and arm.depth > depth:
                raise ConfigError.about("tune.arms", f"has {name!r}, deeper than the network's {depth} hidden layers")
        reused = self.tune.space_of(TRANSFER).get(REUSED_LAYERS)
        if reused is not None:
            lowest, highest = reused.bounds
            if (
                reused.dist not in ("int", "choice")
                or lowest < 1
                or highest > depth
                or any(not float(v).is_integer() for v in reused.values)
            ):
                raise ConfigError.about(
                    "tune.space.transfer.reused_layers",
                    f"must be whole numbers of hidden layers from 1 to {depth}, as an int range or a choice",
                )
        if any(n > depth for n in self.study.layers):
            raise ConfigError.about(
                "study.layers", f"must be at most {depth}, the network's hidden layers; got {list(self.study.layers)}"
            )

    @property
    def reused_layers(self) -> int:
        """How many hidden layers B on A reuses, "all" resolved."""
        reuse = self.transfer.reuse_layers
        return self.network.n_hidden_layers if reuse == "all" else int(reuse)

    @property
    def study_layers(self) -> tuple[int, ...]:
        """The reuse depths the layer sweep covers, in order."""
        return tuple(sorted(self.study.layers)) or tuple(range(self.network.n_hidden_layers + 1))


SECTIONS: dict[str, type[Section]] = {
    field.name: DenseNetwork if field.name == "network" else field.type
    for field in msgspec.structs.fields(ExperimentConfig)
}
