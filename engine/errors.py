"""Errors a user can cause and fix; the CLI and the app show their message, never a traceback."""


class UserError(Exception):
    """Base for problems with the user's input, files or environment."""


class ConfigError(UserError):
    """A configuration value is unknown, of the wrong type or out of range."""


class DataError(UserError):
    """The Fashion-MNIST files are missing, truncated or not what they claim to be."""


class ModelFileError(UserError):
    """A saved model cannot be read or does not fit the task."""


class StorageError(UserError):
    """A file or folder cannot be written (read-only, disk full, ...)."""
