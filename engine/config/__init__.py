"""The experiment's configuration: schema (typed sections), codec (dicts and TOML), validation, typed values.

The public names are gathered here, so callers write `from engine.config import ExperimentConfig`.
"""

from engine.config.codec import config_from_dict, config_to_dict, config_to_toml, load_config_file, stored_config
from engine.config.schema import (
    LEADERBOARD_SPACES,
    LEADERBOARD_TASKS,
    NETWORK_KINDS,
    SECTIONS,
    ClusterConfig,
    CnnNetwork,
    DataConfig,
    DenseNetwork,
    ExperimentConfig,
    LayerSpec,
    LeaderboardConfig,
    NetworkConfig,
    RunConfig,
    SplitConfig,
    StudyConfig,
    TrainAConfig,
    TransferConfig,
)
from engine.config.values import (
    apply_overrides,
    override_values,
    parse_numbers,
    parse_pairs,
    parse_seeds,
    parse_value,
)

__all__ = [
    "LEADERBOARD_SPACES",
    "LEADERBOARD_TASKS",
    "NETWORK_KINDS",
    "SECTIONS",
    "ClusterConfig",
    "CnnNetwork",
    "DataConfig",
    "DenseNetwork",
    "ExperimentConfig",
    "LayerSpec",
    "LeaderboardConfig",
    "NetworkConfig",
    "RunConfig",
    "SplitConfig",
    "StudyConfig",
    "TrainAConfig",
    "TransferConfig",
    "apply_overrides",
    "config_from_dict",
    "config_to_dict",
    "config_to_toml",
    "load_config_file",
    "override_values",
    "parse_numbers",
    "parse_pairs",
    "parse_seeds",
    "parse_value",
    "stored_config",
]
