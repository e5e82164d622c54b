"""My workspace (/my) per role: what each role owns and what waits for its action."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.brokerage import service as brokerage
from silian.brokerage.models import Contract, ContractMilestone, Deal
from silian.challenges import service as challenges
from silian.challenges.models import Challenge, Reviewer
from silian.demands.models import Bid, Demand
from silian.organizations.models import Organization
from silian.talent.models import Talent
from tests.brokerage.helpers import broker, match, pair
from tests.challenges.helpers import expert, published_demand
from tests.support import Factory, csrf, login

TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(challenges, "today", lambda: TODAY)
    monkeypatch.setattr(brokerage, "today", lambda: TODAY)


def _section(html: str, anchor: str) -> str:
    """The HTML of the element with id=anchor up to the end of its first section."""
    found = re.search(rf'id="{anchor}".*?</section>', html, re.S)
    assert found, f"the workspace has no #{anchor}"
    return found.group(0)


def _listings(html: str) -> str:
    found = re.search(r'id="listings".*?</section>\s*</div>', html, re.S)
    assert found, "the workspace has no listings"
    return found.group(0)


def _todo(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _section(html, "todo")))


def _achievement(db: Session, org: Organization, title: str, **kw: object) -> Achievement:
    item = Achievement(title=title, summary="摘要", organization_id=org.id, **kw)
    db.add(item)
    db.commit()
    return item


def _university_with_records(db: Session, factory: Factory) -> tuple[Organization, Talent]:
    uni = factory.org("university", name="滨海大学")
    _user, talent = expert(db, factory, "王海", uni)
    return uni, talent


def test_expert_sees_own_achievements_and_the_units_count(
    client: TestClient, db: Session, factory: Factory
) -> None:
    uni = factory.org("university", name="滨海大学")
    me, talent = expert(db, factory, "王海", uni)
    colleague = factory.user("university", org=uni)
    _achievement(db, uni, "我创建的成果", created_by_id=me.id)
    _achievement(
        db,
        uni,
        "列我为完成人的成果",
        created_by_id=colleague.id,
        inventors=[{"name": "李同事", "share": 50}, {"name": talent.name, "share": 50}],
    )
    _achievement(db, uni, "同事的其他成果", created_by_id=colleague.id, inventors=[])
    # Same name, another unit: not the expert.
    _achievement(
        db, factory.org("university"), "外校同名者的成果", inventors=[{"name": talent.name}]
    )
    login(client, me)
    html = client.get("/my").text
    listings = _listings(html)
    assert "我的科技成果" in listings and "本单位科技成果" not in listings
    assert "技术需求" not in listings  # an expert posts no demands
    assert "我创建的成果" in listings and "列我为完成人的成果" in listings
    assert "同事的其他成果" not in listings and "外校同名者的成果" not in listings
    assert f'href="/achievements?org={uni.id}">本单位共 3 项成果' in listings

    login(client, colleague)  # a unit account lists the whole unit
    listings = _listings(client.get("/my").text)
    assert "本单位科技成果" in listings
    for title in ("我创建的成果", "列我为完成人的成果", "同事的其他成果"):
        assert title in listings
    assert "外校同名者的成果" not in listings


def test_expert_named_as_inventor_in_the_form_sees_the_achievement(
    client: TestClient, db: Session, factory: Factory
) -> None:
    uni = factory.org("university", name="滨海大学")
    me, _talent = expert(db, factory, "王海", uni)
    colleague = factory.user("university", org=uni)
    login(client, colleague)
    form = {
        "title": "同事填报的换热器成果",
        "summary": "一种高效紧凑的板翅式换热器结构设计方法。",
        "inventors": "李同事、王海（滨海大学）",
        "trl": "5",
        "stage": "small_pilot",
        "ip_type": "invention_patent",
        "csrf_token": csrf(client),
    }
    response = client.post("/achievements/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    login(client, me)
    assert "同事填报的换热器成果" in _listings(client.get("/my").text)


def test_expert_sees_reviews_assigned_and_own_bids(
    client: TestClient, db: Session, factory: Factory
) -> None:
    poster = factory.org("enterprise", name="蓝湾新材料")
    me, talent = expert(db, factory, "王海")
    demand = published_demand(db, poster)
    item = Challenge(demand_id=demand.id, status="evaluating", bidding_deadline=TODAY, criteria=[])
    db.add(item)
    db.flush()
    db.add(Reviewer(challenge_id=item.id, talent_id=talent.id, user_id=me.id))
    other = published_demand(db, poster)
    bidding = Challenge(
        demand_id=other.id,
        status="bidding",
        bidding_deadline=TODAY + timedelta(days=5),
        criteria=[],
    )
    db.add(bidding)
    db.add(
        Bid(
            demand_id=other.id,
            created_by_id=me.id,
            team_name="王海个人团队",
            proposal="方案",
            live_key=f"user:{me.id}",
        )
    )
    db.commit()
    login(client, me)
    html = client.get("/my").text
    assert "待评审的揭榜挂帅 1 项" in _todo(html)
    reviews = _section(html, "reviews")
    assert f'href="/challenges/{item.id}/review"' in reviews and "未申报" in reviews
    assert "王海个人团队" in _section(html, "bids")
    assert 'id="challenges"' not in html  # an expert runs no challenge


def test_office_sees_its_queues(client: TestClient, db: Session, factory: Factory) -> None:
    office = factory.user("office")
    uni = factory.org("university")
    ent = factory.org("enterprise")
    _achievement(db, uni, "待审成果一", status="submitted")
    _achievement(db, uni, "待审成果二", status="submitted")
    _achievement(db, uni, "退回成果", status="returned")
    demand = published_demand(db, ent)
    db.add(
        Challenge(
            demand_id=demand.id,
            status="draft",
            bidding_deadline=TODAY + timedelta(days=9),
            criteria=[],
        )
    )
    _demand, achievement = pair(db, ent, uni)
    match(db, _demand, achievement, None)
    db.commit()
    login(client, office)
    html = client.get("/my").text
    todo = _todo(html)
    assert "待审核的科技成果 2 项" in todo
    assert "已退回、等待单位修改后重新提交 1 项" in todo
    assert "待发布的揭榜挂帅 1 项" in todo
    assert "未分派经纪人的撮合建议 1 项" in todo
    assert "待审核的技术需求" not in todo  # nothing submitted: not listed
    assert "待发布、揭榜中和评审中的揭榜挂帅" in _section(html, "challenges")
    assert 'id="brokerage-figures"' in html


def test_enterprise_sees_its_challenges_bids_received_deals_and_contracts(
    client: TestClient, db: Session, factory: Factory
) -> None:
    ent = factory.org("enterprise", name="蓝湾新材料")
    me = factory.user("enterprise", org=ent)
    uni = factory.org("university", name="滨海大学")
    open_demand, closed_demand = published_demand(db, ent), published_demand(db, ent)
    open_demand.title, closed_demand.title = "揭榜中的需求", "已截止的需求"
    still_open = Challenge(
        demand_id=open_demand.id,
        status="bidding",
        bidding_deadline=TODAY + timedelta(days=3),
        criteria=[],
    )
    closed = Challenge(
        demand_id=closed_demand.id,
        status="bidding",
        bidding_deadline=TODAY - timedelta(days=1),
        criteria=[],
    )
    db.add_all([still_open, closed])
    for demand, org in ((open_demand, uni), (closed_demand, uni)):
        db.add(
            Bid(
                demand_id=demand.id,
                organization_id=org.id,
                team_name="滨海团队",
                proposal="方案",
                live_key=f"org:{org.id}",
            )
        )
    _d, achievement = pair(db, ent, uni)
    deal = Deal(title="推进器降噪对接", buyer_id=ent.id, seller_id=uni.id, stage="negotiating")
    contract = Contract(
        title="推进器降噪技术开发合同",
        amount=Decimal(500_000),
        signed_on=TODAY - timedelta(days=90),
        buyer_id=ent.id,
        seller_id=uni.id,
        trade_mode="co_development",
        status="performing",
        milestones=[
            ContractMilestone(
                seq=1, name="样机", due_on=TODAY - timedelta(days=2), amount=Decimal(100_000)
            )
        ],
    )
    db.add_all([deal, contract])
    db.add(Demand(title="别家的需求", organization_id=factory.org().id, problem="问题"))
    db.commit()
    login(client, me)
    html = client.get("/my").text
    listings = _listings(html)
    assert "本单位技术需求" in listings and "揭榜中的需求" in listings
    assert "别家的需求" not in listings
    section = _section(html, "challenges")
    assert "本单位发布的揭榜挂帅" in section
    # Bids are counted only once bidding has closed (the poster's rule).
    rows = {
        title: row
        for row in re.findall(r"<tr>.*?</tr>", section, re.S)
        for title in ("揭榜中的需求", "已截止的需求")
        if title in row
    }
    assert "截止后可见" in rows["揭榜中的需求"] and "1 份" in rows["已截止的需求"]
    todo = _todo(html)
    assert "已截止、待开始评审的揭榜挂帅 1 项" in todo
    assert "已到期未完成的合同节点 1 项" in todo
    assert "推进器降噪对接" in _section(html, "deals")
    assert "推进器降噪技术开发合同" in _section(html, "contracts")
    assert 'id="queue"' not in html and 'id="reviews"' not in html


def test_university_sees_its_bids_and_feedback(
    client: TestClient, db: Session, factory: Factory
) -> None:
    uni = factory.org("university", name="滨海大学")
    me = factory.user("university", org=uni)
    demand = published_demand(db, factory.org("enterprise"))
    db.add(Challenge(demand_id=demand.id, status="awarded", bidding_deadline=TODAY, criteria=[]))
    db.add(
        Bid(
            demand_id=demand.id,
            organization_id=uni.id,
            created_by_id=None,
            team_name="滨海膜团队",
            proposal="方案",
            status="rejected",
            feedback="报价偏高",
            live_key=f"org:{uni.id}",
        )
    )
    db.commit()
    login(client, me)
    bids = _section(client.get("/my").text, "bids")
    assert "本单位揭榜方案" in bids and "滨海膜团队" in bids and "报价偏高" in bids


def test_broker_sees_its_queue(client: TestClient, db: Session, factory: Factory) -> None:
    user, profile = broker(db, factory, "刘经纪")
    demand, achievement = pair(db, factory.org("enterprise"), factory.org("university"))
    match(db, demand, achievement, profile.id)
    db.add(
        Deal(
            title="到期对接",
            broker_id=profile.id,
            stage="contacted",
            next_action="回访",
            next_due=TODAY,
        )
    )
    db.commit()
    login(client, user)
    html = client.get("/my").text
    todo = _todo(html)
    assert "待处理的撮合建议 1 项" in todo and "今日到期或已逾期的对接 1 项" in todo
    queue = re.sub(r"<[^>]+>", " ", _section(html, "queue"))
    assert re.search(r"待处理撮合建议\s+1 条", queue)
    assert 'id="listings"' not in html  # a broker publishes nothing
    # Sums are shown in 万元 like every amount, and nothing signed is 0元 (not 面议).
    figures = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _section(html, "brokerage-figures")))
    assert "技术合同 0 份，0元" in figures and "面议" not in figures


def test_platform_sees_the_bookings_waiting_for_its_decision_first(
    client: TestClient, factory: Factory
) -> None:
    operator = factory.user("platform")
    assert operator.organization is not None
    service = factory.platform_service(factory.platform(operator.organization), name="水池试验")
    other = factory.platform_service(name="别家服务")  # another unit's platform
    customer = factory.org("enterprise", name="滨海船舶公司")
    # Twenty-odd later bookings that need nothing from the operator, then the two to decide.
    for days in range(30, 52):
        factory.booking(service, customer, start_in=days, status="cancelled")
    first = factory.booking(service, customer, start_in=5)
    factory.booking(service, customer, start_in=9)
    factory.booking(service, customer, start_in=3, status="approved")
    factory.booking(other, customer, start_in=2)
    login(client, operator)
    html = client.get("/my").text
    assert "待确认的平台服务预约 2" in _todo(html)
    assert 'href="/bookings?status=requested"' in _section(html, "todo")
    section = _section(html, "platform-services")
    assert section.count('class="flag">待确认') == 2 and "别家服务" not in section
    assert section.index(f'booking-{first.id}"') < section.index("已取消")
    # The customer waits for the operator: nothing for it to decide.
    login(client, factory.user("enterprise", org=customer))
    assert "待确认的平台服务预约" not in client.get("/my").text


def test_platform_operator_sees_its_services_and_bookings_to_confirm(
    client: TestClient, db: Session, factory: Factory
) -> None:
    operator_org = factory.org("platform")
    operator = factory.user("platform", operator_org)
    service = factory.platform_service(factory.platform(operator_org, name="海洋中试平台"))
    client_org = factory.org("enterprise", name="蓝海制药")
    factory.booking(service, client_org, status="requested")
    factory.booking(service, client_org, start_in=5, status="approved")
    login(client, operator)
    html = client.get("/my").text
    section = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _section(html, "platform-services")))
    assert "海洋中试平台" in section and section.count("蓝海制药") == 2
    flags = _section(html, "platform-services").count('class="flag">待确认')
    assert flags == 1  # only the request waits for the operator
    assert "待确认的平台服务预约 1 项" in _todo(html)
    # The booking unit sees its bookings but confirms nothing.
    booker = factory.user("enterprise", client_org)
    login(client, booker)
    html = client.get("/my").text
    assert 'class="flag">待确认' not in _section(html, "platform-services")
    assert "待确认的平台服务预约" not in html
