"""End-to-end journeys in chromium: the office runs a roadshow from creation to a recorded lead
turned deal; the annual selection from entries to the published 青岛好成果 list, with a judge
refused on an entry of their own unit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from silian.accounts.models import User
from silian.core import clock
from silian.events.models import Event
from silian.talent.models import Talent
from tests.browser.conftest import LiveApp, Shots
from tests.browser.test_journeys import sign_in, sign_out

pytestmark = pytest.mark.browser


def _as(page: Page, user: User, url: str) -> None:
    """Sign in as user, then open url."""
    sign_in(page, user)
    page.goto(url)


def _pick(page: Page, label: str, text: str) -> None:
    """Select the option of the labelled select whose text contains text."""
    select = page.get_by_label(label)
    value = select.locator("option", has_text=text).first.get_attribute("value")
    select.select_option(value or "")


def test_office_runs_a_roadshow_from_creation_to_a_lead(
    page: Page, live_app: LiveApp, shot: Shots
) -> None:
    """Office creates and opens a roadshow; a university enters its published achievement (its
    draft is not offered); the office approves it and schedules; an enterprise registers, a
    second one is refused beyond the capacity; the office holds the event, records a lead and
    turns it into a deal."""
    f = live_app.factory
    office = f.user("office")
    uni_org = f.org("university", name="滨海海洋大学")
    uni = f.user("university", org=uni_org)
    f.achievement(uni_org, by=uni, title="深海耐压壳体焊接工艺")
    f.achievement(uni_org, "draft", by=uni, title="尚未发布的草稿成果")
    ent_org = f.org("enterprise", name="蓝港海工科技")
    ent, ent2 = f.user("enterprise", org=ent_org), f.user("enterprise")

    sign_in(page, office)
    page.locator(".mainnav").get_by_role("link", name="路演", exact=True).click()
    page.get_by_role("link", name="新建活动").click()
    page.get_by_label("活动名称").fill("2026年12月海洋装备成果路演")
    page.get_by_label("举办时间").fill("2026-12-18T14:00")
    page.get_by_label("举办地点").fill("技术转移中心路演厅")
    page.get_by_label("参会名额").fill("2")
    page.get_by_label("活动介绍").fill("聚焦海洋装备产业链，遴选高校院所优质成果现场路演。")
    shot("office-new-event")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name="2026年12月海洋装备成果路演")).to_be_visible()
    page.get_by_role("button", name="开放报名").click()
    expect(page.locator(".page-head .status")).to_have_text("征集中")
    event_url = page.url
    sign_out(page)

    _as(page, uni, event_url)
    options = page.get_by_label("报名本单位已发布的成果").locator("option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_text("深海耐压壳体焊接工艺")
    page.get_by_role("button", name="报名参展").click()
    expect(page.get_by_role("status")).to_contain_text("等待政府部门审核")
    expect(page.locator("#entries")).to_contain_text("待审核")
    shot("university-entered")
    sign_out(page)

    _as(page, office, event_url)
    page.get_by_label("出场顺序").fill("1")
    page.get_by_label("路演人").first.fill("张教授")
    page.get_by_role("button", name="入选", exact=True).click()
    expect(page.locator("#entries")).to_contain_text("已入选")
    page.get_by_role("button", name="确定议程").click()
    expect(page.locator(".page-head .status")).to_have_text("已排期")
    sign_out(page)

    _as(page, ent, event_url)
    page.get_by_label("参会人数").fill("2")
    page.get_by_role("button", name="报名参会").click()
    expect(page.get_by_role("status")).to_contain_text("报名参会成功")
    sign_out(page)
    _as(page, ent2, event_url)
    page.get_by_label("参会人数").fill("1")
    page.get_by_role("button", name="报名参会").click()
    expect(page.locator(".error-message")).to_contain_text("超出剩余名额")
    expect(page.locator("ul.errors")).to_contain_text("名额不足：共2个名额，剩余0个")
    shot("second-enterprise-refused")
    sign_out(page)

    _as(page, office, event_url)
    page.get_by_role("button", name="标记已举办").click()
    _pick(page, "意向企业", "蓝港海工科技")
    _pick(page, "意向成果", "深海耐压壳体焊接工艺")
    page.get_by_label("企业联系人").fill("李经理")
    page.get_by_label("意向说明").fill("希望了解工艺许可价格")
    page.get_by_role("button", name="登记意向").click()
    expect(page.locator("#leads")).to_contain_text("待跟进")
    shot("lead-recorded")
    page.get_by_label("下一步期限").fill((clock.today() + timedelta(days=3)).isoformat())
    page.get_by_role("button", name="转为对接").click()
    expect(page.get_by_role("heading", name="深海耐压壳体焊接工艺 × 蓝港海工科技")).to_be_visible()
    shot("deal-opened")
    page.goto(event_url)
    expect(page.locator("#leads")).to_contain_text("已转为对接")


def test_annual_selection_from_entries_to_the_published_list(
    page: Page, live_app: LiveApp, shot: Shots
) -> None:
    """Two universities' entries; two judges, one of whose own unit entered: that judge is
    refused on it; scores, ranking with spread, publication, the public list."""
    f, db = live_app.factory, live_app.db
    office = f.user("office")
    uni_a, uni_b = f.org("university", name="甲海洋大学"), f.org("university", name="乙理工大学")
    a = f.achievement(uni_a, title="海水淡化能量回收装置")
    b = f.achievement(uni_b, title="船用推进器降噪技术")
    event = f.event("selection", "scheduled", title="2026年度好成果优选")
    entry_a, entry_b = f.event_entry(event, a), f.event_entry(event, b)
    judge_a, judge_b = f.user("expert", org=uni_a), f.user("expert")
    for name, user, org in (("张评审", judge_a, uni_a), ("周评审", judge_b, None)):
        db.add(Talent(name=name, user_id=user.id, organization_id=org.id if org else None))
    db.commit()
    url = f"/events/{event.id}"

    _as(page, office, url)
    for name in ("张评审", "周评审"):
        _pick(page, "指派专家", name)
        page.get_by_role("button", name="指派").click()
        expect(page.locator("#judges")).to_contain_text(name)
    sign_out(page)

    for judge, marks in (
        (judge_a, {b.title: ("90", "80")}),
        (judge_b, {a.title: ("80", "70"), b.title: ("70", "70")}),
    ):
        _as(page, judge, url + "/scoring")
        page.get_by_role("button", name="确认申报").click()
        expect(page.locator("main")).to_contain_text("无利益冲突")
        if judge is judge_a:
            row = page.locator("tr", has_text=a.title)
            expect(row).to_contain_text("本单位成果，须回避")
            shot("judge-own-unit-refused")
        for title, (first, second) in marks.items():
            page.get_by_label(f"{title}：技术先进性").fill(first)
            page.get_by_label(f"{title}：转化前景").fill(second)
            page.locator("tr", has_text=title).get_by_role("button", name="提交评分").click()
            expect(page.locator("tr", has_text=title)).to_contain_text("分")
        sign_out(page)

    _as(page, office, url + "/scoring")
    # a: 80×0.6+70×0.4 = 76 (one judge); b: (86 + 70) / 2 = 78, spread 16 → b first.
    rows = page.locator("table").last.locator("tbody tr")
    expect(rows.first).to_contain_text(b.title)
    expect(rows.first).to_contain_text("16.00")
    shot("ranking-with-spread")
    page.goto(url)
    page.get_by_role("button", name="标记已举办").click()
    page.get_by_role("button", name="发布评选结果").click()
    expect(page).to_have_url(f"{live_app.url}/good-achievements")
    sign_out(page)
    page.goto("/good-achievements")
    table = page.locator("section", has_text="2026年度好成果优选").locator("tbody tr")
    expect(table.first).to_contain_text(b.title)
    expect(table.first).to_contain_text("一等奖")
    expect(table.nth(1)).to_contain_text(a.title)
    shot("good-achievements-list")
    db.expire_all()
    stored = db.get(Event, event.id)
    assert stored is not None and stored.results_published_at is not None
    ranks = {e.id: (e.rank, e.award) for e in stored.entries}
    assert ranks == {entry_b.id: (1, "一等奖"), entry_a.id: (2, "二等奖")}
