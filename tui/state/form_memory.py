"""The Setup form kept across restarts: what each field shows (typed, valid or not) and the config it is laid over
(the leaderboard's settings, a tuning's search spaces), in the app's home folder."""

from __future__ import annotations

import json
import logging
from typing import Any

from engine.config import ExperimentConfig, config_from_dict, config_to_dict
from engine.errors import UserError
from engine.fileio import atomic_write_json
from engine.paths import home_dir

FORM_FILE = "setup-form.json"
log = logging.getLogger(__name__)


def remember_form(values: dict[str, Any], base: ExperimentConfig) -> None:
    """Keep the form's field values (by field id) and its base config; a home that cannot be written loses only
    this, logged."""
    try:
        atomic_write_json(home_dir() / FORM_FILE, {"fields": values, "base": config_to_dict(base)})
    except (UserError, OSError) as exc:
        log.warning("the Setup form was not kept: %s", exc)


def remembered_form() -> tuple[dict[str, Any], ExperimentConfig] | None:
    """The form as it was left, or None: none kept, or one this version cannot read (then the defaults show)."""
    path = home_dir() / FORM_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return dict(data["fields"]), config_from_dict(data["base"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, UserError) as exc:
        log.warning("the kept Setup form %s was left out: %s", path, exc)
        return None
