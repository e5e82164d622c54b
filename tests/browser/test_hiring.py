"""A co-shared (共引共享) hire in chromium: the university posts the post with the enterprise's
scene, an expert applies, the university moves the application to a hire and records the
dispatch (cost shares summing to 100) and an achievement produced at the scene."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from silian.achievements.models import Achievement
from tests.browser.conftest import LiveApp, Shots
from tests.browser.test_journeys import sign_in, sign_out

pytestmark = pytest.mark.browser


def test_co_shared_hire_from_need_to_dispatch(page: Page, live_app: LiveApp, shot: Shots) -> None:
    f, db = live_app.factory, live_app.db
    uni_org = f.org("university", name="滨海海洋大学")
    scene = f.org("enterprise", name="蓝港海工科技")
    university = f.user("university", org=uni_org)
    expert = f.user("expert", org=f.org("institute", name="海洋材料研究院"))
    f.talent("林海生", expert)
    db.add(
        Achievement(
            title="海工结构防腐涂层",
            summary="在企业场景中完成的防腐涂层成果。",
            organization_id=scene.id,
            status="published",
        )
    )
    db.commit()

    # The university posts a co-shared need naming the enterprise that gives the scene.
    sign_in(page, university, "/talent-needs/new")
    page.get_by_label("岗位名称").fill("海工防腐共享研究员")
    page.get_by_label("需求人数").fill("1")
    page.get_by_role("checkbox", name="共引共享岗位").check()
    select = page.get_by_label("提供产业场景的企业", exact=False)
    select.select_option(label="蓝港海工科技（企业）")
    page.get_by_role("button", name="发布").click()
    expect(page.get_by_role("heading", name=re.compile("海工防腐共享研究员"))).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("蓝港海工科技")
    need_url = page.url.split("?")[0]
    shot("need")
    sign_out(page)

    # The expert applies from the need page.
    sign_in(page, expert)
    page.goto(need_url)
    page.get_by_label("申请说明").fill("愿意每周驻企三天。")
    page.get_by_role("button", name="申请该岗位").click()
    expect(page.get_by_role("status")).to_contain_text("已提交申请：林海生")
    expect(page.locator(".status")).to_have_text("已申请")
    shot("applied")
    sign_out(page)

    # The university moves the application to a hire from its workspace.
    sign_in(page, university, "/talents/me")
    page.get_by_role("link", name="处理申请").first.click()
    expect(page.get_by_text("需求 1 人，已录用 0 人")).to_be_visible()
    shot("applications")
    page.get_by_role("link", name="已申请").click()
    for button, stage in (
        ("列入候选", "已入围"),
        ("记录面试", "已面试"),
        ("发出录用意向", "已发录用意向"),
        ("录用", "已录用"),
    ):
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.locator(".page-head .status")).to_have_text(stage)
    shot("hired")
    page.get_by_role("link", name="查看录用与派驻").click()
    expect(page.locator("dl.facts")).to_contain_text("滨海海洋大学")

    # Shares that do not sum to 100 are refused with the reason; then the dispatch is recorded.
    hire_url = page.url
    page.get_by_label("派驻开始日期").fill("2030-01-01")
    page.get_by_label("滨海海洋大学承担比例(%)").fill("60")
    page.get_by_label("蓝港海工科技承担比例(%)").fill("30")
    page.get_by_role("button", name="登记派驻").click()
    expect(page.locator(".errors")).to_contain_text("成本分担比例之和须为 100%（现为 90%）")
    shot("shares-refused")
    page.goto(hire_url)
    page.get_by_label("派驻开始日期").fill("2030-01-01")
    page.get_by_label("派驻结束日期").fill("2030-12-31")
    page.get_by_label("滨海海洋大学承担比例(%)").fill("60")
    page.get_by_label("蓝港海工科技承担比例(%)").fill("40")
    page.get_by_role("button", name="登记派驻").click()
    expect(page.get_by_role("status")).to_contain_text("已登记派驻")
    row = page.locator("table tbody tr").first
    expect(row).to_contain_text("蓝港海工科技")
    expect(row).to_contain_text("60%")
    expect(row).to_contain_text("40%")
    page.get_by_label("关联已有成果").select_option(label="海工结构防腐涂层")
    page.get_by_role("button", name="关联").click()
    expect(page.get_by_role("link", name="海工结构防腐涂层")).to_be_visible()
    shot("dispatched")
