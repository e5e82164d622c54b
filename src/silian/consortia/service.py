"""Innovation consortia, their common-technology projects and co-built R&D institutes: every
change is one function here that checks permission, validates, writes the audit row and commits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage.models import Contract, Deal
from silian.chains.models import IndustryChain
from silian.consortia.choices import COMMON_TECH_STATUS
from silian.consortia.models import (
    CommonTechProject,
    ConsortiumMember,
    InnovationConsortium,
    InstituteAchievement,
    InstitutePartner,
    InstituteTalent,
    ProjectAchievement,
    ProjectMilestone,
    ProjectTask,
    RdInstitute,
)
from silian.consortia.schemas import (
    ConsortiumIn,
    InstituteAchievementIn,
    InstituteIn,
    InstituteTalentIn,
    MilestoneDoneIn,
    OutputIn,
    ProjectIn,
    TransitionIn,
)
from silian.core import audit, clock, permissions
from silian.core.concurrency import check_version, saving, touch
from silian.core.errors import InvalidTransition, NotFound, ValidationFailed
from silian.core.transactions import commit
from silian.core.validation import field_path, message_for, parse
from silian.organizations.models import Organization
from silian.talent.models import Talent

# A major achievement (重大成果): a contract worth at least this much (yuan).
MAJOR_CONTRACT_VALUE = Decimal(10_000_000)
# Units that may join a consortium besides its lead enterprise.
MEMBER_KINDS = ("university", "institute", "enterprise", "platform")


M = TypeVar("M", bound=BaseModel)
# Repeated rows and their cells, as people call them in messages.
ROW_NOUNS = {"members": "成员", "tasks": "任务", "milestones": "节点", "partners": "共建单位"}
CELL_LABELS = {
    "organization_id": "单位",
    "part": "分工",
    "task": "任务内容",
    "budget": "经费",
    "name": "名称",
    "due_on": "计划日期",
    "done_on": "完成日期",
    "kind": "投入类型",
    "contribution": "投入内容",
    "amount": "金额",
}


def parse_rows(model: type[M], data: dict[str, Any]) -> M:
    """Validate data into model; an error inside a repeated row names the row and the cell
    (“任务第2行的经费：请填写数字”) instead of the whole list."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            loc = error.get("loc") or ()
            field = str(loc[0]) if loc else "__all__"
            message = message_for(error)
            if field in ROW_NOUNS and len(loc) >= 2 and isinstance(loc[1], int):
                cell = "的" + CELL_LABELS.get(str(loc[2]), str(loc[2])) if len(loc) >= 3 else ""
                message = f"{ROW_NOUNS[field]}第{loc[1] + 1}行{cell}：{message}"
            errors.setdefault(field if field in ROW_NOUNS else field_path(loc[:1]), message)
        raise ValidationFailed(errors) from exc


def today() -> date:
    """Today's date (one place, so tests and the demo agree)."""
    return clock.today()


# --- reading -----------------------------------------------------------------------------------


def visible_consortia(user: User | None) -> Select[InnovationConsortium]:
    """Consortia user may see: the register is public (members, projects and outputs alike)."""
    return select(InnovationConsortium)


def visible_institutes(user: User | None) -> Select[RdInstitute]:
    """Institutes user may see: the register is public."""
    return select(RdInstitute)


def list_consortia(
    session: Session,
    user: User | None,
    *,
    chain_id: int | None = None,
    organization_id: int | None = None,
) -> list[InnovationConsortium]:
    """Consortia by name; of one chain, or those a unit leads or belongs to."""
    stmt = visible_consortia(user).order_by(InnovationConsortium.name)
    if chain_id is not None:
        stmt = stmt.where(InnovationConsortium.chain_id == chain_id)
    if organization_id is not None:
        members = select(ConsortiumMember.consortium_id).where(
            ConsortiumMember.organization_id == organization_id
        )
        stmt = stmt.where(
            or_(
                InnovationConsortium.lead_organization_id == organization_id,
                InnovationConsortium.id.in_(members),
            )
        )
    return list(session.scalars(stmt).unique())


def get_consortium(session: Session, user: User | None, consortium_id: int) -> InnovationConsortium:
    """A consortium or NotFound."""
    item = session.scalar(visible_consortia(user).where(InnovationConsortium.id == consortium_id))
    if item is None:
        raise NotFound("创新联合体不存在")
    return item


