"""The demo city loads on both databases, is idempotent, and every page shows its content."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage.models import Deal
from silian.chains.models import IndustryChain
from silian.demands.models import Demand
from silian.demo.loader import DEMO_PASSWORD, csldcp_title, demand_title, load_demo
from silian.hiring.models import Application, Hire, Recommendation
from silian.meetings import service as meetings
from silian.organizations.models import Organization
from tests.support import csrf


def _count(db: Session, model: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_demo_city_loads_once(db_url: str, db: Session, app: Any) -> None:
    report = load_demo(db_url)
    assert report.added["achievements"] >= 1000
    assert report.added["demands"] >= 150
    first = {m.__name__: _count(db, m) for m in (Achievement, Demand, Organization, User)}
    again = load_demo(db_url)
    assert sum(again.added.values()) == 0
    assert {m.__name__: _count(db, m) for m in (Achievement, Demand, Organization, User)} == first

    published = db.scalar(select(func.count()).where(Achievement.status == "published"))
    assert published and published > 900
    qingdao = db.scalars(select(Organization.name).where(Organization.kind == "university"))
    assert "中国海洋大学" in set(qingdao)
    fictional = db.scalars(select(Organization).where(Organization.kind == "enterprise"))
    assert all(o.is_sample and "示例" in o.name for o in fictional)
    # A deal on the broker channel names its broker (the major 作价投资 deal once had none).
    unbrokered = select(func.count()).where(Deal.channel == "broker", Deal.broker_id.is_(None))
    assert db.scalar(unbrokered) == 0
    major = db.scalars(select(Deal).where(Deal.trade_mode == "equity")).all()
    assert major and all(d.channel == "broker" and d.broker is not None for d in major)
    demo_broker = db.scalar(select(User.id).where(User.username == "broker"))
    assert all(d.broker.user_id != demo_broker for d in major if d.broker is not None)

    with TestClient(app) as client:
        token = csrf(client)
        response = client.post(
            "/login",
            data={"username": "office", "password": DEMO_PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303
        for path in (
            "/",
            "/achievements",
            "/demands",
            "/chains",
            "/talents",
            "/education",
            "/review",
            "/meetings",
        ):
            page = client.get(path)
            assert page.status_code == 200, path
            assert "示例" in page.text or "中国海洋大学" in page.text or "产业链" in page.text
        demands = client.get("/demands").text
        assert "征集" in demands
        # The demo's past joint meetings: decisions with tasks, one of them overdue and flagged.
        overdue = db.scalars(meetings.all_overdue(meetings.today())).all()
        assert [t.title for t in overdue] == ["梳理长期未对接需求清单"]
        assert "逾期督办任务" in client.get("/meetings").text
        chain_id = db.scalar(
            select(IndustryChain.id).where(IndustryChain.code == "integrated_circuits")
        )
        chain_page = client.get(f"/chains/{chain_id}").text
        assert "四链图谱" in chain_page and "短板预警" in chain_page
        # Majors run and the fit index: the IC chain's new majors fall short of its campus
        # recruitment; the city's largest majors are in surplus; no film academy runs mining.
        fit = client.get(f"/api/v1/education/fit?year=2027&chain_id={chain_id}").json()
        assert "集成电路设计与集成系统" in [g["major"] for g in fit["gaps"]]
        assert fit["index"] is not None and 0 < fit["index"] < 100
        city = client.get("/api/v1/education/fit?year=2027").json()
        assert "机械设计制造及其自动化" in [m["major"] for m in city["surpluses"]]
        offerings = client.get("/api/v1/education/offerings?q=采矿&per_page=100").json()
        assert offerings["items"]
        assert all("电影" not in o["university"]["name"] for o in offerings["items"])
        new_majors = client.get("/education/offerings?since=2019").text
        assert "新增专业" in new_majors
        assert client.get("/education/fit?year=2027").status_code == 200


def test_titles_from_texts() -> None:
    text = "我院康复科很多中风病人喝水就呛，想引进针灸结合训练的办法，让病人早日恢复。"
    assert demand_title(text) == "征集：针灸结合训练的办法"
    title = csldcp_title("本文研究了贵州东南部地区的地质构造特征，认为……")
    assert title == "贵州东南部地区的地质构造特征，认为……"
    long = csldcp_title("本文分析了" + "很长的句子" * 10 + "。")
    assert long.endswith("…") and len(long) == 36


def test_demo_hiring_is_coherent(db_url: str, db: Session, app: Any) -> None:
    """Applications at several stages, a co-shared hire with its dispatch and scene achievement,
    and a recommendation graded by the rules that applied; the workspace shows them."""
    report = load_demo(db_url)
    assert report.added["applications"] >= 4 and report.added["hires"] == 1
    stages = set(db.scalars(select(Application.status)))
    assert {"applied", "shortlisted", "interviewed", "declined", "hired"} <= stages
    hire = db.scalar(select(Hire))
    assert hire is not None and hire.co_shared and hire.host and hire.scene
    assert hire.host.kind == "university" and hire.scene.kind == "enterprise"
    assert [d.host_share + d.scene_share for d in hire.dispatches] == [100]
    assert len(hire.achievement_links) == 1
    rec = db.scalar(select(Recommendation))
    assert rec is not None and rec.annual_salary is not None and rec.rule_threshold is not None
    # 80万 reaches the city-wide B threshold (60万) but not A (100万).
    assert (rec.grade, rec.rule_grade, rec.rule_scope) == ("B", "B", "全市通用标准")
    with TestClient(app) as client:
        token = csrf(client)
        client.post(
            "/login",
            data={"username": "enterprise", "password": DEMO_PASSWORD, "csrf_token": token},
        )
        page = client.get("/talents/me").text
        assert "高性能复合材料研发工程师" in page and "产才融合项目" in page
        assert "海洋新材料共引共享研究员" in client.get(f"/hiring/hires/{hire.id}").text


def _sign_in(client: TestClient, username: str) -> None:
    response = client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_demo_returned_record_shows_the_reviewer_what_changed(
    db_url: str, db: Session, app: Any
) -> None:
    """The demo's returned achievements carry the office's return in the audit log, so a
    resubmission shows the reviewer the comparison since the return."""
    load_demo(db_url)
    unit = db.scalar(select(User).where(User.username == "university2"))
    assert unit is not None
    item = db.scalars(
        select(Achievement)
        .where(
            Achievement.status == "returned",
            Achievement.organization_id == unit.organization_id,
        )
        .order_by(Achievement.id)
    ).first()
    assert item is not None, "the demo unit account has a returned achievement to fix"
    with TestClient(app) as client, TestClient(app) as office:
        _sign_in(client, "university2")
        edit = client.get(f"/achievements/{item.id}/edit").text
        assert item.review_remarks in edit and "保存并重新提交" in edit
        done = client.post(f"/achievements/{item.id}/submit", data={"csrf_token": csrf(client)})
        assert done.status_code == 200
        _sign_in(office, "office")
        review = office.get(f"/achievements/{item.id}").text
        assert "退回后未修改任何内容即重新提交" in review
