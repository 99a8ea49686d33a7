"""Output paths checked before any training starts, so a typo costs a second, not a whole run."""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import ConfigError


def output_file_problem(path: Path, make_folder: bool = False) -> str | None:
    """Why `path` cannot be written as a file (it is a folder, or its folder is not writable, or missing unless
    `make_folder`: then the folder is made where its nearest existing part is a writable folder), or None."""
    path = Path(path).expanduser()
    if path.is_dir():
        return "is a folder; give a file name"
    if make_folder:
        return folder_problem(path.parent)
    folder = path.parent
    if not folder.is_dir():
        return f"the folder {folder} does not exist"
    if not os.access(folder, os.W_OK):
        return f"the folder {folder} is not writable"
    return None


def folder_problem(path: Path) -> str | None:
    """Why `path` cannot be a folder written in (made if missing), or None."""
    path = Path(path).expanduser()
    existing = next(part for part in (path, *path.parents) if part.exists())
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK):
        return f"cannot write in {existing}"
    return None


def check_output_file(option: str, path: Path | None) -> None:
    """`path` can be written: its folder exists and is writable, and it is not itself a folder."""
    problem = None if path is None else output_file_problem(path)
    if problem is not None:
        raise ConfigError(f"{option} {Path(path).expanduser()}: {problem}")


def check_output_folder(option: str, path: Path | None) -> None:
    """`path` is a folder, or can be made one: the nearest part of it that exists is a writable folder."""
    problem = None if path is None else folder_problem(path)
    if problem is not None:
        raise ConfigError(f"{option} {Path(path).expanduser()}: {problem}")


MAP_SUFFIXES = (".svg", ".csv", ".json")


def check_map_path(path: Path | None) -> None:
    """`--map` names a file this can write: .svg, .csv or .json, in a writable folder."""
    if path is not None and Path(path).suffix.lower() not in MAP_SUFFIXES:
        raise ConfigError(f"--map {path}: give a .svg, .csv or .json file")
    check_output_file("--map", path)
