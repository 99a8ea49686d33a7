"""Two plain configs compared key by key: what Compare shows, and what keeps two runs from being merged."""

from __future__ import annotations


def _changed(left: dict, right: dict) -> list[tuple[str, object, object]]:
    """('section.key', left value, right value) for every value that differs, sections and keys in order."""
    changed = []
    for section in sorted(set(left) | set(right)):
        keys = set(left.get(section, {})) | set(right.get(section, {}))
        for key in sorted(keys):
            a, b = left.get(section, {}).get(key), right.get(section, {}).get(key)
            if a != b:
                changed.append((f"{section}.{key}", a, b))
    return changed


def config_differences(left: dict, right: dict) -> list[str]:
    """'section.key: a → b' for every config value that differs between two runs."""
    return [f"{key}: {a} → {b}" for key, a, b in _changed(left, right)]


def differing_keys(left: dict, right: dict) -> list[str]:
    """'section.key' of every config value that differs between two runs."""
    return [key for key, _, _ in _changed(left, right)]