def list_projects(
    session: Session,
    user: User | None,
    *,
    consortium_id: int | None = None,
    chain_id: int | None = None,
    status: str = "",
) -> list[CommonTechProject]:
    """Common-technology projects of visible consortia, newest first."""
    visible = visible_consortia(user).with_only_columns(InnovationConsortium.id)
    stmt = select(CommonTechProject).where(CommonTechProject.consortium_id.in_(visible))
    if consortium_id is not None:
        stmt = stmt.where(CommonTechProject.consortium_id == consortium_id)
    if chain_id is not None:
        stmt = stmt.join(InnovationConsortium).where(InnovationConsortium.chain_id == chain_id)
    if status:
        stmt = stmt.where(CommonTechProject.status == status)
    return list(session.scalars(stmt.order_by(CommonTechProject.id.desc())).unique())


def get_project(session: Session, user: User | None, project_id: int) -> CommonTechProject:
    """A project of a visible consortium, or NotFound."""
    project = session.get(CommonTechProject, project_id)
    if project is None:
        raise NotFound("攻关项目不存在")
    get_consortium(session, user, project.consortium_id)
    return project


def list_institutes(
    session: Session,
    user: User | None,
    *,
    chain_id: int | None = None,
    organization_id: int | None = None,
) -> list[RdInstitute]:
    """Institutes by name; of one chain, or those a unit is (or co-builds)."""
    stmt = visible_institutes(user).order_by(RdInstitute.name)
    if chain_id is not None:
        stmt = stmt.where(RdInstitute.chain_id == chain_id)
    if organization_id is not None:
        partners = select(InstitutePartner.institute_id).where(
            InstitutePartner.organization_id == organization_id
        )
        stmt = stmt.where(
            or_(RdInstitute.organization_id == organization_id, RdInstitute.id.in_(partners))
        )
    return list(session.scalars(stmt).unique())


def get_institute(session: Session, user: User | None, institute_id: int) -> RdInstitute:
    """An institute or NotFound."""
    item = session.scalar(visible_institutes(user).where(RdInstitute.id == institute_id))
    if item is None:
        raise NotFound("新型研发机构不存在")
    return item


def contract_values(session: Session, achievement_ids: Iterable[int]) -> dict[int, Decimal]:
    """The largest contract recorded on the platform for each achievement (through the
    brokered deal the contract closed); achievements without one are absent."""
    ids = list(set(achievement_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Deal.achievement_id, func.max(Contract.amount))
        .join(Contract, Contract.deal_id == Deal.id)
        .where(Deal.achievement_id.in_(ids))
        .group_by(Deal.achievement_id)
    )
    return {int(aid): Decimal(amount) for aid, amount in rows if aid is not None}


def achievement_value(link: InstituteAchievement, recorded: Decimal | None) -> Decimal | None:
    """An institute achievement's contract value: the larger of the contract recorded on the
    platform and the amount entered with evidence."""
    values = [v for v in (recorded, link.evidence_amount) if v is not None]
    return max(values) if values else None


def is_major(value: Decimal | None) -> bool:
    """Whether a contract value makes the achievement major (≥ 10,000,000 yuan)."""
    return value is not None and value >= MAJOR_CONTRACT_VALUE


def institute_summary(session: Session, institute: RdInstitute) -> dict[str, Any]:
    """An institute's talents by grade and achievements with contract value and major flag."""
    recorded = contract_values(session, [a.achievement_id for a in institute.achievements])
    achievements = []
    for link in institute.achievements:
        value = achievement_value(link, recorded.get(link.achievement_id))
        achievements.append(
            {
                "link": link,
                "contract_value": recorded.get(link.achievement_id),
                "value": value,
                "is_major": is_major(value),
            }
        )
    grades = Counter(t.talent.grade or "" for t in institute.talents)
    return {
        "talents_by_grade": {g: grades[g] for g in sorted(grades, key=lambda g: (g == "", g))},
        "achievements": achievements,
        "major_achievements": sum(1 for a in achievements if a["is_major"]),
        "partner_amount": sum((p.amount or Decimal(0) for p in institute.partners), Decimal(0)),
    }


