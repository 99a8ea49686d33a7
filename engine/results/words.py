"""Counted words, so that one seed is never '1 seeds' and two are never '2 seed(s)'."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 seed', '2 seeds', '0 seeds'; `many` where adding an s is wrong ('1 loss', '2 losses')."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def every(count: int, word: str) -> str:
    """'its one seed', 'both seeds', 'all 5 seeds': for 'won in ...'."""
    if count == 1:
        return f"its one {word}"
    return f"both {word}s" if count == 2 else f"all {count} {word}s"
