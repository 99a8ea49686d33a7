"""Two plain configs compared key by key: what Compare shows, and what keeps two runs from being merged."""

from __future__ import annotations


def config_differences(left: dict, right: dict) -> list[str]:
    """'section.key: a → b' for every config value that differs between two runs."""
    lines = []
    for section in sorted(set(left) | set(right)):
        keys = set(left.get(section, {})) | set(right.get(section, {}))
        for key in sorted(keys):
            a, b = left.get(section, {}).get(key), right.get(section, {}).get(key)
            if a != b:
                lines.append(f"{section}.{key}: {a} → {b}")
    return lines
