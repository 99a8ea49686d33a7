"""Errors a user can cause and fix; the CLI and the app show their message, never a traceback."""


class UserError(Exception):
    """Base for problems with the user's input, files or environment; `key` names the config value to fix when one
    is to blame ('data.dir'), so that each interface can say where the user sets it (a flag, a form field)."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class ConfigError(UserError):
    """A configuration value is unknown, of the wrong type or out of range; `key` names it when known."""

    @classmethod
    def about(cls, key: str, problem: str) -> "ConfigError":
        """'split.n_train_b' + 'must be at least 1' -> an error that the app can show at that field."""
        return cls(f"{key} {problem}", key=key)


class DataError(UserError):
    """The Fashion-MNIST files are missing, truncated or not what they claim to be: always about the data folder."""

    def __init__(self, message: str, key: str | None = "data.dir") -> None:
        super().__init__(message, key)


class ModelFileError(UserError):
    """A saved model cannot be read or does not fit the task."""


class StorageError(UserError):
    """A file or folder cannot be written (read-only, disk full, ...)."""


class ClusterError(UserError):
    """The Ray cluster cannot be used: Ray missing, the address unreachable, no node that fits a unit."""