def organization_kind_errors(
    session: Session, field: str, org_id: int | None, kinds: tuple[str, ...], noun: str
) -> dict[str, str]:
    """An error naming field unless org_id is an active unit of one of kinds."""
    if org_id is None:
        return {}
    org = session.get(Organization, org_id)
    if org is None:
        return {field: f"{noun}不存在"}
    if org.kind not in kinds:
        return {field: f"{noun}“{org.name}”是{org.kind_label}，不能担任{noun}"}
    return {}


def _chain_errors(session: Session, chain_id: int | None) -> dict[str, str]:
    if chain_id is not None and session.get(IndustryChain, chain_id) is None:
        return {"chain_id": "产业链不存在"}
    return {}


def _unique_name(
    session: Session, model: Any, name: str, own_id: int | None, noun: str
) -> dict[str, str]:
    stmt = select(model.id).where(model.name == name)
    if own_id is not None:
        stmt = stmt.where(model.id != own_id)
    if session.scalar(stmt) is not None:
        return {"name": f"已有名为“{name}”的{noun}"}
    return {}


# --- consortia ---------------------------------------------------------------------------------


def _check_consortium(session: Session, clean: ConsortiumIn, own_id: int | None) -> None:
    errors = _unique_name(session, InnovationConsortium, clean.name, own_id, "创新联合体")
    errors |= organization_kind_errors(
        session, "lead_organization_id", clean.lead_organization_id, ("enterprise",), "牵头企业"
    )
    errors |= _chain_errors(session, clean.chain_id)
    seen: set[int] = set()
    for row, member in enumerate(clean.members, start=1):
        found = organization_kind_errors(
            session, "members", member.organization_id, MEMBER_KINDS, "成员单位"
        )
        if found:
            errors.setdefault("members", f"成员第{row}行：{found['members']}")
        elif member.organization_id == clean.lead_organization_id:
            errors.setdefault(
                "members", f"成员第{row}行：牵头企业已是联合体的牵头单位，无需重复列为成员"
            )
        elif member.organization_id in seen:
            errors.setdefault("members", f"成员第{row}行：该单位重复列出")
        seen.add(member.organization_id)
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))


def _set_members(item: InnovationConsortium, clean: ConsortiumIn) -> None:
    wanted = {m.organization_id: m.part for m in clean.members}
    item.memberships = [m for m in item.memberships if m.organization_id in wanted]
    for member in item.memberships:
        member.part = wanted.pop(member.organization_id)
    for org_id, part in wanted.items():
        item.memberships.append(ConsortiumMember(organization_id=org_id, part=part))


def _member_snapshot(item: InnovationConsortium) -> list[str]:
    return sorted(f"{m.organization_id}:{m.part}" for m in item.memberships)


def create_consortium(session: Session, user: User, data: dict[str, Any]) -> InnovationConsortium:
    """The office forms a consortium: lead enterprise, member units with their parts, goal."""
    permissions.require(user, "consortium.manage")
    clean = parse_rows(ConsortiumIn, data)
    _check_consortium(session, clean, None)
    item = InnovationConsortium(
        **clean.model_dump(exclude={"members"}),
    )
    _set_members(item, clean)
    session.add(item)
    session.flush()
    changes = audit.snapshot(item) | {"members": _member_snapshot(item)}
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes=changes,
        summary=f"组建创新联合体：{item.name}",
    )
    commit(session)
    return item


