"""The talent-needs table: clean rows, and messages naming the row and the column."""

from __future__ import annotations

import pytest

from silian.coordination.schemas import InvestmentProjectIn, NeedsError, parse_needs
from silian.core.errors import ValidationFailed
from silian.core.validation import parse


def test_rows_are_cleaned_and_blank_rows_skipped() -> None:
    """Full-width digits, 人/年 suffixes and codes are read; blank rows are dropped."""
    rows = parse_needs(
        [
            {"major": " 软件技术 ", "year": "２０２７年", "count": "30人"},
            {"major": "", "year": "", "count": ""},
            {"major": "460303", "year": 2028, "count": 5},
        ]
    )
    assert rows == [
        {"major": "软件技术", "code": "", "year": 2027, "count": 30},
        {"major": "", "code": "460303", "year": 2028, "count": 5},
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [{"major": "a", "year": 2027, "count": 1}] * 0
            + [
                {"major": "软件技术", "year": 2027, "count": 3},
                {"major": "焊接", "year": 2027, "count": 2},
                {"major": "电气", "year": 2027, "count": "三"},
            ],
            "第 3 行「人数」应为正整数",
        ),
        ([{"major": "软件技术", "year": 2027, "count": 0}], "第 1 行「人数」应为正整数"),
        ([{"major": "软件技术", "year": "明年", "count": 3}], "第 1 行「年份」应为"),
        ([{"major": "", "year": 2027, "count": 3}], "第 1 行「专业」不能为空"),
        (
            [{"major": "软件技术", "year": 2027, "count": 3}] * 2,
            "第 2 行与第 1 行的专业和年份重复",
        ),
    ],
)
def test_bad_rows_are_named(rows: list[dict], message: str) -> None:
    """Each problem names its row and column."""
    with pytest.raises(NeedsError, match=message):
        parse_needs(rows)


def test_the_form_columns_become_rows_and_errors_land_on_the_field() -> None:
    """The page's editor posts one list per column; the error is on talent_needs."""
    clean = parse(
        InvestmentProjectIn,
        {
            "name": "测试项目",
            "need_major": ["软件技术", ""],
            "need_year": ["2027", ""],
            "need_count": ["8", ""],
        },
    )
    assert [n.model_dump() for n in clean.talent_needs] == [
        {"major": "软件技术", "code": "", "year": 2027, "count": 8}
    ]
    with pytest.raises(ValidationFailed) as exc:
        parse(
            InvestmentProjectIn,
            {
                "name": "测试项目",
                "need_major": ["软件技术"],
                "need_year": ["2027"],
                "need_count": ["-1"],
            },
        )
    assert exc.value.errors["talent_needs"] == "第 1 行「人数」应为正整数"
