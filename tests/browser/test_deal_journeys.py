"""End-to-end journeys in chromium: a 揭榜挂帅 challenge from posting to an accepted contract, and
a broker taking a suggestion from the queue to a signed deal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from silian.brokerage import service as brokerage
from silian.brokerage.models import Broker, Match
from silian.challenges import service as challenges
from silian.challenges.models import Challenge
from silian.core import clock
from silian.demands.models import Demand
from silian.talent.models import Talent
from tests.brokerage.helpers import pair
from tests.browser.conftest import LiveApp, Shots
from tests.browser.test_journeys import sign_in, sign_out

pytestmark = pytest.mark.browser
TODAY = clock.today()
DEADLINE = TODAY + timedelta(days=10)


def _pick(page: Page, label: str, text: str) -> None:
    """Select the option of the labelled select whose text contains text."""
    select = page.get_by_label(label)
    value = select.locator("option", has_text=text).first.get_attribute("value")
    select.select_option(value or "")


def _fill_bid(page: Page, team: str, amount: str) -> None:
    page.get_by_label("团队名称").fill(team)
    page.get_by_label("技术方案").fill(
        "采用抗污染改性膜与在线清洗组合工艺，分阶段完成小试与中试验证。"
    )
    page.get_by_label("团队成员").fill("王膜 负责人\n李工 工程师")
    page.get_by_label("成熟度(TRL)").fill("5")
    page.get_by_label("成熟度证明").fill("小试样品第三方检测报告")
    page.get_by_label("报价", exact=True).fill(amount)
    page.get_by_label("进度安排").fill("六个月完成中试")
    page.get_by_role("button", name="提交揭榜方案").click()
    expect(page.get_by_role("status")).to_have_text("揭榜方案已提交")


def test_challenge_from_posting_to_accepted_contract(
    page: Page, live_app: LiveApp, shot: Shots, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Enterprise posts a challenge, office publishes, two teams bid, two reviewers score (one is
    refused on a bid of their own unit), the office awards with feedback, a contract with two
    milestones is completed and accepted."""
    clock = {"today": TODAY}
    monkeypatch.setattr(challenges, "today", lambda: clock["today"])
    monkeypatch.setattr(brokerage, "today", lambda: clock["today"])
    f, db = live_app.factory, live_app.db
    ent_org = f.org("enterprise", name="蓝湾新材料")
    enterprise, office = f.user("enterprise", org=ent_org), f.user("office")
    uni_a, uni_b = f.org("university", name="甲海洋大学"), f.org("university", name="乙理工大学")
    team_a, team_b = f.user("university", org=uni_a), f.user("university", org=uni_b)
    rev_a = f.user("expert", org=uni_a)
    rev_b = f.user("expert")
    db.add_all(
        [
            Talent(name="张评审", user_id=rev_a.id, organization_id=uni_a.id),
            Talent(name="周评审", user_id=rev_b.id),
        ]
    )
    demand = Demand(
        title="反渗透膜污染控制技术攻关",
        organization_id=ent_org.id,
        created_by_id=enterprise.id,
        problem="海水淡化装置反渗透膜清洗周期太短，需要延长清洗周期的技术方案。",
        public_summary="海水淡化反渗透膜污染控制方向的技术需求。",
        status="published",
    )
    db.add(demand)
    db.commit()

    # The enterprise sets its published demand up as a challenge.
    sign_in(page, enterprise, f"/challenges/new?demand={demand.id}")
    page.get_by_label("揭榜截止日期").fill(DEADLINE.isoformat())
    page.get_by_label("榜额/奖金").fill("800000")
    page.get_by_label("知识产权约定").select_option(label="双方共有或许可使用")
    page.get_by_label("阶段1名称").fill("方案征集")
    page.get_by_label("阶段1开始").fill(TODAY.isoformat())
    page.get_by_label("阶段1结束").fill(DEADLINE.isoformat())
    page.get_by_label("指标1权重").fill("50")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".field-error").first).to_contain_text("权重之和应为100")
    shot("weights-must-sum-to-100")
    page.get_by_label("指标1权重").fill("40")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".page-head .status")).to_have_text("待发布")
    challenge = db.query(Challenge).one()
    shot("challenge-draft")
    sign_out(page)

    sign_in(page, office)
    page.goto(f"/challenges/{challenge.id}")
    page.get_by_role("button", name="发布揭榜挂帅").click()
    expect(page.locator(".page-head .status")).to_have_text("揭榜中")
    for name in ("张评审", "周评审"):
        _pick(page, "评审专家", name)
        page.get_by_role("button", name="指派评审专家").click()
    expect(page.locator("section.card").filter(has_text="指派评审专家")).to_contain_text("周评审")
    sign_out(page)

    page.goto("/challenges")
    expect(page.get_by_text("剩 10 天")).to_be_visible()
    shot("challenge-hall")
    for team, name, amount in (
        (team_a, "甲大学膜团队", "700000"),
        (team_b, "乙大学膜团队", "600000"),
    ):
        sign_in(page, team, f"/challenges/{challenge.id}/bid")
        _fill_bid(page, name, amount)
        expect(page.locator("table").last).to_contain_text(name)
        sign_out(page)
    shot("bids-submitted")

    clock["today"] = DEADLINE + timedelta(days=1)
    sign_in(page, enterprise)
    page.goto(f"/challenges/{challenge.id}")
    expect(page.get_by_role("heading", name="揭榜方案")).to_be_visible()
    page.get_by_role("button", name="开始评审").click()
    expect(page.locator(".page-head .status")).to_have_text("评审中")
    sign_out(page)

    # 张评审 works at 甲海洋大学: that bid is not offered, and a forged request is refused.
    sign_in(page, rev_a, f"/challenges/{challenge.id}/review")
    page.get_by_role("button", name="确认申报").click()
    bid_a = page.locator("section.card[id^=bid-]").filter(has_text="甲大学膜团队")
    expect(bid_a).to_contain_text("本单位方案，须回避")
    shot("reviewer-conflict")
    bid_a_id = int(bid_a.get_attribute("id").removeprefix("bid-"))  # type: ignore[union-attr]
    token = page.locator("meta[name=csrf-token]").get_attribute("content") or ""
    forged = page.request.post(
        f"/bids/{bid_a_id}/score",
        form={
            "csrf_token": token,
            "score__技术方案先进性": "100",
            "score__团队能力": "100",
            "score__报价与进度": "100",
        },
    )
    assert forged.status == 403 and "不能评审本单位" in forged.text()
    sheet = page.locator("section.card[id^=bid-]").filter(has_text="乙大学膜团队")
    for label, value in (("技术方案先进性", "90"), ("团队能力", "80"), ("报价与进度", "85")):
        sheet.get_by_label(f"乙大学膜团队 {label}").fill(value)
    sheet.get_by_role("button", name="提交评分").click()
    expect(page.locator("section.card[id^=bid-]").filter(has_text="乙大学膜团队")).to_contain_text(
        "已评分"
    )
    sign_out(page)

    sign_in(page, rev_b, f"/challenges/{challenge.id}/review")
    page.get_by_role("button", name="确认申报").click()
    for team, marks in (("甲大学膜团队", ("70", "75", "60")), ("乙大学膜团队", ("88", "82", "80"))):
        card = page.locator("section.card[id^=bid-]").filter(has_text=team)
        for label, value in zip(("技术方案先进性", "团队能力", "报价与进度"), marks, strict=True):
            card.get_by_label(f"{team} {label}").fill(value)
        card.get_by_role("button", name="提交评分").click()
    shot("reviewer-scored")
    sign_out(page)

    sign_in(page, office, f"/challenges/{challenge.id}/award")
    shot("evaluation")
    _pick(page, "中榜方案", "乙大学膜团队")
    page.get_by_role("button", name="确认定榜").click()
    expect(page.get_by_role("alert")).to_contain_text("甲大学膜团队")
    _pick(page, "中榜方案", "乙大学膜团队")
    page.get_by_label("甲大学膜团队未入选原因").select_option(label="报价偏高")
    page.get_by_label("甲大学膜团队反馈说明").fill("报价高于同类方案，中试计划不够具体。")
    page.get_by_role("button", name="确认定榜").click()
    expect(page.locator(".page-head .status")).to_have_text("已定榜")
    page.get_by_role("link", name="登记合同").click()
    page.get_by_label("技术合同登记号").fill(f"{TODAY.year}370200000123")
    page.get_by_label("节点1名称").fill("小试验证")
    page.get_by_label("节点1截止日期").fill((TODAY + timedelta(days=60)).isoformat())
    page.get_by_label("节点1金额").fill("200000")
    page.get_by_label("节点2名称").fill("中试验收")
    page.get_by_label("节点2截止日期").fill((TODAY + timedelta(days=180)).isoformat())
    page.get_by_label("节点2金额").fill("400000")
    page.get_by_role("button", name="登记合同").click()
    expect(page.locator(".page-head .status")).to_have_text("已认定登记")
    shot("contract-registered")
    contract_url = page.url.split("?")[0]
    sign_out(page)

    sign_in(page, team_a)
    page.goto(f"/challenges/{challenge.id}")
    expect(page.locator("table").last).to_contain_text("报价高于同类方案")
    shot("loser-sees-feedback")
    sign_out(page)

    sign_in(page, team_b, contract_url)
    for name, evidence in (("小试验证", "小试验证报告"), ("中试验收", "中试验收报告")):
        page.get_by_label(f"{name}证明材料").fill(evidence)
        page.get_by_label(f"{name}证明材料").locator("xpath=..").get_by_role(
            "button", name="标记完成"
        ).click()
        expect(page.locator("tr").filter(has_text=name)).to_contain_text(evidence)
    sign_out(page)

    sign_in(page, enterprise, contract_url)
    page.get_by_role("button", name="验收合同").click()
    expect(page.locator(".page-head .status")).to_have_text("已验收")
    shot("contract-accepted")
    page.goto(f"/challenges/{challenge.id}")
    expect(page.locator(".page-head .status")).to_have_text("已验收")


