"""The fit index from the database: loader on hand-computed data, the /education/fit page and
/api/v1/education/fit on SQLite and PostgreSQL, refused parameters."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.coordination.models import InvestmentProject
from silian.education import fit
from silian.education.models import MajorChain, NamedClass
from tests.chain_world import World, build
from tests.support import Factory


def _supply_and_demand(db: Session, factory: Factory) -> World:
    """Chain: 船舶与海洋工程 100 graduates in 2026 (all to the chain) and 轮机工程 40 graduates
    shared 1:1 with the other chain; a class of 30 轮机工程 students tied to a project; demand
    船舶与海洋工程 150 (a talent need), 轮机工程 20 and 10 naming no major (the project)."""
    w = build(db, factory)
    ship = factory.major("船舶与海洋工程")
    marine = factory.major("轮机工程")
    db.add_all(
        [
            MajorChain(major_id=marine.id, chain_id=w.chain.id, weight=1),
            MajorChain(major_id=marine.id, chain_id=w.other_chain.id, weight=1),
        ]
    )
    db.commit()
    factory.offering(w.university, ship, chain_id=w.chain.id, yearly_intake=100)
    factory.offering(w.university, marine, yearly_intake=80)
    project = InvestmentProject(
        name="海工基地项目",
        chain_id=w.chain.id,
        opening_date=date(2026, 9, 1),
        talent_needs=[{"major": "轮机工程", "count": 20}, {"major": "", "count": 10}],
    )
    db.add(project)
    db.flush()
    db.add(
        NamedClass(
            name="海工订单班2026",
            university_id=w.university.id,
            enterprise_id=w.enterprise.id,
            major_name="轮机工程",
            students=30,
            graduation_year=2026,
            investment_project_id=project.id,
        )
    )
    db.commit()
    factory.need(
        w.leader, 150, major="船舶与海洋工程", chain_id=w.chain.id, deadline=date(2026, 6, 30)
    )
    return w


def _wipe_world_demand(db: Session, w: World) -> None:
    # The world's own talent need and class would add to the numbers; move them out of 2026.
    w.need.deadline = date(2031, 1, 1)
    w.named_class.graduation_year = 2031
    db.commit()


def test_loader_matches_hand_computation(db: Session, factory: Factory) -> None:
    w = _supply_and_demand(db, factory)
    _wipe_world_demand(db, w)
    result = fit.compute(fit.load(db), 2026, w.chain.id)
    by = {m.major: m for m in result.majors}
    assert by["船舶与海洋工程"].supply == 100 and by["船舶与海洋工程"].demand == 150
    # 轮机工程: 80 graduates × 1/2 + the project's class of 30.
    assert by["轮机工程"].supply == 70 and by["轮机工程"].demand == 20
    # M = 100 + 20 + min(50, 10) = 130; S = 170, D = 180 → 72.2
    assert result.matched == 130 and result.index == 72.2


def test_fit_page_and_api(client: TestClient, factory: Factory, db: Session) -> None:
    w = _supply_and_demand(db, factory)
    _wipe_world_demand(db, w)
    page = client.get(f"/education/fit?year=2026&chain_id={w.chain.id}")
    assert page.status_code == 200
    assert "72.2" in page.text and "匹配度 = 100 × M ÷ max(S, D)" in page.text
    assert "chart-fit-trend" in page.text and "education-fit.js" in page.text
    gaps = page.text.split('id="fit-gaps"')[1].split("</table>")[0]
    assert "船舶与海洋工程" in gaps and "-50" in gaps
    surpluses = page.text.split('id="fit-surpluses"')[1].split("</table>")[0]
    assert "轮机工程" in surpluses and "+50" in surpluses
    city = client.get("/education/fit?year=2026")
    assert city.status_code == 200 and "海洋装备产业链" in city.text
    body = client.get(f"/api/v1/education/fit?year=2026&chain_id={w.chain.id}").json()
    assert body["index"] == 72.2 and body["matched"] == 130 and body["demand"] == 180
    assert [g["major"] for g in body["gaps"]] == ["船舶与海洋工程"]
    assert body["universities"][0]["university"] == "滨海海洋大学"
    assert [t["year"] for t in body["trend"]] == list(range(2022, 2031))
    assert "/education/fit" in client.get("/education").text
    assert f"/education/fit?chain_id={w.chain.id}" in client.get(f"/chains/{w.chain.id}").text


def test_fit_refuses_bad_parameters(client: TestClient, factory: Factory, db: Session) -> None:
    build(db, factory)
    page = client.get("/education/fit?year=abc")
    assert page.status_code == 422 and "年份" in page.text
    page = client.get("/education/fit?chain_id=999999")
    assert page.status_code == 422 and "产业链不存在" in page.text
    response = client.get("/api/v1/education/fit?year=1800")
    assert response.status_code == 422 and "year" in response.json()["errors"]
    response = client.get("/api/v1/education/fit?chain_id=999999")
    assert response.status_code == 422
    assert response.json()["errors"]["chain_id"] == "产业链不存在"
