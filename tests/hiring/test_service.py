"""Hiring services: the application road under the headcount, co-shared hires with dispatch and
achievements, 产才融合 project review and recommendations graded by salary, and the figures."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.chains.models import IndustryChain
from silian.core import clock
from silian.core.audit import AuditLog
from silian.core.db import session_factory
from silian.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from silian.hiring import figures, service
from silian.hiring.models import Application, Hire
from silian.talent.models import SalaryGradeRule, Talent, TalentNeed, TalentProject
from tests.support import Factory


def _expert(factory: Factory, name: str) -> tuple[User, Talent]:
    user = factory.user("expert", org=factory.org("institute"))
    return user, factory.talent(name, user)


def _advance(db: Session, owner: User, app: Application, *actions: str) -> Application:
    for action in actions:
        app = service.change_application(db, owner, app.id, action, {})
    return app


def test_talent_applies_and_the_owner_hires_through_every_stage(
    db: Session, factory: Factory
) -> None:
    owner = factory.user("enterprise")
    assert owner.organization is not None
    need = factory.need(owner.organization, headcount=1)
    user, talent = _expert(factory, "张工")
    app = service.submit_application(db, user, {"need_id": need.id, "note": "十年焊接经验"})
    assert (app.channel, app.status, app.user_id) == ("self", "applied", user.id)
    with pytest.raises(InvalidTransition, match="不能录用"):
        service.change_application(db, owner, app.id, "hire", {})
    app = _advance(db, owner, app, "shortlist", "interview", "offer", "hire")
    assert app.status == "hired"
    hire = db.scalar(select(Hire).where(Hire.application_id == app.id))
    assert hire is not None and hire.talent_id == talent.id and not hire.co_shared
    db.refresh(need)
    assert need.status == "filled"
    actions = db.scalars(
        select(AuditLog.action).where(AuditLog.entity_type == "talent_applications")
    ).all()
    assert list(actions) == ["create", "shortlist", "interview", "offer", "hire"]


def test_decline_needs_a_reason_and_only_the_owner_moves_applications(
    db: Session, factory: Factory
) -> None:
    owner = factory.user("enterprise")
    assert owner.organization is not None
    need = factory.need(owner.organization)
    user, talent = _expert(factory, "李工")
    app = factory.application(need, talent)
    with pytest.raises(NotFound):  # another enterprise does not even see it
        service.change_application(db, factory.user("enterprise"), app.id, "shortlist", {})
    with pytest.raises(PermissionDenied):
        service.change_application(db, user, app.id, "shortlist", {})
    with pytest.raises(ValidationFailed) as exc:
        service.change_application(db, owner, app.id, "decline", {"reason": "  "})
    assert exc.value.errors == {"reason": "请填写不录用的原因"}
    app = service.change_application(db, owner, app.id, "decline", {"reason": "专业方向不符"})
    assert (app.status, app.decline_reason) == ("declined", "专业方向不符")


def test_offers_and_hires_never_exceed_the_headcount(db: Session, factory: Factory) -> None:
    owner = factory.user("university")
    assert owner.organization is not None
    need = factory.need(owner.organization, headcount=1)
    first = factory.application(need, factory.talent("甲"), "interviewed")
    second = factory.application(need, factory.talent("乙"), "interviewed")
    service.change_application(db, owner, first.id, "offer", {})
    with pytest.raises(InvalidTransition) as exc:
        service.change_application(db, owner, second.id, "offer", {})
    assert "需求 1 人，已录用 0 人、已发录用意向 1 人" in exc.value.message
    service.change_application(db, owner, first.id, "hire", {})
    user, _ = _expert(factory, "丙")
    db.refresh(need)
    need.status = "open"  # reopened by hand: applications are still refused at the headcount
    db.commit()
    with pytest.raises(InvalidTransition, match="已录用 1 人"):
        service.submit_application(db, user, {"need_id": need.id})


def test_broker_recommends_enterprise_only_with_self_recommend_right(
    db: Session, factory: Factory
) -> None:
    owner = factory.user("university")
    assert owner.organization is not None
    need = factory.need(owner.organization)
    talent = factory.talent("王工")
    broker = factory.user("broker")
    app = service.submit_application(db, broker, {"need_id": need.id, "talent_id": talent.id})
    assert (app.channel, app.submitted_by_id) == ("broker", broker.id)
    ent = factory.user("enterprise")
    assert ent.organization is not None
    other = factory.talent("赵工")
    with pytest.raises(PermissionDenied, match="自主荐才权"):
        service.submit_application(db, ent, {"need_id": need.id, "talent_id": other.id})
    factory.project(ent.organization, ["self_recommend"])
    app = service.submit_application(db, ent, {"need_id": need.id, "talent_id": other.id})
    assert (app.channel, app.recommender_org_id) == ("enterprise", ent.organization_id)
    # The recommender sees it, but gains no right to move it.
    assert service.get_application(db, ent, app.id).id == app.id
    with pytest.raises(PermissionDenied):
        service.change_application(db, ent, app.id, "shortlist", {})
    with pytest.raises(InvalidTransition, match="不能重复申请"):
        service.submit_application(db, broker, {"need_id": need.id, "talent_id": other.id})


def _co_shared(db: Session, factory: Factory) -> tuple[User, Hire, int]:
    """A co-shared need posted by a university with an enterprise scene, hired; the scene id."""
    owner = factory.user("university")
    assert owner.organization is not None
    scene = factory.org("enterprise", name="蓝港海工")
    need = factory.need(
        owner.organization, co_shared=True, scene_organization_id=scene.id, headcount=2
    )
    app = factory.application(need, factory.talent("共享人才"), "offered")
    service.change_application(db, owner, app.id, "hire", {"hired_on": "2026-03-01"})
    hire = db.scalar(select(Hire).where(Hire.application_id == app.id))
    assert hire is not None
    return owner, hire, scene.id


def test_co_shared_hire_records_dispatch_with_shares_summing_to_100(
    db: Session, factory: Factory
) -> None:
    owner, hire, scene_id = _co_shared(db, factory)
    assert hire.co_shared and hire.host_organization_id == owner.organization_id
    assert hire.scene_organization_id == scene_id and hire.hired_on == date(2026, 3, 1)
    bad = {"start_on": "2026-03-02", "host_share": "60", "scene_share": "30"}
    with pytest.raises(ValidationFailed) as exc:
        service.record_dispatch(db, owner, hire.id, bad)
    assert "之和须为 100%（现为 90%）" in exc.value.errors["__all__"]
    early = bad | {"scene_share": "40", "start_on": "2026-02-01"}
    with pytest.raises(ValidationFailed) as exc:
        service.record_dispatch(db, owner, hire.id, early)
    assert "早于录用日期" in exc.value.errors["start_on"]
    good = {
        "start_on": "2026-03-02",
        "end_on": "2027-03-01",
        "host_share": "60",
        "scene_share": "40",
    }
    dispatch = service.record_dispatch(db, owner, hire.id, good)
    assert (dispatch.host_share, dispatch.scene_share) == (Decimal(60), Decimal(40))
    assert dispatch.scene_organization_id == scene_id
    with pytest.raises(NotFound):
        service.record_dispatch(db, factory.user("university"), hire.id, good)


def test_co_shared_hire_links_existing_achievements_once(db: Session, factory: Factory) -> None:
    owner, hire, scene_id = _co_shared(db, factory)
    done = Achievement(
        title="深海焊接机器人",
        summary="场景中产出的成果。",
        organization_id=scene_id,
        status="published",
    )
    draft = Achievement(title="未发布成果", summary="草稿。", organization_id=scene_id)
    db.add_all([done, draft])
    db.commit()
    with pytest.raises(ValidationFailed) as exc:
        service.link_achievement(db, owner, hire.id, {"achievement_id": draft.id})
    assert exc.value.errors == {"achievement_id": "成果不存在或未公开"}
    service.link_achievement(db, owner, hire.id, {"achievement_id": done.id})
    with pytest.raises(InvalidTransition, match="已关联"):
        service.link_achievement(db, owner, hire.id, {"achievement_id": done.id})
    db.expire_all()
    assert [link.achievement_id for link in hire.achievement_links] == [done.id]


def test_co_shared_hire_needs_both_partners(db: Session, factory: Factory) -> None:
    owner = factory.user("enterprise")
    assert owner.organization is not None
    need = factory.need(owner.organization, co_shared=True)
    app = factory.application(need, factory.talent("缺院所"), "offered")
    with pytest.raises(ValidationFailed) as exc:
        service.change_application(db, owner, app.id, "hire", {})
    assert "岗位所在高校/院所" in exc.value.errors["__all__"]
    assert db.get(Application, app.id).status == "offered"  # type: ignore[union-attr]


def _chain_rules(db: Session) -> IndustryChain:
    chain = IndustryChain(code="marine", name="海洋装备产业链", sort_order=1)
    db.add(chain)
    db.flush()
    db.add_all(
        [
            SalaryGradeRule(chain_id=chain.id, grade="B", min_annual_salary=Decimal("1000000")),
            SalaryGradeRule(chain_id=chain.id, grade="D", min_annual_salary=Decimal("300000")),
            SalaryGradeRule(chain_id=None, grade="E", min_annual_salary=Decimal("150000")),
        ]
    )
    db.commit()
    return chain


def test_project_applied_reviewed_then_salary_graded_recommendation_confirmed(
    db: Session, factory: Factory
) -> None:
    chain = _chain_rules(db)
    ent, office = factory.user("enterprise"), factory.user("office")
    data: dict[str, Any] = {
        "name": "海工装备产才融合项目",
        "chain_id": chain.id,
        "year": 2026,
        "requested_rights": ["salary_grading", "self_recommend"],
    }
    project = service.apply_project(db, ent, data)
    assert (project.status, project.organization_id) == ("applying", ent.organization_id)
    talent = factory.talent("钱工")
    rec = {"project_id": project.id, "talent_id": talent.id, "right": "salary_grading"}
    with pytest.raises(InvalidTransition, match="尚未认定"):
        service.recommend_talent(db, ent, rec | {"annual_salary": "120万"})
    with pytest.raises(PermissionDenied):
        service.review_project(
            db, ent, project.id, {"decision": "approve", "rights": ["salary_grading"]}
        )
    with pytest.raises(ValidationFailed):
        service.review_project(db, office, project.id, {"decision": "reject"})
    project = service.review_project(
        db, office, project.id, {"decision": "approve", "rights": ["salary_grading"]}
    )
    assert (project.status, project.rights) == ("approved", ["salary_grading"])
    with pytest.raises(ValidationFailed) as exc:
        service.recommend_talent(db, ent, rec | {"right": "self_recommend"})
    assert "未获得自主荐才权" in exc.value.errors["right"]
    item = service.recommend_talent(db, ent, rec | {"annual_salary": "120万"})
    assert (item.grade, item.rule_grade, item.rule_threshold) == ("B", "B", Decimal("1000000"))
    assert item.rule_scope == "海洋装备产业链标准" and item.rule_id is not None
    assert (
        item.grading_note
        == "年薪1,200,000元 ≥ B类（领军人才）门槛1,000,000元（海洋装备产业链标准）"
    )
    low = service.recommend_talent(
        db, ent, rec | {"talent_id": factory.talent("孙工").id, "annual_salary": "20万"}
    )
    assert low.grade is None and low.rule_grade == "D" and "最低门槛为D类" in low.grading_note
    with pytest.raises(PermissionDenied):
        service.decide_recommendation(db, ent, item.id, "confirm", {})
    service.decide_recommendation(db, office, item.id, "confirm", {"remarks": "同意"})
    db.refresh(talent)
    db.refresh(project)
    assert talent.grade == "B" and project.talents_gathered == 1
    with pytest.raises(ValidationFailed):
        service.decide_recommendation(db, office, low.id, "reject", {})
    service.decide_recommendation(db, office, low.id, "reject", {"remarks": "年薪未达标准"})


def test_project_without_chain_rules_is_graded_city_wide(db: Session, factory: Factory) -> None:
    _chain_rules(db)
    ent = factory.user("enterprise")
    assert ent.organization is not None
    project = factory.project(ent.organization, ["salary_grading", "self_recommend"])
    data = {"project_id": project.id, "talent_id": factory.talent("周工").id}
    item = service.recommend_talent(
        db, ent, data | {"right": "salary_grading", "annual_salary": "180000"}
    )
    assert (item.grade, item.rule_scope) == ("E", "全市通用标准")
    other = service.recommend_talent(
        db,
        ent,
        {
            "project_id": project.id,
            "talent_id": factory.talent("吴工").id,
            "right": "self_recommend",
        },
    )
    assert other.grade is None and "无需另行评价" in other.grading_note


def test_figures_count_needs_and_hires_by_chain(db: Session, factory: Factory) -> None:
    chain = _chain_rules(db)
    owner, hire, _ = _co_shared(db, factory)
    assert owner.organization is not None
    plain = factory.need(owner.organization, chain_id=chain.id)
    app = factory.application(plain, factory.talent("链上人才"), "offered")
    service.change_application(db, owner, app.id, "hire", {"hired_on": "2026-03-05"})
    # City days (UTC+8) around now, whatever the server's zone.
    around = (clock.today() - timedelta(days=1), clock.today() + timedelta(days=1))
    assert figures.needs_collected(db, *around, None) == 2
    assert figures.needs_collected(db, *around, chain.id) == 1
    assert figures.needs_collected(db, date(2026, 1, 1), date(2026, 1, 31), None) == 0
    march = (date(2026, 3, 1), date(2026, 3, 31))
    assert figures.co_shared_hires(db, *march, None) == 1
    assert figures.co_shared_hires(db, *march, chain.id) == 0
    assert figures.hires_by_chain(db, *march, None) == {None: 1, chain.id: 1}
    assert figures.hires_by_chain(db, date(2026, 4, 1), date(2026, 4, 30), None) == {}


def test_two_offers_racing_for_the_last_seat_one_is_refused(
    db: Session, db_url: str, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two transactions at once (threads, each its own session) offer the one seat; the row lock
    serialises them. Counting is slowed so that without the lock both would pass."""
    owner = factory.user("enterprise")
    assert owner.organization is not None
    need = factory.need(owner.organization, headcount=1)
    apps = [factory.application(need, factory.talent(f"并发{i}"), "interviewed") for i in range(2)]
    counted = service.seats

    def slow_seats(session: Session, item: TalentNeed) -> dict[str, int]:
        used = counted(session, item)
        time.sleep(0.3)
        return used

    monkeypatch.setattr(service, "seats", slow_seats)
    results = [""] * 2
    barrier = threading.Barrier(2)

    def run(index: int) -> None:
        with session_factory(db_url)() as session:
            user = session.get(User, owner.id)
            assert user is not None
            barrier.wait()
            try:
                service.change_application(session, user, apps[index].id, "offer", {})
                results[index] = "ok"
            except InvalidTransition as exc:
                results[index] = exc.message

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results.count("ok") == 1, results
    refused = next(r for r in results if r != "ok")
    assert "需求 1 人，已录用 0 人、已发录用意向 1 人，名额已满" in refused
    db.expire_all()
    statuses = sorted(db.scalars(select(Application.status).where(Application.need_id == need.id)))
    assert statuses == ["interviewed", "offered"]


