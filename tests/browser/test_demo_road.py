"""The whole road on the demo city, in chromium, with the demo accounts: enterprise2 runs one of
its published demands as a challenge, the office publishes it, two universities bid, two experts
review (expert2, of the first university, is refused on that bid), the office awards with
feedback, the contract's two milestones are completed and it is accepted; and the demo broker
takes a suggestion from its queue to a signed deal."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from silian.accounts.models import User
from silian.brokerage import service as brokerage
from silian.brokerage.models import Broker, Contract, Deal, Match
from silian.challenges import service as challenges
from silian.challenges.models import Challenge
from silian.core import clock
from silian.core.db import get_engine
from silian.core.migrate import upgrade
from silian.demands.models import Bid, Demand
from silian.demo.loader import DEMO_PASSWORD, load_demo
from silian.talent.models import Talent
from tests.browser.conftest import LiveApp, Shots, serve
from tests.browser.test_deal_journeys import _fill_bid, _pick
from tests.browser.test_journeys import sign_out

pytestmark = pytest.mark.browser
TODAY = clock.today()
DEADLINE = TODAY + timedelta(days=10)
CRITERIA = ("技术方案先进性", "团队能力", "报价与进度")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city loaded once per module (about half a minute); each test gets a copy."""
    path = tmp_path_factory.mktemp("demo-city") / "demo.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    load_demo(url)
    get_engine(url).dispose()
    return path


