"""End-to-end in chromium: an enterprise's salary-subsidy application approved up to the cap,
and a second one refused with the cap, what is used and what is left."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveApp, Shots
from tests.browser.test_journeys import sign_in, sign_out

pytestmark = pytest.mark.browser


def _apply(page: Page, policy_id: int, salary: str) -> str:
    """From the policy list: apply with the stated salary, submit; returns the page's URL."""
    page.goto("/subsidies")
    page.locator(f'a[href="/subsidies/apply?policy={policy_id}"]').click()
    page.locator("#f-fact_amount").fill(salary)
    page.locator("#f-reason").fill("按薪定才引进的焊接工艺总工程师。")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#computation")).to_contain_text("年薪")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".page-head .status")).to_have_text("待审核")
    return page.url.split("?")[0]


def test_salary_subsidy_approved_up_to_the_cap_second_refused(
    page: Page, live_app: LiveApp, shot: Shots
) -> None:
    policy = live_app.factory.policy(title="产业人才薪酬补贴", cap_per_org_year=Decimal("500000"))
    enterprise = live_app.factory.user("enterprise")
    office = live_app.factory.user("office")

    sign_in(page, enterprise)
    page.goto("/subsidies")
    expect(page.locator("body")).to_contain_text("年薪 × 20%，单笔最高 50万元")
    shot("policies")
    first = _apply(page, policy.id, "250万")
    expect(page.locator("#computation")).to_contain_text("年薪 250万元 × 20% = 50万元，核定 50万元")
    shot("first-submitted")
    second = _apply(page, policy.id, "60万")
    expect(page.locator("#amount")).to_have_text("12万元")
    shot("second-submitted")
    sign_out(page)

    sign_in(page, office)
    page.goto("/subsidies?status=submitted")
    shot("review-queue")
    page.goto(first)
    page.get_by_role("button", name="批准").click()
    expect(page.locator(".page-head .status")).to_have_text("已批准")
    expect(page.locator("#cap-used")).to_have_text("50万元")
    expect(page.locator("#trail")).to_contain_text("批准补贴申请：50万元")
    shot("first-approved-to-the-cap")
    page.goto(second)
    page.get_by_role("button", name="批准").click()
    expect(page.locator("#refusal")).to_contain_text("每个单位每年最多 50万元")
    expect(page.locator("#refusal")).to_contain_text("已批准 50万元，本申请 12万元，剩余额度 0元")
    expect(page.locator(".page-head .status")).to_have_text("待审核")
    shot("second-refused")
    # The office returns it with remarks; the trail shows every step.
    page.locator("#return-remarks").fill("本年度额度已用完，请于下一年度申报。")
    page.get_by_role("button", name="不予支持").click()
    expect(page.locator(".page-head .status")).to_have_text("未通过")
    expect(page.locator("#trail")).to_contain_text("不予支持补贴申请")
    shot("second-rejected")