def test_grading_uses_the_rules_of_the_projects_year(db: Session, factory: Factory) -> None:
    """A year with its own thresholds grades by them; another year falls back to the standing
    set; a chain without rules uses the city-wide set of that year."""
    chain = _chain_rules(db)  # standing: B ≥ 1,000,000, D ≥ 300,000
    db.add_all(
        [
            SalaryGradeRule(
                chain_id=chain.id, year=2025, grade="B", min_annual_salary=Decimal("800000")
            ),
            SalaryGradeRule(
                chain_id=chain.id, year=2025, grade="D", min_annual_salary=Decimal("250000")
            ),
            SalaryGradeRule(
                chain_id=None, year=2025, grade="E", min_annual_salary=Decimal("90000")
            ),
        ]
    )
    db.commit()
    ent = factory.user("enterprise")
    made: list[TalentProject] = []

    def project(year: int, chain_id: int | None) -> TalentProject:
        item = TalentProject(
            name=f"产才融合项目{len(made)}",
            organization_id=ent.organization_id,
            chain_id=chain_id,
            year=year,
        )
        db.add(item)
        db.commit()
        made.append(item)
        return item

    in_2025 = service.grade_for_project(db, project(2025, chain.id), Decimal("900000"))
    assert (in_2025.grade, in_2025.scope) == ("B", "海洋装备产业链2025年标准")
    assert in_2025.rule is not None and in_2025.rule.min_annual_salary == Decimal("800000")
    in_2026 = service.grade_for_project(db, project(2026, chain.id), Decimal("900000"))
    assert (in_2026.grade, in_2026.scope) == ("D", "海洋装备产业链标准")
    low = service.grade_for_project(db, project(2025, chain.id), Decimal("200000"))
    assert low.grade is None and "最低门槛为D类（骨干人才）250,000元" in low.note
    city = service.grade_for_project(db, project(2025, None), Decimal("100000"))
    assert (city.grade, city.scope) == ("E", "全市通用标准（2025年）")
    city_2026 = service.grade_for_project(db, project(2026, None), Decimal("100000"))
    assert city_2026.grade is None and city_2026.scope == "全市通用标准"
