"""The talent-arrival forecast on hand-computed examples (pure functions, no database)."""

from __future__ import annotations

from datetime import date

import pytest

from silian.coordination.forecast import ClassSupply, NeedRow, OfferingSupply, forecast

TODAY = date(2026, 3, 1)


def _offering(major: str, code: str, by_year: dict[int, int]) -> OfferingSupply:
    return OfferingSupply(1, "青岛职业技术学院", major, code, by_year)


def test_classes_and_city_graduates_against_the_need() -> None:
    """Need 60; class of 40 (2027) counts, class of 2029 does not; city 2026–2028 grads 100+100+50.

    arrivals = (40 + 250 × 0.1) × 0.8 = 52 < 60 → gap 8, at risk.
    """
    result = forecast(
        [NeedRow("智能控制技术", 60, 2028)],
        [
            ClassSupply(1, "海尔智能控制冠名班", "智能控制技术", 40, 2027),
            ClassSupply(2, "晚毕业冠名班", "智能控制技术", 45, 2029),
        ],
        [_offering("智能控制技术", "460303", {2025: 999, 2026: 100, 2027: 100, 2028: 50})],
        opening_date=date(2028, 9, 1),
        today=TODAY,
        retention_rate=0.8,
        hire_share=0.1,
    )
    (major,) = result.majors
    assert major.linked == 40
    assert [counted for _, counted in major.classes] == [True, False]
    assert major.city == 250
    assert major.arrivals == pytest.approx(52.0)
    assert major.gap == 8 and not major.met
    assert result.at_risk and result.gap == 8 and result.need == 60


def test_linking_a_class_closes_the_gap() -> None:
    """Adding a 2028 class of 10: (50 + 25) × 0.8 = 60 ≥ 60 → met, not at risk."""
    result = forecast(
        [NeedRow("智能控制技术", 60, 2028)],
        [
            ClassSupply(1, "A", "智能控制技术", 40, 2027),
            ClassSupply(3, "B", "智能 控制技术", 10, 2028),  # spaces do not matter
        ],
        [_offering("智能控制技术", "460303", {2026: 100, 2027: 100, 2028: 50})],
        opening_date=date(2028, 9, 1),
        today=TODAY,
        retention_rate=0.8,
        hire_share=0.1,
    )
    assert result.majors[0].arrivals == pytest.approx(60.0)
    assert result.majors[0].met and not result.at_risk


def test_rows_of_one_major_add_up_and_codes_match_offerings() -> None:
    """Two rows of 460303 (20 + 10) match an offering by code; a second major is met alone.

    460303: (0 + 200 × 0.5) × 0.5 = 50 ≥ 30; 软件技术: (12 + 0) × 0.5 = 6 < 7 → gap 1.
    """
    result = forecast(
        [
            NeedRow("", 20, 2027, "460303"),
            NeedRow("", 10, 2028, "460303"),
            NeedRow("软件技术", 7, 2028),
        ],
        [ClassSupply(1, "软件班", "软件技术", 12, 2026)],
        [_offering("智能控制技术", "460303", {2026: 100, 2027: 100})],
        opening_date=date(2027, 5, 1),
        today=TODAY,
        retention_rate=0.5,
        hire_share=0.5,
    )
    by_major = {m.major: m for m in result.majors}
    assert by_major["460303"].need == 30
    assert by_major["460303"].arrivals == pytest.approx(50.0)
    assert by_major["软件技术"].arrivals == pytest.approx(6.0)
    assert by_major["软件技术"].gap == 1
    assert result.at_risk


def test_an_opened_project_counts_only_its_opening_year() -> None:
    """Opened in 2025 (before today): the window is 2025 alone."""
    result = forecast(
        [NeedRow("焊接技术与自动化", 10, 2025)],
        [],
        [_offering("焊接技术与自动化", "", {2024: 500, 2025: 100, 2026: 500})],
        opening_date=date(2025, 6, 1),
        today=TODAY,
        retention_rate=1.0,
        hire_share=0.1,
    )
    assert result.first_year == 2025
    assert result.majors[0].city == 100
    assert result.majors[0].arrivals == pytest.approx(10.0)
    assert not result.at_risk


@pytest.mark.parametrize(
    ("needs", "opening", "status", "reason"),
    [
        ([NeedRow("软件技术", 5)], None, "signed", "未填写投产日期"),
        ([], date(2027, 1, 1), "signed", "未填写分专业人才需求"),
        ([NeedRow("软件技术", 5)], date(2027, 1, 1), "cancelled", "项目已终止"),
    ],
)
def test_unassessable_projects_say_why(
    needs: list[NeedRow], opening: date | None, status: str, reason: str
) -> None:
    """No verdict without an opening date or needs, or for a cancelled project."""
    result = forecast(
        needs,
        [],
        [],
        opening_date=opening,
        today=TODAY,
        retention_rate=0.7,
        hire_share=0.1,
        status=status,
    )
    assert not result.assessable and not result.at_risk
    assert reason in result.reason