def update_consortium(
    session: Session,
    user: User,
    consortium_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> InnovationConsortium:
    """The office edits a consortium's name, lead, chain, goal and members, loaded at
    expected_version (StaleEdit if it changed since)."""
    item = get_consortium(session, user, consortium_id)
    permissions.require(user, "consortium.manage", item)
    clean = parse_rows(ConsortiumIn, data)
    _check_consortium(session, clean, item.id)
    check_version(item, expected_version)
    with saving(session):
        before = audit.snapshot(item) | {"members": _member_snapshot(item)}
        for key, value in clean.model_dump(exclude={"members"}).items():
            setattr(item, key, value)
        _set_members(item, clean)
        touch(item)
        session.flush()
        changes = audit.diff(before, audit.snapshot(item) | {"members": _member_snapshot(item)})
        audit.record(
            session,
            actor=user,
            action="update",
            entity=item,
            changes=changes,
            summary=f"修改创新联合体：{item.name}",
        )
        commit(session)
    return item


def can_manage_projects(user: User | None, consortium: InnovationConsortium) -> bool:
    """Whether user runs this consortium's projects (the office, or its lead enterprise)."""
    return permissions.can(user, "consortium_project.manage", consortium)


# --- projects ----------------------------------------------------------------------------------


def _check_project(session: Session, consortium: InnovationConsortium, clean: ProjectIn) -> None:
    errors: dict[str, str] = {}
    allowed = {consortium.lead_organization_id} | {
        m.organization_id for m in consortium.memberships
    }
    for row, task in enumerate(clean.tasks, start=1):
        if task.organization_id not in allowed:
            org = session.get(Organization, task.organization_id)
            name = f"“{org.name}”" if org else "所选单位"
            errors.setdefault("tasks", f"任务第{row}行：{name}不是本联合体的牵头单位或成员")
    shares = sum((t.budget or Decimal(0) for t in clean.tasks), Decimal(0))
    if shares > clean.budget:
        errors.setdefault(
            "tasks", f"各成员任务经费合计 {shares} 元，超过项目总经费 {clean.budget} 元"
        )
    for row, milestone in enumerate(clean.milestones, start=1):
        if milestone.done_on is not None and milestone.done_on > today():
            errors.setdefault(
                "milestones", f"节点第{row}行（{milestone.name}）：完成日期不能晚于今天"
            )
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))


def _set_plan(project: CommonTechProject, clean: ProjectIn) -> None:
    project.tasks = [ProjectTask(**t.model_dump()) for t in clean.tasks]
    project.milestones = [ProjectMilestone(**m.model_dump()) for m in clean.milestones]


def _plan_snapshot(project: CommonTechProject) -> dict[str, Any]:
    return audit.snapshot(project) | {
        "tasks": [f"{t.organization_id}:{t.task}:{t.budget}" for t in project.tasks],
        "milestones": [f"{m.name}:{m.due_on}:{m.done_on}" for m in project.milestones],
    }


def create_project(
    session: Session, user: User, consortium_id: int, data: dict[str, Any]
) -> CommonTechProject:
    """A consortium sets up a common-technology project (status 立项) with tasks and milestones."""
    consortium = get_consortium(session, user, consortium_id)
    permissions.require(user, "consortium_project.manage", consortium)
    clean = parse_rows(ProjectIn, data)
    _check_project(session, consortium, clean)
    project = CommonTechProject(
        consortium_id=consortium.id,
        status="planned",
        **clean.model_dump(exclude={"tasks", "milestones"}),
    )
    _set_plan(project, clean)
    session.add(project)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="create",
        entity=project,
        changes=_plan_snapshot(project),
        summary=f"{consortium.name} 立项：{project.title}",
    )
    commit(session)
    return project


