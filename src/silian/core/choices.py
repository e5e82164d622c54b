"""Choice fields: value/label pairs stored as strings and checked by the database."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import CheckConstraint


class Choices:
    """An ordered set of (value, Chinese label) pairs for one choice field."""

    def __init__(self, *pairs: tuple[str, str]) -> None:
        self.pairs = pairs
        self._labels = dict(pairs)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.pairs)

    def __contains__(self, value: object) -> bool:
        return value in self._labels

    @property
    def values(self) -> list[str]:
        """All stored values, in order."""
        return [v for v, _ in self.pairs]

    def label(self, value: str | None) -> str:
        """Chinese label for a value (the value itself if unknown)."""
        if value is None:
            return ""
        return self._labels.get(value, value)

    def value_for(self, text: str) -> str | None:
        """Value whose value or label equals text (used by imports)."""
        text = text.strip()
        if text in self._labels:
            return text
        for value, label in self.pairs:
            if label == text:
                return value
        return None

    def check(self, column: str, name: str | None = None) -> CheckConstraint:
        """A CHECK constraint limiting column to these values."""
        quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in self.values)
        return CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_choice")
