"""Writes that never leave a half-written file: write to a temporary name beside the target, then rename."""

from __future__ import annotations

import errno
import json
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.errors import StorageError


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path (same folder, same suffix) to write; on success it replaces `target`."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=target.suffix)
        os.close(handle)
    except OSError as exc:
        raise storage_error(target, exc) from None
    temp = Path(temp_name)
    try:
        yield temp
        os.chmod(temp, _mode_for(target))  # mkstemp makes it 0600: give it the mode an ordinary write would
        os.replace(temp, target)
    except OSError as exc:
        raise storage_error(target, exc) from None
    finally:
        temp.unlink(missing_ok=True)


def _current_umask() -> int:
    """The process's umask, read without changing it (Linux), else set and put back once, at import."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _current_umask()


def _mode_for(target: Path) -> int:
    """An existing file keeps its mode; a new one gets 0666 less the umask, as open() would give it."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~UMASK


def remove_temporary_files(folder: Path) -> None:
    """Remove what a killed process left half-written under `folder`: atomic_path's temporary files, the only
    names there that start with a dot. The real files are never half-written."""
    for path in Path(folder).rglob(".*"):
        if path.is_file():
            path.unlink(missing_ok=True)


def atomic_write_text(target: Path, text: str) -> None:
    """Write `text` to `target` atomically, flushed to disk before the rename."""
    with atomic_path(target) as temp, open(temp, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())


def storage_error(target: Path, exc: OSError) -> StorageError:
    """A message that says what went wrong in words a user can act on."""
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
    }
    reason = reasons.get(exc.errno, exc.strerror or str(exc))
    return StorageError(f"cannot write {target}: {reason}")


def atomic_write_json(target: Path, data: Any) -> None:
    """Write `data` as strict JSON (NaN and infinities become null), atomically."""
    atomic_write_text(target, json.dumps(finite(data), indent=2, allow_nan=False) + "\n")


def finite(value: Any) -> Any:
    """`value` with every NaN or infinity replaced by None, so it is valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value