@pytest.fixture
def live_app(tmp_path: Path, demo_db: Path) -> Iterator[LiveApp]:
    """The app on a fresh copy of the demo city."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_db, path)
    with serve(path, tmp_path / "home") as app:
        yield app


def demo_sign_in(page: Page, app: LiveApp, username: str, start: str = "/login") -> User:
    """Sign in as a demo account (its demo password) and return it."""
    user = app.db.scalar(select(User).where(User.username == username))
    assert user is not None, f"the demo city has no account {username}"
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".account")).to_contain_text(user.role_label)
    if start != "/login":
        page.goto(start)
    return user


def test_demo_challenge_from_posting_to_accepted_contract(
    page: Page, live_app: LiveApp, shot: Shots, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the demo city: post, publish, two bids, two reviewers (one conflict), award with
    feedback, a contract with two milestones completed and accepted."""
    clock = {"today": TODAY}
    monkeypatch.setattr(challenges, "today", lambda: clock["today"])
    monkeypatch.setattr(brokerage, "today", lambda: clock["today"])
    db = live_app.db
    poster = db.scalar(select(User).where(User.username == "enterprise2"))
    assert poster is not None
    taken = select(Challenge.demand_id)
    demand = db.scalars(
        select(Demand)
        .where(
            Demand.organization_id == poster.organization_id,
            Demand.status == "published",
            Demand.id.not_in(taken),
        )
        .order_by(Demand.id)
    ).first()
    assert demand is not None, "enterprise2 has a published demand without a challenge"
    reviewer_names = {
        username: db.scalar(
            select(Talent.name)
            .join(User, User.id == Talent.user_id)
            .where(User.username == username)
        )
        for username in ("expert", "expert2")
    }
    assert all(reviewer_names.values()), reviewer_names

    # enterprise2 runs its published demand as a challenge.
    demo_sign_in(page, live_app, "enterprise2", f"/challenges/new?demand={demand.id}")
    page.get_by_label("揭榜截止日期").fill(DEADLINE.isoformat())
    page.get_by_label("榜额/奖金").fill("800000")
    page.get_by_label("知识产权约定").select_option(label="双方共有或许可使用")
    page.get_by_label("阶段1名称").fill("方案征集")
    page.get_by_label("阶段1开始").fill(TODAY.isoformat())
    page.get_by_label("阶段1结束").fill(DEADLINE.isoformat())
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".page-head .status")).to_have_text("待发布")
    challenge = db.scalars(select(Challenge).where(Challenge.demand_id == demand.id)).one()
    shot("challenge-draft")
    sign_out(page)

    demo_sign_in(page, live_app, "office", f"/challenges/{challenge.id}")
    page.get_by_role("button", name="发布揭榜挂帅").click()
    expect(page.locator(".page-head .status")).to_have_text("揭榜中")
    for name in reviewer_names.values():
        _pick(page, "评审专家", str(name))
        page.get_by_role("button", name="指派评审专家").click()
    assigned = page.locator("section.card").filter(has_text="指派评审专家")
    for name in reviewer_names.values():
        expect(assigned).to_contain_text(str(name))
    shot("published-with-reviewers")
    sign_out(page)

    teams = {"university": "海大船舶水动力团队", "university2": "石大流体力学团队"}
    for username, amount in (("university", "75万"), ("university2", "680000")):
        demo_sign_in(page, live_app, username, f"/challenges/{challenge.id}/bid")
        _fill_bid(page, teams[username], amount)
        expect(page.locator("table").last).to_contain_text(teams[username])
        sign_out(page)
    shot("bids-submitted")

    clock["today"] = DEADLINE + timedelta(days=1)
    demo_sign_in(page, live_app, "enterprise2", f"/challenges/{challenge.id}")
    expect(page.get_by_role("heading", name="揭榜方案")).to_be_visible()
    page.get_by_role("button", name="开始评审").click()
    expect(page.locator(".page-head .status")).to_have_text("评审中")
    sign_out(page)

    # expert2 works at 中国海洋大学: that bid is not offered and a forged score is refused.
    # The workspace names the evaluation waiting for them and lists their own achievements.
    demo_sign_in(page, live_app, "expert2", "/my")
    expect(page.locator("#todo")).to_contain_text("待评审的揭榜挂帅 1 项")
    expect(page.locator("#listings")).to_contain_text("我的科技成果")
    shot("expert-workspace")
    page.locator("#reviews").get_by_role("link", name="评分").click()
    page.get_by_role("button", name="确认申报").click()
    own = page.locator("section.card[id^=bid-]").filter(has_text=teams["university"])
    expect(own).to_contain_text("本单位方案，须回避")
    shot("reviewer-conflict")
    own_id = int((own.get_attribute("id") or "").removeprefix("bid-"))
    token = page.locator("meta[name=csrf-token]").get_attribute("content") or ""
    forged = page.request.post(
        f"/bids/{own_id}/score",
        form={
            "csrf_token": token,
            "score__技术方案先进性": "100",
            "score__团队能力": "100",
            "score__报价与进度": "100",
        },
    )
    assert forged.status == 403 and "不能评审本单位" in forged.text()
    marks_by_reviewer = {
        "expert2": {teams["university2"]: ("86", "80", "88")},
        "expert": {
            teams["university"]: ("78", "82", "70"),
            teams["university2"]: ("90", "84", "86"),
        },
    }
    for username, marks in marks_by_reviewer.items():
        if username != "expert2":
            demo_sign_in(page, live_app, username, f"/challenges/{challenge.id}/review")
            page.get_by_role("button", name="确认申报").click()
        for team, values in marks.items():
            card = page.locator("section.card[id^=bid-]").filter(has_text=team)
            for label, value in zip(
                ("技术方案先进性", "团队能力", "报价与进度"), values, strict=True
            ):
                card.get_by_label(f"{team} {label}").fill(value)
            card.get_by_role("button", name="提交评分").click()
            expect(page.locator("section.card[id^=bid-]").filter(has_text=team)).to_contain_text(
                "已评分"
            )
        shot(f"scored-by-{username}")
        sign_out(page)

    demo_sign_in(page, live_app, "office", f"/challenges/{challenge.id}/award")
    shot("evaluation")
    _pick(page, "中榜方案", teams["university2"])
    page.get_by_label(f"{teams['university']}未入选原因").select_option(label="报价偏高")
    page.get_by_label(f"{teams['university']}反馈说明").fill(
        "报价高于中榜方案，试验验证计划不够具体。"
    )
    page.get_by_role("button", name="确认定榜").click()
    expect(page.locator(".page-head .status")).to_have_text("已定榜")
    page.get_by_role("link", name="登记合同").click()
    page.get_by_label("技术合同登记号").fill(f"{TODAY.year}370200000456")
    page.get_by_label("节点1名称").fill("船型优化方案")
    page.get_by_label("节点1截止日期").fill((TODAY + timedelta(days=60)).isoformat())
    page.get_by_label("节点1金额").fill("200000")
    page.get_by_label("节点2名称").fill("水池试验验收")
    page.get_by_label("节点2截止日期").fill((TODAY + timedelta(days=180)).isoformat())
    page.get_by_label("节点2金额").fill("400000")
    page.get_by_role("button", name="登记合同").click()
    expect(page.locator(".page-head .status")).to_have_text("已认定登记")
    shot("contract-registered")
    contract_url = page.url.split("?")[0]
    sign_out(page)

    demo_sign_in(page, live_app, "university", f"/challenges/{challenge.id}")
    expect(page.locator("table").last).to_contain_text("报价高于中榜方案")
    shot("loser-sees-feedback")
    sign_out(page)

    demo_sign_in(page, live_app, "university2", contract_url)
    for name, evidence in (("船型优化方案", "船型优化报告"), ("水池试验验收", "水池试验报告")):
        page.get_by_label(f"{name}证明材料").fill(evidence)
        page.get_by_label(f"{name}证明材料").locator("xpath=..").get_by_role(
            "button", name="标记完成"
        ).click()
        expect(page.locator("tr").filter(has_text=name)).to_contain_text(evidence)
    sign_out(page)

    demo_sign_in(page, live_app, "enterprise2", contract_url)
    page.get_by_role("button", name="验收合同").click()
    expect(page.locator(".page-head .status")).to_have_text("已验收")
    shot("contract-accepted")
    page.goto(f"/challenges/{challenge.id}")
    expect(page.locator(".page-head .status")).to_have_text("已验收")
    db.expire_all()
    contract = db.scalars(select(Contract).where(Contract.challenge_id == challenge.id)).one()
    winner = db.get(Bid, challenge.awarded_bid_id or 0)
    university2 = db.scalar(select(User).where(User.username == "university2"))
    assert winner is not None and university2 is not None
    assert contract.status == "done" and contract.seller_id == university2.organization_id
    assert contract.buyer_id == poster.organization_id


