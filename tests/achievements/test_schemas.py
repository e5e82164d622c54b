"""AchievementIn: the 完成人 (inventors) input as names, separated text or stored dicts."""

from __future__ import annotations

from typing import Any

import pytest

from silian.achievements.schemas import AchievementIn
from silian.core.errors import ValidationFailed
from silian.core.validation import parse

BASE = {"title": "海水淡化膜", "summary": "一种通量高、耐污染的复合膜制备方法。"}


def _inventors(value: Any) -> list[dict[str, Any]]:
    return [dict(p) for p in parse(AchievementIn, BASE | {"inventors": value}).inventors]


def test_every_separator_and_a_trailing_etc_split_the_names() -> None:
    assert _inventors("王海、李娜，张伟,赵敏；钱进;孙悦 周洋　吴迪等") == [
        {"name": n} for n in ("王海", "李娜", "张伟", "赵敏", "钱进", "孙悦", "周洋", "吴迪")
    ]
    assert _inventors("王海 等") == [{"name": "王海"}]
    assert _inventors(["王海", " 李娜 ", "王海"]) == [{"name": "王海"}, {"name": "李娜"}]
    assert _inventors("") == [] and _inventors(None) == []


def test_a_bracketed_unit_is_kept_apart_from_the_name() -> None:
    assert _inventors("王海（滨海大学 海洋学院）、李娜(青岛测试大学)、张伟【甲公司】") == [
        {"name": "王海", "unit": "滨海大学 海洋学院"},
        {"name": "李娜", "unit": "青岛测试大学"},
        {"name": "张伟", "unit": "甲公司"},
    ]


def test_stored_dicts_pass_through_with_their_shares() -> None:
    stored = [{"name": "王海", "share": 60}, {"name": "李娜", "unit": "滨海大学", "share": 40}]
    assert _inventors(stored) == stored


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("王" * 31, ("完成人", "不能超过30个字")),
        ("、".join(f"人{i}" for i in range(31)), ("完成人最多30人",)),
        (5, ("完成人", "列表")),
        ([{"name": "王海", "share": 120}], ("完成人“王海”", "0–100")),
        ([{"name": "王海", "role": "x"}], ("完成人“王海”", "role")),
        ([["王海"]], ("完成人",)),
    ],
)
def test_bad_inventors_name_the_field(value: Any, words: tuple[str, ...]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse(AchievementIn, BASE | {"inventors": value})
    message = caught.value.errors["inventors"]
    assert all(w in message for w in words), message


def test_thirty_names_of_thirty_characters_are_accepted() -> None:
    names = [f"{i:02d}" + "名" * 28 for i in range(30)]
    assert [p["name"] for p in _inventors("、".join(names))] == names