def update_project(
    session: Session,
    user: User,
    project_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> CommonTechProject:
    """Edit a project's title, budget, plan, members' tasks and milestones (not once accepted),
    loaded at expected_version (StaleEdit if it changed since)."""
    project = get_project(session, user, project_id)
    permissions.require(user, "consortium_project.manage", project.consortium)
    if project.status == "done":
        raise InvalidTransition("项目已验收，不能再修改")
    clean = parse_rows(ProjectIn, data)
    _check_project(session, project.consortium, clean)
    check_version(project, expected_version)
    with saving(session):
        before = _plan_snapshot(project)
        for key, value in clean.model_dump(exclude={"tasks", "milestones"}).items():
            setattr(project, key, value)
        _set_plan(project, clean)
        touch(project)
        session.flush()
        audit.record(
            session,
            actor=user,
            action="update",
            entity=project,
            changes=audit.diff(before, _plan_snapshot(project)),
            summary=f"修改攻关项目：{project.title}",
        )
        commit(session)
    return project


def _on(data: dict[str, Any] | None) -> date:
    clean = parse(TransitionIn, data or {})
    on = clean.on or today()
    if on > today():
        raise ValidationFailed({"on": "日期不能晚于今天"})
    return on


def start_project(
    session: Session, user: User, project_id: int, data: dict[str, Any] | None = None
) -> CommonTechProject:
    """立项 → 攻关中: the project starts (on the given date, today by default)."""
    project = get_project(session, user, project_id)
    permissions.require(user, "consortium_project.manage", project.consortium)
    on = _on(data)
    if project.status != "planned":
        raise InvalidTransition(f"项目当前为“{project.status_label}”，只有立项的项目可以启动攻关")
    project.status = "running"
    project.started_on = on
    session.flush()
    audit.record(
        session,
        actor=user,
        action="start",
        entity=project,
        changes={"status": ["planned", "running"], "started_on": [None, on.isoformat()]},
        summary=f"启动攻关：{project.title}",
    )
    commit(session)
    return project


def accept_project(
    session: Session, user: User, project_id: int, data: dict[str, Any] | None = None
) -> CommonTechProject:
    """攻关中 → 已验收: every milestone must be done first."""
    project = get_project(session, user, project_id)
    permissions.require(user, "consortium_project.manage", project.consortium)
    on = _on(data)
    if project.status != "running":
        raise InvalidTransition(f"项目当前为“{project.status_label}”，只有攻关中的项目可以验收")
    open_ones = [m.name for m in project.milestones if m.done_on is None]
    if open_ones:
        raise ValidationFailed(
            {"milestones": f"尚有节点未完成：{'、'.join(open_ones)}"},
            f"尚有节点未完成：{'、'.join(open_ones)}，不能验收",
        )
    if project.started_on and on < project.started_on:
        raise ValidationFailed({"on": "验收日期不能早于启动日期"})
    project.status = "done"
    project.accepted_on = on
    session.flush()
    audit.record(
        session,
        actor=user,
        action="accept",
        entity=project,
        changes={"status": ["running", "done"], "accepted_on": [None, on.isoformat()]},
        summary=f"项目验收：{project.title}",
    )
    commit(session)
    return project


def complete_milestone(
    session: Session, user: User, milestone_id: int, data: dict[str, Any] | None = None
) -> ProjectMilestone:
    """Record the date a milestone was reached."""
    milestone = session.get(ProjectMilestone, milestone_id)
    if milestone is None:
        raise NotFound("项目节点不存在")
    project = get_project(session, user, milestone.project_id)
    permissions.require(user, "consortium_project.manage", project.consortium)
    clean = parse(MilestoneDoneIn, data or {})
    done_on = clean.done_on or today()
    if done_on > today():
        raise ValidationFailed({"done_on": "完成日期不能晚于今天"})
    if milestone.done_on is not None:
        raise InvalidTransition(f"节点“{milestone.name}”已于 {milestone.done_on} 完成")
    milestone.done_on = done_on
    session.flush()
    audit.record(
        session,
        actor=user,
        action="milestone_done",
        entity=project,
        changes={"milestone": [milestone.name, done_on.isoformat()]},
        summary=f"{project.title}：节点“{milestone.name}”完成",
    )
    commit(session)
    return milestone


def _published_achievement(session: Session, achievement_id: int) -> Achievement:
    """The achievement, or a refusal naming achievement_id: it must exist and be published
    (project and institute pages are public, so a draft's title must not appear there)."""
    achievement = session.get(Achievement, achievement_id)
    if achievement is None:
        raise ValidationFailed({"achievement_id": "成果不存在"})
    if achievement.status != "published":
        raise ValidationFailed(
            {"achievement_id": f"成果 {achievement_id} 尚未发布，发布后才能登记为产出成果"}
        )
    return achievement


def link_output(
    session: Session, user: User, project_id: int, data: dict[str, Any]
) -> ProjectAchievement:
    """Record an existing achievement as produced by the project."""
    project = get_project(session, user, project_id)
    permissions.require(user, "consortium_project.manage", project.consortium)
    clean = parse(OutputIn, data)
    achievement = _published_achievement(session, clean.achievement_id)
    if project.status == "planned":
        raise InvalidTransition("项目尚未启动攻关，不能登记产出成果")
    if session.get(ProjectAchievement, (project.id, achievement.id)) is not None:
        raise ValidationFailed({"achievement_id": f"“{achievement.title}”已登记为本项目成果"})
    produced_on = clean.produced_on or today()
    if produced_on > today():
        raise ValidationFailed({"produced_on": "产出日期不能晚于今天"})
    link = ProjectAchievement(
        project_id=project.id, achievement_id=achievement.id, produced_on=produced_on
    )
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="link_achievement",
        entity=project,
        changes={"achievement_id": [None, achievement.id]},
        summary=f"{project.title} 产出成果：{achievement.title}",
    )
    commit(session)
    return link


