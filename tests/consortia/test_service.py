"""Consortium, project and institute services: permissions, validation, lifecycle, audit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.brokerage.models import Contract, Deal
from silian.consortia import service
from silian.consortia.models import CommonTechProject, InnovationConsortium
from silian.core import clock
from silian.core.audit import AuditLog
from silian.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tests.support import Factory

TODAY = clock.today()


def _audit(db: Session, entity: object) -> list[str]:
    rows = db.scalars(
        select(AuditLog)
        .where(
            AuditLog.entity_type == type(entity).__tablename__,
            AuditLog.entity_id == entity.id,  # type: ignore[attr-defined]
        )
        .order_by(AuditLog.id)
    )
    return [r.action for r in rows]


def test_office_forms_a_consortium_with_members_and_roles(db: Session, factory: Factory) -> None:
    """The office forms it; members keep their roles; the audit row lists them."""
    office = factory.user("office")
    lead = factory.org("enterprise", name="海工装备集团")
    uni = factory.org("university", name="海洋大学")
    inst = factory.org("institute", name="海洋研究所")
    item = service.create_consortium(
        db,
        office,
        {
            "name": "海洋装备创新联合体",
            "lead_organization_id": lead.id,
            "goal": "深海装备关键共性技术",
            "members": [
                {"organization_id": uni.id, "part": "research"},
                {"organization_id": inst.id, "part": "core"},
            ],
        },
    )
    assert {(m.organization.name, m.part) for m in item.memberships} == {
        ("海洋大学", "research"),
        ("海洋研究所", "core"),
    }
    assert _audit(db, item) == ["create"]
    updated = service.update_consortium(
        db,
        office,
        item.id,
        {
            "name": "海洋装备创新联合体",
            "lead_organization_id": lead.id,
            "members": [{"organization_id": uni.id, "part": "core"}],
        },  # fmt: skip
    )
    assert [(m.organization_id, m.part) for m in updated.memberships] == [(uni.id, "core")]
    assert _audit(db, item) == ["create", "update"]
    change = db.scalars(select(AuditLog).where(AuditLog.action == "update")).one()
    assert "members" in change.changes


def test_consortium_refusals_name_the_field(db: Session, factory: Factory) -> None:
    """Only the office forms consortia; the lead must be an enterprise; member rows are checked."""
    office, ent_user = factory.user("office"), factory.user("enterprise")
    lead, uni = factory.org("enterprise"), factory.org("university", name="理工大学")
    base = {"name": "联合体", "lead_organization_id": lead.id}
    with pytest.raises(PermissionDenied):
        service.create_consortium(db, ent_user, base)
    with pytest.raises(ValidationFailed) as exc:
        service.create_consortium(db, office, base | {"lead_organization_id": uni.id})
    assert "理工大学" in exc.value.errors["lead_organization_id"]
    with pytest.raises(ValidationFailed) as exc:
        service.create_consortium(
            db,
            office,
            base | {"members": [{"organization_id": uni.id}, {"organization_id": uni.id}]},
        )
    assert exc.value.errors["members"].startswith("成员第2行")
    with pytest.raises(ValidationFailed) as exc:
        service.create_consortium(db, office, base | {"members": [{"organization_id": lead.id}]})
    assert "牵头" in exc.value.errors["members"]
    with pytest.raises(ValidationFailed) as exc:
        service.create_consortium(db, office, base | {"name": ""})
    assert "name" in exc.value.errors
    db.rollback()
    assert db.scalar(select(InnovationConsortium.id)) is None  # nothing half-written


def test_project_lifecycle_by_the_lead_enterprise(db: Session, factory: Factory) -> None:
    """The lead sets up a project with tasks and milestones, starts it, records an output,
    finishes milestones and has it accepted; each step writes an audit row."""
    lead = factory.org("enterprise")
    uni = factory.org("university")
    consortium = factory.consortium(lead, {uni: "research"})
    lead_user = factory.user("enterprise", lead)
    stranger = factory.user("enterprise")
    data = {
        "title": "深海耐压壳体材料攻关",
        "budget": "500万",
        "tasks": [
            {"organization_id": lead.id, "task": "样机集成与验证", "budget": "300万"},
            {"organization_id": uni.id, "task": "材料配方研究", "budget": "200万"},
        ],
        "milestones": [
            {"name": "材料小试", "due_on": (TODAY + timedelta(days=30)).isoformat()},
            {"name": "样机下水", "due_on": (TODAY + timedelta(days=90)).isoformat()},
        ],
    }
    with pytest.raises(PermissionDenied):
        service.create_project(db, stranger, consortium.id, data)
    project = service.create_project(db, lead_user, consortium.id, data)
    assert project.budget == Decimal(5_000_000) and project.status == "planned"
    assert [t.task for t in project.tasks] == ["样机集成与验证", "材料配方研究"]
    achievement = factory.achievement(uni)
    draft = factory.achievement(uni, status="draft")
    with pytest.raises(InvalidTransition):
        service.link_output(db, lead_user, project.id, {"achievement_id": achievement.id})
    service.start_project(db, lead_user, project.id, {"on": TODAY.isoformat()})
    with pytest.raises(InvalidTransition):
        service.start_project(db, lead_user, project.id)
    with pytest.raises(ValidationFailed) as exc:
        service.link_output(db, lead_user, project.id, {"achievement_id": draft.id})
    assert "尚未发布" in exc.value.errors["achievement_id"]
    service.link_output(db, lead_user, project.id, {"achievement_id": achievement.id})
    with pytest.raises(ValidationFailed) as exc:
        service.link_output(db, lead_user, project.id, {"achievement_id": achievement.id})
    assert "已登记" in exc.value.errors["achievement_id"]
    with pytest.raises(ValidationFailed) as exc:
        service.accept_project(db, lead_user, project.id)
    assert "材料小试" in exc.value.errors["milestones"]
    for milestone in project.milestones:
        service.complete_milestone(db, lead_user, milestone.id, {})
    done = service.accept_project(db, lead_user, project.id)
    assert (done.status, done.accepted_on) == ("done", TODAY)
    with pytest.raises(InvalidTransition):
        service.update_project(db, lead_user, project.id, data)
    assert _audit(db, project) == [
        "create",
        "start",
        "link_achievement",
        "milestone_done",
        "milestone_done",
        "accept",
    ]


def test_project_refusals(db: Session, factory: Factory) -> None:
    """A task for a unit outside the consortium and task budgets above the total are refused
    with the row named; nothing is written."""
    office = factory.user("office")
    consortium = factory.consortium()
    outsider = factory.org("enterprise", name="局外企业")
    base = {"title": "攻关", "budget": "100万"}
    with pytest.raises(ValidationFailed) as exc:
        service.create_project(
            db, office, consortium.id,
            base | {"tasks": [{"organization_id": outsider.id, "task": "测试"}]},
        )  # fmt: skip
    assert exc.value.errors["tasks"] == "任务第1行：“局外企业”不是本联合体的牵头单位或成员"
    with pytest.raises(ValidationFailed) as exc:
        service.create_project(
            db, office, consortium.id,
            base | {"tasks": [{"organization_id": consortium.lead_organization_id,
                               "task": "全部", "budget": "200万"}]},
        )  # fmt: skip
    assert "超过项目总经费" in exc.value.errors["tasks"]
    with pytest.raises(ValidationFailed) as exc:
        service.create_project(db, office, consortium.id, base | {"budget": "-1"})
    assert "budget" in exc.value.errors
    db.rollback()
    assert db.scalar(select(CommonTechProject.id)) is None


def test_institute_talents_by_grade_and_major_achievements(db: Session, factory: Factory) -> None:
    """Talents count by grade; an achievement is major through a platform contract of at least
    10,000,000 yuan or an amount entered with evidence; evidence text is required."""
    office = factory.user("office")
    unit = factory.org("institute", name="青岛海洋装备研究院")
    uni, city = factory.org("university"), factory.org("office", name="市科技局")
    inst = service.create_institute(
        db,
        office,
        {
            "name": "青岛海洋装备研究院",
            "organization_id": unit.id,
            "partners": [
                {"organization_id": uni.id, "kind": "talent", "contribution": "科研团队 30 人"},
                {
                    "organization_id": city.id,
                    "kind": "funding",
                    "contribution": "建设经费",
                    "amount": "5000万",
                },
            ],  # fmt: skip
        },
    )
    assert [p.amount for p in inst.partners] == [None, Decimal(50_000_000)]
    for grade in ("A", "C", "C", None):
        talent = factory.talent(grade=grade)
        service.add_talent(db, office, inst.id, {"talent_id": talent.id})
    on_platform, by_evidence, small = (factory.achievement(unit) for _ in range(3))
    deal = Deal(title="整体转让", achievement_id=on_platform.id, stage="signed")
    db.add(deal)
    db.flush()
    db.add(Contract(deal_id=deal.id, title="转让合同", amount=Decimal(12_000_000),
                    signed_on=TODAY))  # fmt: skip
    db.commit()
    service.link_institute_achievement(db, office, inst.id, {"achievement_id": on_platform.id})
    with pytest.raises(ValidationFailed) as exc:
        service.link_institute_achievement(
            db, office, inst.id, {"achievement_id": by_evidence.id, "evidence_amount": "1000万"}
        )
    assert "证明材料" in exc.value.errors["evidence"]
    service.link_institute_achievement(
        db, office, inst.id,
        {"achievement_id": by_evidence.id, "evidence_amount": "1000万",
         "evidence": "技术合同登记号 2026370201000123"},
    )  # fmt: skip
    service.link_institute_achievement(
        db, office, inst.id,
        {"achievement_id": small.id, "evidence_amount": "999.99万", "evidence": "合同"},
    )  # fmt: skip
    db.refresh(inst)
    summary = service.institute_summary(db, inst)
    assert summary["talents_by_grade"] == {"A": 1, "C": 2, "": 1}
    flags = {a["link"].achievement_id: a["is_major"] for a in summary["achievements"]}
    assert flags == {on_platform.id: True, by_evidence.id: True, small.id: False}
    assert summary["major_achievements"] == 2


def test_institute_refusals(db: Session, factory: Factory) -> None:
    """Only the office records institutes; its own unit must be an institute; partner rows
    need a contribution or amount."""
    office = factory.user("office")
    ent = factory.org("enterprise", name="某企业")
    with pytest.raises(PermissionDenied):
        service.create_institute(db, factory.user("university"), {"name": "研究院"})
    with pytest.raises(ValidationFailed) as exc:
        service.create_institute(db, office, {"name": "研究院", "organization_id": ent.id})
    assert "某企业" in exc.value.errors["organization_id"]
    with pytest.raises(ValidationFailed) as exc:
        service.create_institute(
            db, office, {"name": "研究院", "partners": [{"organization_id": ent.id}]}
        )
    assert exc.value.errors["partners"] == "共建单位第1行：请填写“某企业”投入的内容或金额"
    inst = factory.rd_institute()
    with pytest.raises(ValidationFailed) as exc:
        service.add_talent(db, office, inst.id, {"talent_id": 999999})
    assert exc.value.errors["talent_id"] == "人才不存在"


def test_a_bad_cell_names_its_row(db: Session, factory: Factory) -> None:
    """A malformed cell in a repeated row is reported with the row number and the cell's name."""
    office = factory.user("office")
    consortium = factory.consortium()
    with pytest.raises(ValidationFailed) as exc:
        service.create_project(
            db, office, consortium.id,
            {"title": "攻关", "budget": "100万", "milestones": [
                {"name": "立项评审", "due_on": "2026-01-01"}, {"name": "中期", "due_on": "明年"}]},
        )  # fmt: skip
    assert exc.value.errors["milestones"] == "节点第2行的计划日期：日期格式应为 YYYY-MM-DD"
