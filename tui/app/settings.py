"""The user's settings file: a keymap that remaps the app's keys, for terminals that swallow some of them.

`$TRANSFER_TUI_SETTINGS`, else `$XDG_CONFIG_HOME/transfer-tui/settings.toml` (`~/.config/...` by default):

    [keymap]
    "view.setup" = "f2,1"       # a binding's id = the keys it answers to, comma-separated
    "run.start" = "ctrl+t"

A missing file means the defaults; a bad one is reported in the app and ignored, never fatal. Each entry is
checked on its own against the app's bindings (`checked`): an unknown id, a value that is not keys, or a key
another binding of the same view already answers to is named in a message and left out; the rest applies.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from textual.binding import Binding
from textual.keys import KEY_NAME_REPLACEMENTS, Keys, key_to_character

SETTINGS_ENV_VAR = "TRANSFER_TUI_SETTINGS"
# a key as Textual names it: modifiers, then a name ('f9', 'question_mark', 'pageup') or one character
KEY_PATTERN = re.compile(r"^((ctrl|shift|alt|meta|super|hyper)\+)*([a-z0-9_]+|[^\s,+])$")
# the names Textual gives keys that are not one character ('f9', 'pageup', 'plus')
KEY_NAMES = {key.value for key in Keys} | set(KEY_NAME_REPLACEMENTS.values())


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
    source: str = ""  # the file the settings came from, to name in messages

    def keys(self, binding_id: str | None, default: str) -> str:
        """The keys a binding answers to (the keymap's, else its own `default`), as shown: 'f2 / 1', ']'."""
        keys = self.keymap.get(binding_id or "", default)
        return " / ".join(key_shown(key.strip()) for key in keys.split(",") if key.strip())

    def checked(self, scopes: Iterable[list[Binding]]) -> Settings:
        """Only the entries that can apply, given the bindings each view answers to (the app's own included in
        every scope); a message for each left out, naming its id and why."""
        scopes = [list(scope) for scope in scopes]
        known = {binding.id for scope in scopes for binding in scope if binding.id}
        keymap: dict[str, str] = {}
        problems = list(self.problems)
        for binding_id, keys in self.keymap.items():
            if binding_id not in known:
                close = difflib.get_close_matches(binding_id, sorted(known), n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                problems.append(f"{self.source}: unknown binding id {binding_id!r}{hint}; it was ignored.")
            else:
                keymap[binding_id] = keys
        for scope in scopes:
            while (clash := next(_clashes(scope, keymap), None)) is not None:
                binding_id, key, other = clash
                del keymap[binding_id]
                problems.append(
                    f"{self.source}: {key} is already {other}'s key, so {binding_id!r} = {key!r} was ignored "
                    f"and {binding_id} keeps its default keys."
                )
        return replace(self, keymap=keymap, problems=tuple(problems))


def key_shown(key: str) -> str:
    """A key as people read it: 'question_mark' as '?', 'ctrl+right_square_bracket' as 'ctrl+]'."""
    *modifiers, name = key.split("+") if len(key) > 1 else [key]
    character = key_to_character(name) if len(name) > 1 else None
    if character is not None and character.isprintable() and not character.isspace():
        name = character
    return "+".join([*modifiers, name])


def known_key(key: str) -> bool:
    """Whether Textual can ever send `key`: modifiers, then one character or a key's name ('f9', 'pageup',
    'question_mark'); 'bananakey' is not one."""
    if not KEY_PATTERN.match(key):
        return False
    name = key.rsplit("+", 1)[-1] if len(key) > 1 else key
    return len(name) == 1 or name in KEY_NAMES or key_to_character(name) is not None


def _clashes(scope: list[Binding], keymap: dict[str, str]) -> Iterable[tuple[str, str, str]]:
    """(id, key, other id) for each key the keymap newly gives a binding of `scope` that another binding of the
    scope answers to; the later entry of the file first. Keys a binding has by default are never a clash (a view's
    ctrl+r overrides the app's on purpose)."""
    defaults = {binding.id: binding.key.split(",") for binding in scope if binding.id}
    answering: dict[str, list[str]] = {}
    for binding_id, default in defaults.items():
        for key in keymap[binding_id].split(",") if binding_id in keymap else default:
            answering.setdefault(key, []).append(binding_id)
    for binding_id, keys in reversed(list(keymap.items())):
        if binding_id not in defaults:
            continue
        for key in keys.split(","):
            others = [other for other in answering.get(key, []) if other != binding_id]
            if others and key not in defaults[binding_id]:
                yield binding_id, key, others[0]
                break


def load_settings(path: Path | None = None) -> Settings:
    path = path or settings_path()
    if not path.is_file():
        return Settings()
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return Settings(problems=(f"{path} cannot be read ({exc}); the default keys apply.",), source=str(path))
    problems = [f"{path}: unknown section {name!r} (only 'keymap' is read)" for name in values if name != "keymap"]
    keymap_values = values.get("keymap", {})
    if not isinstance(keymap_values, dict):
        problems.append(f'{path}: \'keymap\' must be a table of binding ids and keys, e.g. "view.setup" = "f2,1"')
        return Settings(problems=tuple(problems), source=str(path))
    keymap = {}
    for binding_id, value in keymap_values.items():
        keys = [key.strip() for key in value.split(",")] if isinstance(value, str) else []
        unknown = [key for key in keys if not known_key(key)]
        if keys and not unknown:
            keymap[binding_id] = ",".join(keys)
        else:
            what = f"{', '.join(map(repr, unknown))} is not a key" if unknown and isinstance(value, str) else "no keys"
            problems.append(
                f'{path}: {binding_id!r} = {value!r}: {what} (write e.g. "f9,h" or "ctrl+t"); it was ignored and '
                f"{binding_id} keeps its default keys."
            )
    return Settings(keymap=keymap, problems=tuple(problems), source=str(path))