def test_demo_broker_takes_a_queued_suggestion_to_signature(
    page: Page, live_app: LiveApp, shot: Shots
) -> None:
    """The demo broker opens a deal from its queue: contacted → negotiating → signed."""
    db = live_app.db
    broker = db.scalar(
        select(Broker).join(User, User.id == Broker.user_id).where(User.username == "broker")
    )
    assert broker is not None
    waiting = list(
        db.scalars(
            select(Match)
            .where(Match.broker_id == broker.id, Match.status == "suggested")
            .order_by(Match.score.desc())
        )
    )
    assert waiting, "the demo broker's queue has suggestions"
    first = waiting[0]
    demand = db.get(Demand, first.source_id)
    assert demand is not None
    deals_before = len(list(db.scalars(select(Deal.id).where(Deal.broker_id == broker.id))))

    demo_sign_in(page, live_app, "broker", "/brokerage")
    queue = page.locator("section.card").filter(has_text="待处理撮合建议")
    expect(queue.locator("tbody tr")).to_have_count(len(waiting))
    row = queue.locator("tbody tr").first
    expect(row).to_contain_text(demand.title)
    shot("broker-queue")
    row.get_by_label("渠道").select_option(label="高校—市技术转移中心")
    row.get_by_role("button", name="发起对接").click()
    expect(page.locator(".page-head .status")).to_have_text("已推荐")
    steps = [
        ("contacted", "已与双方电话沟通，企业有意向", "安排技术交流会", 3),
        ("negotiating", "完成技术交流，进入许可费用谈判", "敲定许可费用", 7),
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
    expect(queue.locator("tbody tr")).to_have_count(len(waiting) - 1)
    expect(page.locator("#figures")).to_contain_text("高校—市技术转移中心")
    shot("broker-figures")
    db.expire_all()
    deal = db.scalars(select(Deal).where(Deal.match_id == first.id)).one()
    assert deal.stage == "signed" and deal.demand_id == demand.id
    assert len(list(db.scalars(select(Deal.id).where(Deal.broker_id == broker.id)))) == (
        deals_before + 1
    )