def unlink_output(
    session: Session, user: User, project_id: int, achievement_id: int
) -> CommonTechProject:
    """Remove an achievement wrongly recorded as the project's."""
    project = get_project(session, user, project_id)
    permissions.require(user, "consortium_project.manage", project.consortium)
    link = session.get(ProjectAchievement, (project.id, achievement_id))
    if link is None:
        raise NotFound("该成果未登记为本项目成果")
    session.delete(link)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="unlink_achievement",
        entity=project,
        changes={"achievement_id": [achievement_id, None]},
        summary=f"{project.title} 移除产出成果 {achievement_id}",
    )
    commit(session)
    session.refresh(project)
    return project


# --- institutes --------------------------------------------------------------------------------


def _check_institute(session: Session, clean: InstituteIn, own_id: int | None) -> None:
    errors = _unique_name(session, RdInstitute, clean.name, own_id, "新型研发机构")
    errors |= organization_kind_errors(
        session, "organization_id", clean.organization_id, ("institute",), "机构本身的单位"
    )
    if clean.organization_id is not None and "organization_id" not in errors:
        taken = session.scalar(
            select(RdInstitute.name).where(
                RdInstitute.organization_id == clean.organization_id,
                RdInstitute.id != (own_id or -1),
            )
        )
        if taken:
            errors["organization_id"] = f"该单位已登记为新型研发机构“{taken}”"
    errors |= _chain_errors(session, clean.chain_id)
    seen: set[int] = set()
    for row, partner in enumerate(clean.partners, start=1):
        org = session.get(Organization, partner.organization_id)
        if org is None:
            errors.setdefault("partners", f"共建单位第{row}行：单位不存在")
        elif partner.organization_id in seen:
            errors.setdefault("partners", f"共建单位第{row}行：“{org.name}”重复列出")
        elif partner.organization_id == clean.organization_id:
            errors.setdefault("partners", f"共建单位第{row}行：机构不能与自己共建")
        elif not partner.contribution.strip() and partner.amount is None:
            errors.setdefault("partners", f"共建单位第{row}行：请填写“{org.name}”投入的内容或金额")
        seen.add(partner.organization_id)
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))


def _set_partners(item: RdInstitute, clean: InstituteIn) -> None:
    wanted = {p.organization_id: p for p in clean.partners}
    item.partners = [p for p in item.partners if p.organization_id in wanted]
    for partner in item.partners:
        row = wanted.pop(partner.organization_id)
        partner.kind, partner.contribution, partner.amount = row.kind, row.contribution, row.amount
    for row in wanted.values():
        item.partners.append(InstitutePartner(**row.model_dump()))


def _partner_snapshot(item: RdInstitute) -> list[str]:
    return sorted(
        f"{p.organization_id}:{p.kind}:{p.contribution}:{p.amount}" for p in item.partners
    )


def create_institute(session: Session, user: User, data: dict[str, Any]) -> RdInstitute:
    """The office records a co-built institute with its partners and their contributions."""
    permissions.require(user, "institute.manage")
    clean = parse_rows(InstituteIn, data)
    _check_institute(session, clean, None)
    item = RdInstitute(**clean.model_dump(exclude={"partners"}))
    _set_partners(item, clean)
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes=audit.snapshot(item) | {"partners": _partner_snapshot(item)},
        summary=f"登记新型研发机构：{item.name}",
    )
    commit(session)
    return item


