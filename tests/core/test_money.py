"""Money as people write it: one parser for forms, the API and imports; shown as 万元 in forms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.core.money import (
    WAN,
    MoneyError,
    format_money,
    format_money_input,
    parse_money,
    unit_in,
)
from silian.demands.models import Demand
from silian.talent.models import SalaryGradeRule
from tests.support import Factory, api_headers, csrf, login


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("300000", "300000"),
        ("50万", "500000"),
        ("50万元", "500000"),
        ("1.2亿", "120000000"),
        ("1.2亿元", "120000000"),
        ("1,200,000元", "1200000"),
        ("５０万", "500000"),
        ("一百万", "1000000"),
        ("大约一百万", "1000000"),
        ("一百五十万", "1500000"),
        ("一亿五千万", "150000000"),
        ("两百万元", "2000000"),
        ("壹佰万元整", "1000000"),
        ("3千万", "30000000"),
        ("1.5千元", "1500"),
        (" 80 万 ", "800000"),
    ],
)
def test_amounts_are_read_into_yuan(text: str, yuan: str) -> None:
    assert parse_money(text) == Decimal(yuan)


@pytest.mark.parametrize("text", ["面议", "协商", "议价", "", "  ", None])
def test_negotiable_and_blank_mean_no_amount(text: str | None) -> None:
    assert parse_money(text) is None


@pytest.mark.parametrize("text", ["50-100万", "很贵", "50万80万", "一二三", "万", "1亿万"])
def test_unreadable_amounts_are_refused_not_guessed(text: str) -> None:
    with pytest.raises(MoneyError, match="无法识别的金额"):
        parse_money(text)


def test_the_column_unit_applies_to_bare_numbers_only() -> None:
    assert unit_in("意向价格（万元）") == WAN and unit_in("金额(单位：万元)") == WAN
    assert unit_in("价格") is None
    assert parse_money("120", WAN) == Decimal("1200000")
    assert parse_money(35.5, WAN) == Decimal("355000")
    assert parse_money("300000元", WAN) == Decimal("300000")  # written unit wins
    assert parse_money("一百万", WAN) == Decimal("1000000")


def test_amounts_are_shown_as_typed_and_in_wan() -> None:
    assert format_money_input(Decimal("1000000.00")) == "100万"
    assert format_money_input(Decimal("15000")) == "1.5万"
    assert format_money_input(Decimal("200000000")) == "2亿"
    assert format_money_input(Decimal("1234.5")) == "1234.5"
    assert format_money(Decimal("1235000")) == "123.5万元" and format_money(None) == "面议"


def test_forms_and_api_accept_wan_and_yi(client: TestClient, factory: Factory, db: Session) -> None:
    boss = factory.user("enterprise")
    login(client, boss)
    form = {
        "title": "反渗透膜污染控制技术需求",
        "problem": "我们的海水淡化装置反渗透膜清洗周期太短，希望找到延长清洗周期的技术方案。",
        "budget": "50万",
        "csrf_token": csrf(client),
    }
    assert client.post("/demands/new", data=form, follow_redirects=False).status_code == 303
    demand = db.scalars(select(Demand)).one()
    assert demand.budget == Decimal("500000")
    edit = client.get(f"/demands/{demand.id}/edit").text
    assert 'value="50万"' in edit and "500000.00" not in edit
    bad = client.post("/demands/new", data=form | {"budget": "很多"})
    assert bad.status_code == 422 and "无法识别的金额" in bad.text
    teacher = factory.user("university", org=factory.org("university"))
    response = client.post(
        "/api/v1/achievements",
        headers=api_headers(client, teacher),
        json={
            "title": "高效换热器",
            "summary": "一种用于船舶余热回收的高效板式换热器，换热效率提升两成。",
            "price": "1.2亿",
        },
    )
    assert response.status_code in (200, 201), response.text
    assert db.scalars(select(Achievement)).one().price == Decimal("120000000")


def test_salary_rule_form_takes_and_shows_wan(
    client: TestClient, factory: Factory, db: Session
) -> None:
    login(client, factory.user("office"))
    data = {"chain_id": "", "grade_A": "100万", "grade_B": "60万", "grade_C": "300000"}
    saved = client.post(
        "/salary-grade-rules/edit", data=data | {"csrf_token": csrf(client)}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    amounts = {r.grade: r.min_annual_salary for r in db.scalars(select(SalaryGradeRule))}
    assert amounts["A"] == Decimal("1000000") and amounts["C"] == Decimal("300000")
    form = client.get("/salary-grade-rules/edit").text
    assert 'value="100万"' in form and "1000000.00" not in form
    wrong = client.post(
        "/salary-grade-rules/edit",
        data=data | {"grade_B": "200万", "csrf_token": csrf(client)},
    )
    assert wrong.status_code == 422 and "应低于A类标准（100万元）" in wrong.text
