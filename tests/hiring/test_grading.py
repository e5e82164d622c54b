"""按薪定才 grading on hand-computed examples: the highest grade reached, no grade below all."""

from __future__ import annotations

from decimal import Decimal

import pytest

from silian.core.errors import ValidationFailed
from silian.hiring.service import Threshold, grade_salary

# A chain's thresholds: A 200万, B 100万, C 50万, D 30万 (no E rule).
RULES = [
    Threshold("A", Decimal("2000000"), 1),
    Threshold("B", Decimal("1000000"), 2),
    Threshold("C", Decimal("500000"), 3),
    Threshold("D", Decimal("300000"), 4),
]


@pytest.mark.parametrize(
    ("salary", "grade", "threshold"),
    [
        ("2000000", "A", "2000000"),  # exactly the A threshold earns A
        ("1999999.99", "B", "1000000"),  # one fen short of A: B
        ("650000", "C", "500000"),
        ("300000", "D", "300000"),
    ],
)
def test_salary_earns_the_highest_grade_whose_threshold_it_reaches(
    salary: str, grade: str, threshold: str
) -> None:
    got = grade_salary(RULES, Decimal(salary), "海洋装备产业链标准")
    assert got.grade == grade
    assert got.rule is not None and got.rule.min_annual_salary == Decimal(threshold)
    assert got.rule.rule_id == {"A": 1, "B": 2, "C": 3, "D": 4}[grade]
    assert "海洋装备产业链标准" in got.note


def test_rules_are_read_from_a_to_e_whatever_their_order() -> None:
    got = grade_salary(list(reversed(RULES)), Decimal("1200000"), "全市通用标准")
    assert got.grade == "B"


def test_salary_below_every_threshold_gets_no_grade_naming_the_lowest() -> None:
    got = grade_salary(RULES, Decimal("299999"), "全市通用标准")
    assert got.grade is None
    assert got.rule is not None and got.rule.grade == "D"
    assert "无等级" in got.note and "300,000元" in got.note and "D类" in got.note


def test_no_rules_at_all_is_refused_with_a_message() -> None:
    with pytest.raises(ValidationFailed) as exc:
        grade_salary([], Decimal("500000"), "全市通用标准")
    assert "未设定按薪定才标准" in exc.value.errors["annual_salary"]
