"""Parsing helpers shared by schemas: keyword lists, optional numbers, blank strings."""

from __future__ import annotations

import re
from typing import Any

_SPLIT = re.compile(r"[,，、;；\s]+")


def split_list(value: Any) -> list[str]:
    """A list from a list or a string separated by commas, 、, semicolons or spaces."""
    if value is None:
        return []
    items = _SPLIT.split(value) if isinstance(value, str) else [str(v) for v in value]
    seen: list[str] = []
    for item in items:
        item = item.strip()
        if item and item not in seen:
            seen.append(item)
    return seen


def blank_to_none(value: Any) -> Any:
    """Treat empty form fields as missing values."""
    if isinstance(value, str) and not value.strip():
        return None
    return value
