"""End-to-end journeys in chromium: post, review and publish a demand and an achievement."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from tests.browser.conftest import LiveApp, Shots
from tests.support import PASSWORD

pytestmark = pytest.mark.browser

DEMAND = {
    "title": "船用推进器低噪声设计技术需求",
    "problem": "现有船用推进器在高转速工况下噪声偏大，希望获得降低十分贝以上的设计与验证方案。",
    "keywords": "推进器，降噪",
    "budget": "800000",
}
ACHIEVEMENT = {
    "title": "深海耐压壳体窄间隙焊接工艺",
    "summary": "一种适用于深海装备耐压壳体的窄间隙激光焊接工艺，焊缝强度高、变形小。",
    "keywords": "焊接，耐压壳体",
    "price": "1200000",
}
REMARKS = "请补充中试数据和专利号"


def sign_in(page: Page, user: User, start: str = "/login") -> None:
    """Open start (a login redirect for protected pages) and sign in through the form."""
    page.goto(start)
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".account")).to_contain_text(user.role_label)


def sign_out(page: Page) -> None:
    """Press 退出 in the header and check the visitor view."""
    page.locator(".account").get_by_role("button", name="退出").click()
    expect(page.locator(".account").get_by_role("link", name="登录")).to_be_visible()


def open_review_queue(page: Page) -> None:
    """Office: from the workspace to the review queue."""
    page.locator(".account").get_by_title("我的工作台").click()
    page.get_by_role("link", name="审核队列").click()
    expect(page.get_by_role("heading", name="待审核")).to_be_visible()


def test_enterprise_demand_is_reviewed_and_published(
    page: Page, live_app: LiveApp, shot: Shots
) -> None:
    """Enterprise posts a demand, the office approves it, a visitor reads it."""
    live_app.db.add(IndustryChain(code="marine", name="海洋装备产业链", sort_order=1))
    live_app.db.commit()
    org = live_app.factory.org("enterprise", name="蓝港海工科技")
    enterprise = live_app.factory.user("enterprise", org=org)
    office = live_app.factory.user("office")

    sign_in(page, enterprise, "/demands/new")
    expect(page.get_by_role("heading", name="发布技术需求")).to_be_visible()
    page.get_by_label("需求名称").fill(DEMAND["title"])
    page.locator("#f-problem").fill(DEMAND["problem"])
    page.locator("#f-keywords").fill(DEMAND["keywords"])
    page.locator("#f-chain_id").select_option(label="海洋装备产业链")
    page.locator("#f-wanted_trl").select_option("6")
    page.locator("#f-budget").fill(DEMAND["budget"])
    shot("enterprise-demand-form")
    page.get_by_role("button", name="保存并提交审核").click()
    expect(page.get_by_role("status")).to_have_text("需求已提交审核，审核结果将通知您")
    expect(page.locator(".page-head .status")).to_have_text("待审核")
    shot("enterprise-demand-submitted")
    sign_out(page)

    page.goto("/demands")
    expect(page.get_by_role("link", name=DEMAND["title"])).to_have_count(0)
    sign_in(page, office)
    open_review_queue(page)
    shot("office-review-queue")
    page.get_by_role("link", name=DEMAND["title"]).click()
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator(".page-head .status")).to_have_text("揭榜中")
    shot("office-approved-demand")
    sign_out(page)

    page.goto("/demands")
    link = page.get_by_role("link", name=DEMAND["title"])
    expect(link).to_be_visible()
    expect(page.locator("tbody")).to_contain_text("蓝港海工科技")
    shot("visitor-demand-list")
    link.click()
    expect(page.get_by_role("heading", name=DEMAND["title"])).to_be_visible()
    expect(page.locator("main")).to_contain_text(DEMAND["problem"])
    expect(page.locator("main")).to_contain_text("80万元")
    expect(page.get_by_role("button", name="审核通过")).to_have_count(0)
    shot("visitor-demand-detail")


def test_university_achievement_returned_then_resubmitted(
    page: Page, live_app: LiveApp, shot: Shots
) -> None:
    """University publishes, the office returns it with remarks, it is fixed and approved."""
    org = live_app.factory.org("university", name="滨海海洋大学")
    university = live_app.factory.user("university", org=org)
    office = live_app.factory.user("office")

    sign_in(page, university, "/achievements/new")
    page.get_by_label("成果名称").fill(ACHIEVEMENT["title"])
    page.locator("#f-summary").fill(ACHIEVEMENT["summary"])
    page.locator("#f-keywords").fill(ACHIEVEMENT["keywords"])
    page.locator("#f-trl").select_option("5")
    page.locator("#f-stage").select_option(label="小试")
    page.get_by_label("转让").check()
    page.get_by_label("许可").check()
    page.locator("#f-price").fill(ACHIEVEMENT["price"])
    shot("university-achievement-form")
    page.get_by_role("button", name="保存并提交审核").click()
    expect(page.locator(".page-head .status")).to_have_text("待审核")
    sign_out(page)

    sign_in(page, office)
    open_review_queue(page)
    page.get_by_role("link", name=ACHIEVEMENT["title"]).click()
    page.get_by_label("修改意见").fill(REMARKS)
    shot("office-returning")
    page.get_by_role("button", name="退回修改").click()
    expect(page.locator(".page-head .status")).to_have_text("已退回")
    expect(page.locator(".flash.warn")).to_contain_text(REMARKS)
    sign_out(page)

    sign_in(page, university)
    page.locator(".account").get_by_title("我的工作台").click()
    page.get_by_role("link", name=ACHIEVEMENT["title"]).click()
    expect(page.locator(".flash.warn")).to_contain_text(REMARKS)
    shot("university-sees-remarks")
    page.get_by_role("link", name="编辑").click()
    # The form shows the office's remarks and offers to save and resubmit in one step.
    expect(page.locator(".returned-remarks")).to_contain_text(REMARKS)
    page.locator("#f-patent_numbers").fill("ZL202410000001.2")
    page.locator("#f-stage").select_option(label="中试")
    shot("university-edits-with-remarks")
    page.get_by_role("button", name="保存并重新提交").click()
    expect(page.get_by_role("status")).to_contain_text("成果已提交审核")
    expect(page.locator(".page-head .status")).to_have_text("待审核")
    expect(page.locator("main")).to_contain_text("ZL202410000001.2")
    shot("university-resubmitted")
    sign_out(page)

    sign_in(page, office)
    open_review_queue(page)
    page.get_by_role("link", name=ACHIEVEMENT["title"]).click()
    # The reviewer sees what changed since the return.
    changes = page.locator(".since-return")
    expect(changes).to_contain_text("ZL202410000001.2")
    expect(changes).to_contain_text("中试")
    shot("office-sees-changes-since-return")
    page.get_by_role("button", name="审核通过").click()
    expect(page.get_by_role("status")).to_have_text("已审核通过，成果已发布")
    expect(page.locator(".page-head .status")).to_have_text("已发布")
    sign_out(page)

    page.goto("/achievements")
    page.get_by_role("link", name=ACHIEVEMENT["title"]).click()
    main = page.locator("main")
    expect(main).to_contain_text(ACHIEVEMENT["summary"])
    expect(main).to_contain_text("TRL 5 · 中试")
    expect(main).to_contain_text("转让、许可")
    expect(main).not_to_contain_text(REMARKS)
    shot("visitor-achievement-detail")
