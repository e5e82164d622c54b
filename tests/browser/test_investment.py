"""An investment project whose talent-arrival forecast shows a gap, fixed by linking a named
class, in chromium: the office records the project with its needs table (a bad row is named),
reads the forecast line by line, links a class from the project page and sees the risk lift."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from silian.core import clock
from tests.browser.conftest import LiveApp, Shots
from tests.browser.test_journeys import sign_in

pytestmark = pytest.mark.browser


def test_forecast_gap_fixed_by_linking_a_named_class(
    page: Page, live_app: LiveApp, shot: Shots
) -> None:
    f = live_app.factory
    opening = clock.today().year + 1
    school = f.org("university", name="青岛示例职业技术学院")
    company = f.org("enterprise", name="示例智能家电集团")
    major = f.major("智能控制技术", level="vocational", code="460303")
    # 100 graduates a year in the city: 2 years × 100 × 10 % × 70 % = 14 expected.
    f.offering(school, major, yearly_intake=100, duration_years=3, first_year=2000)
    klass = f.named_class(
        school, company, name="智能家电智能控制订单班", students=40, graduation_year=opening
    )
    office = f.user("office")

    sign_in(page, office, "/investment-projects/new")
    page.get_by_label("项目名称").fill("智能家电产业园四期")
    page.get_by_label("投产日期").fill(f"{opening}-09-01")
    page.get_by_label("第 1 行专业").fill("智能控制技术")
    page.get_by_label("第 1 行年份").fill(str(opening))
    page.get_by_label("第 1 行人数").fill("四十")
    # The editor adds rows with JavaScript (spare rows remain without it).
    rows = page.locator("tr.need-row")
    before = rows.count()
    page.get_by_role("button", name="添加一行").click()
    expect(rows).to_have_count(before + 1)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#e-talent_needs")).to_have_text("第 1 行「人数」应为正整数")
    expect(page.get_by_label("第 1 行人数")).to_have_value("四十")
    shot("bad-row")
    page.get_by_label("第 1 行人数").fill("40")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("heading", name=re.compile("智能家电产业园四期"))).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("招商引资项目已登记")
    expect(page.locator("#risk-badge")).to_have_text("人才到岗有风险")
    forecast = page.locator("#forecast")
    expect(forecast).to_contain_text("全市相应专业毕业生 200 人")
    expect(forecast).to_contain_text("预计到岗 = (0 + 20.0) × 留用率 70% = 14.0 人")
    expect(forecast).to_contain_text("缺口 26 人")
    shot("gap")

    page.get_by_label("对接冠名班").select_option(value=str(klass.id))
    page.get_by_role("button", name="对接", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已对接本项目")
    expect(page.locator("#risk-badge")).to_have_text("人才可按期到岗")
    expect(forecast).to_contain_text("预计到岗 = (40 + 20.0) × 留用率 70% = 42.0 人 ≥ 需求 40 人")
    expect(page.locator("#classes")).to_contain_text("智能家电智能控制订单班")
    shot("linked")

    page.goto("/investment-projects")
    expect(page.locator("table.table")).to_contain_text("可到岗")
    shot("list")
