"""In chromium: an enterprise books a pilot service, the platform approves it, and a second
booking for the now full day is refused with the day named."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from silian.core import clock
from silian.platforms.models import ServiceBooking
from tests.browser.conftest import LiveApp, Shots
from tests.browser.test_journeys import sign_in, sign_out

pytestmark = pytest.mark.browser
DAY = clock.today() + timedelta(days=6)


def _book(page: Page, platform_name: str, service_name: str) -> None:
    """From the menu to the platform, its service's 预约 button and the filled booking form."""
    page.locator(".mainnav").get_by_role("link", name="中试平台").click()
    page.get_by_role("link", name=platform_name).click()
    row = page.locator("#services tr", has_text=service_name)
    row.get_by_role("link", name="预约").click()
    expect(page.get_by_role("heading", name=f"预约服务 · {platform_name}")).to_be_visible()
    page.get_by_label("开始日期").fill(DAY.isoformat())
    page.get_by_label("结束日期").fill(DAY.isoformat())
    page.get_by_label("每天数量").fill("1")
    page.get_by_label("需求说明").fill("200L 发酵罐放大验证，菌株已完成摇瓶优化。")


def test_book_approve_and_refuse_the_full_day(page: Page, live_app: LiveApp, shot: Shots) -> None:
    """Enterprise A books the last 批次 of a day; the platform approves on its bookings page;
    enterprise B's booking of the same day is refused naming it, and nothing is written."""
    f, db = live_app.factory, live_app.db
    operator_org = f.org("platform", name="蓝谷中试基地运营公司")
    platform = f.platform(operator_org, name="海洋生物医药中试平台", kind="pilot")
    f.platform_service(
        platform,
        name="发酵工艺放大",
        kind="small_batch",
        unit="批次",
        unit_price=Decimal(18000),
        capacity_per_day=1,
    )
    operator = f.user("platform", operator_org)
    first = f.user("enterprise", f.org("enterprise", name="蓝海生物制药"))
    second = f.user("enterprise", f.org("enterprise", name="北岸海洋药业"))

    sign_in(page, first)
    _book(page, platform.name, "发酵工艺放大")
    shot("booking-form")
    page.get_by_role("button", name="提交预约").click()
    booked = page.locator("#bookings tr", has_text="发酵工艺放大")
    expect(booked).to_contain_text("待确认")
    expect(booked).to_contain_text("1.8万元")
    shot("requested")
    sign_out(page)

    sign_in(page, operator)
    page.locator(".account").get_by_title("我的工作台").click()
    section = page.locator("#platform-services")
    expect(section).to_contain_text("海洋生物医药中试平台")
    expect(section).to_contain_text("待确认")
    section.get_by_role("link", name="全部预约").click()
    row = page.locator("#bookings tr", has_text="蓝海生物制药")
    row.get_by_role("button", name="确认").click()
    expect(page.locator("#bookings tr", has_text="蓝海生物制药")).to_contain_text("已确认")
    shot("approved")
    page.goto(f"/platforms/{platform.id}")
    expect(page.locator("[data-chart=calendar] canvas").first).to_be_visible()
    shot("calendar")
    sign_out(page)

    sign_in(page, second)
    _book(page, platform.name, "发酵工艺放大")
    page.get_by_role("button", name="提交预约").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"{DAY.isoformat()} 已约满")
    shot("refused-full-day")
    db.expire_all()
    statuses = sorted(b.status for b in db.query(ServiceBooking).all())
    assert statuses == ["approved"]