def update_institute(
    session: Session,
    user: User,
    institute_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> RdInstitute:
    """The office edits an institute and its partners, loaded at expected_version (StaleEdit if
    it changed since)."""
    item = get_institute(session, user, institute_id)
    permissions.require(user, "institute.manage", item)
    clean = parse_rows(InstituteIn, data)
    _check_institute(session, clean, item.id)
    check_version(item, expected_version)
    with saving(session):
        before = audit.snapshot(item) | {"partners": _partner_snapshot(item)}
        for key, value in clean.model_dump(exclude={"partners"}).items():
            setattr(item, key, value)
        _set_partners(item, clean)
        touch(item)
        session.flush()
        partners = _partner_snapshot(item)
        audit.record(
            session,
            actor=user,
            action="update",
            entity=item,
            changes=audit.diff(before, audit.snapshot(item) | {"partners": partners}),
            summary=f"修改新型研发机构：{item.name}",
        )
        commit(session)
    return item


def add_talent(
    session: Session, user: User, institute_id: int, data: dict[str, Any]
) -> InstituteTalent:
    """Record a talent the institute has gathered."""
    item = get_institute(session, user, institute_id)
    permissions.require(user, "institute.manage", item)
    clean = parse(InstituteTalentIn, data)
    talent = session.get(Talent, clean.talent_id)
    if talent is None:
        raise ValidationFailed({"talent_id": "人才不存在"})
    if session.get(InstituteTalent, (item.id, talent.id)) is not None:
        raise ValidationFailed({"talent_id": f"{talent.name}已登记为本机构集聚的人才"})
    joined_on = clean.joined_on or today()
    if joined_on > today():
        raise ValidationFailed({"joined_on": "加入日期不能晚于今天"})
    link = InstituteTalent(institute_id=item.id, talent_id=talent.id, joined_on=joined_on)
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="add_talent",
        entity=item,
        changes={"talent_id": [None, talent.id]},
        summary=f"{item.name} 集聚人才：{talent.name}",
    )
    commit(session)
    return link


def remove_talent(session: Session, user: User, institute_id: int, talent_id: int) -> RdInstitute:
    """Remove a talent recorded by mistake (or who left before being counted)."""
    item = get_institute(session, user, institute_id)
    permissions.require(user, "institute.manage", item)
    link = session.get(InstituteTalent, (item.id, talent_id))
    if link is None:
        raise NotFound("该人才未登记在本机构")
    session.delete(link)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="remove_talent",
        entity=item,
        changes={"talent_id": [talent_id, None]},
        summary=f"{item.name} 移除人才 {talent_id}",
    )
    commit(session)
    session.refresh(item)
    return item


def link_institute_achievement(
    session: Session, user: User, institute_id: int, data: dict[str, Any]
) -> InstituteAchievement:
    """Record an achievement of the institute; a contract value signed off the platform comes
    with its evidence (contract number, registration certificate …)."""
    item = get_institute(session, user, institute_id)
    permissions.require(user, "institute.manage", item)
    clean = parse(InstituteAchievementIn, data)
    achievement = _published_achievement(session, clean.achievement_id)
    if session.get(InstituteAchievement, (item.id, achievement.id)) is not None:
        raise ValidationFailed({"achievement_id": f"“{achievement.title}”已登记为本机构成果"})
    if clean.evidence_amount is not None and not clean.evidence.strip():
        raise ValidationFailed(
            {"evidence": "填写了合同金额，须同时说明证明材料（如合同编号、技术合同登记证明）"}
        )
    linked_on = clean.linked_on or today()
    if linked_on > today():
        raise ValidationFailed({"linked_on": "登记日期不能晚于今天"})
    link = InstituteAchievement(
        institute_id=item.id,
        achievement_id=achievement.id,
        linked_on=linked_on,
        evidence_amount=clean.evidence_amount,
        evidence=clean.evidence.strip(),
    )
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="link_achievement",
        entity=item,
        changes={
            "achievement_id": [None, achievement.id],
            "evidence_amount": [None, audit.snapshot(link)["evidence_amount"]],
        },
        summary=f"{item.name} 登记成果：{achievement.title}",
    )
    commit(session)
    return link


def unlink_institute_achievement(
    session: Session, user: User, institute_id: int, achievement_id: int
) -> RdInstitute:
    """Remove an achievement recorded for the institute by mistake."""
    item = get_institute(session, user, institute_id)
    permissions.require(user, "institute.manage", item)
    link = session.get(InstituteAchievement, (item.id, achievement_id))
    if link is None:
        raise NotFound("该成果未登记为本机构成果")
    session.delete(link)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="unlink_achievement",
        entity=item,
        changes={"achievement_id": [achievement_id, None]},
        summary=f"{item.name} 移除成果 {achievement_id}",
    )
    commit(session)
    session.refresh(item)
    return item


def status_labels() -> list[tuple[str, str]]:
    """The project statuses with their Chinese labels (for filters)."""
    return list(COMMON_TECH_STATUS)
