"""The user's settings file: a keymap that remaps the app's keys, for terminals that swallow some of them.

`$TRANSFER_TUI_SETTINGS`, else `$XDG_CONFIG_HOME/transfer-tui/settings.toml` (`~/.config/...` by default):

    [keymap]
    "view.setup" = "f2,1"       # a binding's id = the keys it answers to, comma-separated
    "run.start" = "ctrl+t"

A missing file means the defaults; a bad one is reported in the app and ignored, never fatal.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

SETTINGS_ENV_VAR = "TRANSFER_TUI_SETTINGS"


def settings_path() -> Path:
    value = os.environ.get(SETTINGS_ENV_VAR)
    if value:
        return Path(value).expanduser()
    config_home = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config_home) / "transfer-tui" / "settings.toml"


@dataclass(frozen=True)
class Settings:
    keymap: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()  # what was wrong with the file, for the user

    def keys(self, binding_id: str | None, default: str) -> str:
        """The keys a binding answers to (the keymap's, else its own `default`), as shown: 'f2 / 1'."""
        keys = self.keymap.get(binding_id or "", default)
        return " / ".join(key.strip().replace("question_mark", "?") for key in keys.split(",") if key.strip())


def load_settings(path: Path | None = None) -> Settings:
    path = path or settings_path()
    if not path.is_file():
        return Settings()
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return Settings(problems=(f"{path} cannot be read ({exc}); the default keys apply.",))
    keymap = values.get("keymap", {})
    problems = [f"{path}: unknown section [{name}]" for name in values if name != "keymap"]
    if not isinstance(keymap, dict) or not all(isinstance(v, str) and v.strip() for v in keymap.values()):
        return Settings(problems=(f'{path}: [keymap] must map binding ids to keys, e.g. "view.setup" = "f2,1"',))
    return Settings(keymap={key: value.replace(" ", "") for key, value in keymap.items()}, problems=tuple(problems))