def test_broker_takes_a_suggestion_to_signature(page: Page, live_app: LiveApp, shot: Shots) -> None:
    """A broker opens a deal from a queued suggestion: contacted → negotiating → signed."""
    f, db = live_app.factory, live_app.db
    broker_user = f.user("broker")
    profile = Broker(name="刘经纪", user_id=broker_user.id, max_active_deals=5)
    db.add(profile)
    db.commit()
    demand, achievement = pair(
        db, f.org("enterprise", name="胶澳海工"), f.org("university", name="滨海大学")
    )
    db.add(
        Match(
            source_kind="demand",
            source_id=demand.id,
            target_kind="achievement",
            target_id=achievement.id,
            score=0.82,
            reasons={"matched": {"推进器": "标题"}},
            broker_id=profile.id,
            assignment_note="专业对口；当前负荷0/5",
        )
    )
    db.commit()

    sign_in(page, broker_user, "/brokerage")
    expect(page.get_by_role("heading", name="待处理撮合建议")).to_be_visible()
    expect(page.locator("section.card").filter(has_text="待处理撮合建议")).to_contain_text(
        demand.title
    )
    shot("broker-queue")
    page.get_by_label("渠道").select_option(label="海洋科技大市场")
    page.get_by_role("button", name="发起对接").click()
    expect(page.locator(".page-head .status")).to_have_text("已推荐")
    steps = [
        ("contacted", "已与双方电话沟通，企业有意向", "安排技术交流会", 3),
        ("negotiating", "完成技术交流，进入价格谈判", "敲定许可费用", 7),
        ("signed", "双方签署技术许可合同", "", 0),
    ]
    for stage, note, action, days in steps:
        page.locator("#f-stage").select_option(stage)
        page.locator("#f-note").fill(note)
        if action:
            page.locator("#f-next").fill(action)
            page.locator("#f-due").fill((TODAY + timedelta(days=days)).isoformat())
        page.get_by_role("button", name="保存进展").click()
        expect(page.get_by_role("status")).to_have_text("已保存对接进展")
        expect(page.locator(".timeline")).to_contain_text(note)
    expect(page.locator(".page-head .status")).to_have_text("已签约")
    expect(page.locator(".timeline li")).to_have_count(4)
    shot("deal-signed")
    page.goto("/brokerage")
    expect(page.locator("#figures")).to_contain_text("海洋科技大市场")
    shot("broker-figures")
