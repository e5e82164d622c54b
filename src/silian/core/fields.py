"""Parsing helpers shared by schemas: keyword lists, blank strings and input hygiene."""

from __future__ import annotations

import re
from typing import Annotated, Any

_SPLIT = re.compile(r"[,，、;；\s]+")

# The largest integer a BIGINT column (and SQLite's INTEGER) holds.
INT64_MAX = 2**63 - 1
# C0 and C1 control characters except tab, line feed and carriage return; lone surrogates
# (valid in JSON escapes, not encodable as UTF-8); the non-characters U+FFFE and U+FFFF.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\t\n\r]")
CONTROL_MESSAGE = "不能包含控制字符（{code}）"
LINE_BREAK_MESSAGE = "不能包含换行符或制表符"
INT_RANGE_MESSAGE = "数值超出范围"
LIST_MESSAGE = "应为列表或以逗号分隔的文字"
_OPEN = "(（[【"
_CLOSE = ")）]】"
_SEPARATORS = ",，、;；"
# A trailing 等 / 等人 ends a list of people written as 王海、李娜等 (and others).
_ETC = re.compile(r"等人?$")


class MultilineMarker:
    """Marks a text field whose value may hold tabs and line breaks (a textarea)."""

    def __repr__(self) -> str:
        return "MULTILINE"


MULTILINE = MultilineMarker()
# A text field that may span several lines; every other text field is one line.
Multiline = Annotated[str, MULTILINE]


def text_problem(value: str, *, multiline: bool = True) -> str | None:
    """Chinese reason why value is not acceptable text input, or None when it is."""
    found = _CONTROL.search(value)
    if found:
        return CONTROL_MESSAGE.format(code=f"U+{ord(found.group()):04X}")
    if not multiline and _LINE_BREAKS.search(value):
        return LINE_BREAK_MESSAGE
    return None


def check_input(value: Any, *, multiline: bool = True) -> None:
    """Raise ValueError (Chinese message) if value, or anything inside it, is hostile input.

    Text may not hold control characters (nor line breaks unless multiline); integers must fit
    in a 64-bit column. Lists, tuples and dicts are checked item by item.
    """
    if isinstance(value, str):
        problem = text_problem(value, multiline=multiline)
        if problem:
            raise ValueError(problem)
    elif isinstance(value, int) and not isinstance(value, bool):
        if not -INT64_MAX - 1 <= value <= INT64_MAX:
            raise ValueError(INT_RANGE_MESSAGE)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            check_input(item, multiline=multiline)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_input(key, multiline=False)
            check_input(item, multiline=multiline)


def clean_for_export(value: str) -> str:
    """Text with control characters replaced by U+FFFD, so rows stored before input hygiene
    still export (Excel refuses them)."""
    return _CONTROL.sub("\ufffd", value)


def split_list(value: Any) -> list[str]:
    """A list from a list or a string separated by commas, 、, semicolons or spaces."""
    if value is None:
        return []
    if isinstance(value, str):
        items = _SPLIT.split(value)
    elif isinstance(value, list | tuple):
        if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
            raise ValueError("列表中的每一项都应为文字")
        items = [str(v) for v in value]
    else:  # a number, a boolean or an object where a list belongs
        raise ValueError(LIST_MESSAGE)
    seen: list[str] = []
    for item in items:
        item = item.strip()
        if item and item not in seen:
            seen.append(item)
    return seen


def _split_outside_brackets(text: str) -> list[str]:
    """Items of text separated by commas, 、, semicolons or spaces outside brackets."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(depth - 1, 0)
        elif depth == 0 and (char in _SEPARATORS or char.isspace()):
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _person(text: str) -> dict[str, Any]:
    """{"name", "unit"?} of one written person: 王海（滨海大学） keeps the bracketed unit."""
    text = text.strip()
    if text and text[-1] in _CLOSE:
        start = max(text.rfind(c) for c in _OPEN)
        if start > 0:
            unit = text[start + 1 : -1].strip()
            name = text[:start].strip()
            return {"name": name, "unit": unit} if unit else {"name": name}
    return {"name": text}


def split_people(value: Any) -> list[dict[str, Any]]:
    """People as {"name", "unit"?, "share"?} dicts, from a separated string (王海（滨海大学）、
    李娜), a list of such strings, or a list of dicts with a name; the first of a name wins."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = _split_outside_brackets(value)
        if items and items[-1] in ("等", "等人"):
            items.pop()
        elif items and _ETC.search(items[-1]) and len(_ETC.sub("", items[-1])) >= 2:
            items[-1] = _ETC.sub("", items[-1])
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValueError(LIST_MESSAGE)
    people: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, str):
            person = _person(item)
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            person = {**item, **_person(item["name"])} if "unit" not in item else dict(item)
            person["name"] = str(person["name"]).strip()
        else:
            raise ValueError("每一项都应为姓名文字，或带 name 的对象")
        if person["name"] and all(p["name"] != person["name"] for p in people):
            people.append(person)
    return people


def people_text(people: Any) -> str:
    """People as one line, 王海（滨海大学）、李娜: the form's and the spreadsheet's spelling."""
    parts = []
    for person in people or []:
        name = str(person.get("name", "")) if isinstance(person, dict) else str(person)
        unit = person.get("unit") if isinstance(person, dict) else None
        parts.append(f"{name}（{unit}）" if unit else name)
    return "、".join(p for p in parts if p)


def blank_to_none(value: Any) -> Any:
    """Treat empty form fields as missing values."""
    if isinstance(value, str) and not value.strip():
        return None
    return value
