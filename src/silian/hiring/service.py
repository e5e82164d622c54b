"""Hiring services: applications through their stages under the headcount, hires, co-shared
dispatches and achievements, 产才融合 project applications, and recommendations graded by salary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select, update
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.achievements.service import visible_query as visible_achievements
from silian.chains.models import IndustryChain
from silian.core import audit, clock
from silian.core.db import utcnow
from silian.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from silian.core.permissions import can, denied, require, sees_everything
from silian.core.transactions import commit
from silian.core.validation import parse
from silian.hiring.choices import LIVE_STATUSES, RECOMMENDATION_STATUS
from silian.hiring.models import (
    Application,
    Dispatch,
    Hire,
    HireAchievement,
    Recommendation,
)
from silian.hiring.schemas import (
    AchievementLinkIn,
    ApplicationActionIn,
    ApplicationIn,
    DecisionIn,
    DispatchIn,
    ProjectIn,
    ProjectReviewIn,
    RecommendationIn,
)
from silian.organizations.models import Organization
from silian.talent.choices import TALENT_GRADES, TALENT_PROJECT_STATUS, TALENT_RIGHTS
from silian.talent.models import SalaryGradeRule, Talent, TalentNeed, TalentProject
from silian.talent.service import HOST_KINDS, SCENE_KINDS, talent_visible, visible_projects

# Projects whose granted rights may be used: recognised by the office and not yet closed.
ACTIVE_PROJECT_STATUSES = ("approved", "running")
# Stages that hold one of the need's seats: an offer promises a seat, a hire fills it.
SEAT_STATUSES = ("offered", "hired")
CITY_WIDE = "全市通用标准"


# --- grading (按薪定才) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """One grade's minimum annual salary, as a rule states it."""

    grade: str
    min_annual_salary: Decimal
    rule_id: int | None = None


@dataclass(frozen=True)
class Grading:
    """The grade an annual salary earns and the rule that applied (or why none did)."""

    grade: str | None
    rule: Threshold | None
    scope: str
    note: str


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.0f}元"


def grade_salary(thresholds: Iterable[Threshold], salary: Decimal, scope: str) -> Grading:
    """The highest grade (A before E) whose threshold the salary reaches; below every threshold
    no grade, naming the lowest threshold. Refused when there are no thresholds at all."""
    rules = sorted(thresholds, key=lambda t: TALENT_GRADES.values.index(t.grade))
    if not rules:
        raise ValidationFailed({"annual_salary": f"{scope}未设定按薪定才标准，无法定级"})
    for rule in rules:
        if salary >= rule.min_annual_salary:
            note = (
                f"年薪{_yuan(salary)} ≥ {TALENT_GRADES.label(rule.grade)}门槛"
                f"{_yuan(rule.min_annual_salary)}（{scope}）"
            )
            return Grading(rule.grade, rule, scope, note)
    lowest = min(rules, key=lambda t: t.min_annual_salary)
    note = (
        f"无等级：年薪{_yuan(salary)}低于所有门槛，最低门槛为"
        f"{TALENT_GRADES.label(lowest.grade)}{_yuan(lowest.min_annual_salary)}（{scope}）"
    )
    return Grading(None, lowest, scope, note)


def _rules_of_year(
    session: Session, chain_id: int | None, year: int | None
) -> tuple[list[Threshold], int | None]:
    """The chain's (None: city-wide) rules set for year, else its standing (undated) rules;
    and the year of the set used (None: standing)."""
    scope = (
        SalaryGradeRule.chain_id.is_(None)
        if chain_id is None
        else SalaryGradeRule.chain_id == chain_id
    )
    if year is not None:
        dated = list(
            session.scalars(select(SalaryGradeRule).where(scope, SalaryGradeRule.year == year))
        )
        if dated:
            return [Threshold(r.grade, r.min_annual_salary, r.id) for r in dated], year
    standing = session.scalars(select(SalaryGradeRule).where(scope, SalaryGradeRule.year.is_(None)))
    return [Threshold(r.grade, r.min_annual_salary, r.id) for r in standing], None


def thresholds_for(
    session: Session, chain_id: int | None, year: int | None = None
) -> tuple[list[Threshold], str]:
    """The thresholds for a chain and year: the chain's set for that year, else the chain's
    standing set; when the chain has neither, the city-wide set chosen the same way. Also
    their scope, naming the year when a year's own set applied."""
    if chain_id is not None:
        chain = session.get(IndustryChain, chain_id)
        found, used = _rules_of_year(session, chain_id, year)
        if found:
            name = chain.name if chain else "产业链"
            return found, f"{name}{used}年标准" if used else f"{name}标准"
    found, used = _rules_of_year(session, None, year)
    return found, f"{CITY_WIDE}（{used}年）" if used else CITY_WIDE


def grade_for_project(session: Session, project: TalentProject, salary: Decimal) -> Grading:
    """按薪定才 for a project: the rules of the project's chain and year (else the city's)."""
    thresholds, scope = thresholds_for(session, project.chain_id, project.year)
    return grade_salary(thresholds, salary, scope)


# --- applications ----------------------------------------------------------------------------

ACTIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "shortlist": (frozenset({"applied"}), "shortlisted", "列入候选"),
    "interview": (frozenset({"shortlisted"}), "interviewed", "记录面试"),
    "offer": (frozenset({"interviewed"}), "offered", "发出录用意向"),
    "hire": (frozenset({"offered"}), "hired", "录用"),
    "decline": (frozenset(LIVE_STATUSES), "declined", "不予录用"),
    "withdraw": (frozenset(LIVE_STATUSES), "withdrawn", "撤回"),
}
ACTION_LABELS = {name: label for name, (_, _, label) in ACTIONS.items()}


def visible_query(user: User | None) -> Select[Application]:
    """The one query of applications user may see: all for offices; the need's unit's, the
    talent's own, and those the user submitted for everyone else."""
    stmt = select(Application)
    if sees_everything(user, "application.view"):
        return stmt
    if user is None:
        return stmt.where(false())
    own = [Application.user_id == user.id, Application.submitted_by_id == user.id]
    if user.organization_id is not None:
        own.append(Application.organization_id == user.organization_id)
    return stmt.where(or_(*own))


def list_applications(
    session: Session, user: User | None, *, need_id: int | None = None, status: str = ""
) -> list[Application]:
    """Applications user may see, newest first; optionally of one need or in one stage."""
    stmt = visible_query(user)
    if need_id is not None:
        stmt = stmt.where(Application.need_id == need_id)
    if status:
        stmt = stmt.where(Application.status == status)
    return list(session.scalars(stmt.order_by(Application.id.desc()).limit(500)))


def get_application(session: Session, user: User | None, application_id: int) -> Application:
    """One application, or NotFound when missing or not visible to user."""
    item = session.scalar(visible_query(user).where(Application.id == application_id))
    if item is None:
        raise NotFound("申请不存在或无权查看")
    return item


def seats(session: Session, need: TalentNeed) -> dict[str, int]:
    """How many of the need's seats hires and outstanding offers hold."""
    rows = session.execute(
        select(Application.status, func.count())
        .where(Application.need_id == need.id, Application.status.in_(SEAT_STATUSES))
        .group_by(Application.status)
    ).all()
    counts = {status: int(n) for status, n in rows}
    return {"hired": counts.get("hired", 0), "offered": counts.get("offered", 0)}


def lock_need(session: Session, need_id: int) -> TalentNeed:
    """Take the need's row lock before counting its seats, so two offers or hires racing for
    the last seat are serialised (PostgreSQL: row lock; SQLite: the database write lock)."""
    result = session.execute(
        update(TalentNeed)
        .where(TalentNeed.id == need_id)
        .values(headcount=TalentNeed.headcount, updated_at=TalentNeed.updated_at)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 1):
        raise NotFound("人才需求不存在")
    need = session.get(TalentNeed, need_id, populate_existing=True)
    if need is None:
        raise NotFound("人才需求不存在")
    return need


def _seat_message(need: TalentNeed, used: dict[str, int], doing: str) -> str:
    return (
        f"该岗位需求 {need.headcount} 人，已录用 {used['hired']} 人、"
        f"已发录用意向 {used['offered']} 人，名额已满，不能{doing}"
    )


def _holds_self_recommend(session: Session, org_id: int | None) -> bool:
    if org_id is None:
        return False
    projects = session.scalars(
        select(TalentProject).where(
            TalentProject.organization_id == org_id,
            TalentProject.status.in_(ACTIVE_PROJECT_STATUSES),
        )
    )
    return any("self_recommend" in (p.rights or []) for p in projects)


def submit_application(session: Session, user: User, data: dict[str, Any]) -> Application:
    """A talent applies to an open need with their own profile, or a broker (or an enterprise
    holding 自主荐才权) recommends a talent; refused once the need's seats are filled."""
    applies = can(user, "application.apply")
    if not applies and not can(user, "application.recommend"):
        raise denied("application.recommend")
    clean = parse(ApplicationIn, data)
    need = session.get(TalentNeed, clean.need_id)
    if need is None:
        raise ValidationFailed({"need_id": "人才需求不存在"})
    if need.status != "open":
        raise InvalidTransition("该人才需求已不在招聘中，不能申请")
    if applies:
        talent = session.scalar(select(Talent).where(Talent.user_id == user.id))
        if talent is None:
            raise ValidationFailed({"talent_id": "请先完善本人的专家人才档案，再申请岗位"})
        channel = "self"
    else:
        talent = session.get(Talent, clean.talent_id) if clean.talent_id else None
        if talent is None or not talent_visible(user, talent):
            raise ValidationFailed({"talent_id": "请选择要推荐的人才"})
        # Brokers (and offices) recommend for anyone; an enterprise only with 自主荐才权.
        channel = "broker" if sees_everything(user, "application.recommend") else "enterprise"
        if channel == "enterprise" and not _holds_self_recommend(session, user.organization_id):
            raise PermissionDenied("本单位没有获得自主荐才权（须有已认定的产才融合项目授予）")
    need = lock_need(session, need.id)
    used = seats(session, need)
    if used["hired"] >= need.headcount:
        raise InvalidTransition(_seat_message(need, used, "再接受申请"))
    duplicate = session.scalar(
        select(Application).where(
            Application.need_id == need.id, Application.talent_id == talent.id
        )
    )
    if duplicate is not None:
        raise InvalidTransition(
            f"{talent.name}已申请该岗位（{duplicate.status_label}），不能重复申请"
        )
    item = Application(
        need_id=need.id,
        talent_id=talent.id,
        organization_id=need.organization_id,
        user_id=talent.user_id,
        channel=channel,
        recommender_org_id=user.organization_id if channel == "enterprise" else None,
        submitted_by_id=user.id,
        status="applied",
        note=clean.note,
    )
    session.add(item)
    verb = "申请" if channel == "self" else "推荐"
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes={"status": [None, "applied"], "channel": [None, channel]},
        summary=f"{verb}岗位：{talent.name} → {need.position}",
    )
    commit(session)
    return item


def application_actions(user: User | None, item: Application) -> list[str]:
    """Stage changes user may make on item now."""
    out = []
    for name, (sources, _, _) in ACTIONS.items():
        action = "application.withdraw" if name == "withdraw" else "application.advance"
        if item.status in sources and can(user, action, item):
            if name == "withdraw" and sees_everything(user, "application.advance"):
                continue  # offices decline; withdrawing is the talent's own act
            out.append(name)
    return out


def _hire_partners(session: Session, need: TalentNeed) -> tuple[int | None, int | None]:
    """The holding unit and the scene enterprise of a co-shared need (the poster fills in
    whichever side it is itself)."""
    host, scene = need.host_organization_id, need.scene_organization_id
    org = session.get(Organization, need.organization_id)
    if host is None and org is not None and org.kind in HOST_KINDS:
        host = org.id
    if scene is None and org is not None and org.kind in SCENE_KINDS:
        scene = org.id
    return host, scene


def change_application(
    session: Session, user: User, application_id: int, action: str, data: dict[str, Any]
) -> Application:
    """Move an application one stage (shortlist, interview, offer, hire), decline it with a
    reason, or let the talent withdraw it. Offers and hires never exceed the headcount; a hire
    creates the Hire record (co-shared: with its holding unit and scene enterprise)."""
    item = get_application(session, user, application_id)
    if action not in ACTIONS:
        raise InvalidTransition(f"未知操作：{action}")
    permission = "application.withdraw" if action == "withdraw" else "application.advance"
    require(user, permission, item)
    clean = parse(ApplicationActionIn, data)
    sources, target, label = ACTIONS[action]
    need = lock_need(session, item.need_id)
    session.refresh(item)
    if item.status not in sources:
        raise InvalidTransition(f"当前状态为“{item.status_label}”，不能{label}")
    if action == "decline" and not clean.reason:
        raise ValidationFailed({"reason": "请填写不录用的原因"})
    used = seats(session, need)
    if action == "offer" and used["hired"] + used["offered"] >= need.headcount:
        raise InvalidTransition(_seat_message(need, used, "再发录用意向"))
    if action == "hire" and used["hired"] >= need.headcount:
        raise InvalidTransition(_seat_message(need, used, "再录用"))
    hire = None
    if action == "hire":
        host, scene = _hire_partners(session, need) if need.co_shared else (None, None)
        if need.co_shared and (host is None or scene is None):
            raise ValidationFailed(
                {"__all__": "共引共享岗位须先在人才需求中注明岗位所在高校/院所和提供场景的企业"}
            )
        hire = Hire(
            application_id=item.id,
            need_id=need.id,
            talent_id=item.talent_id,
            organization_id=need.organization_id,
            chain_id=need.chain_id,
            co_shared=need.co_shared,
            host_organization_id=host,
            scene_organization_id=scene,
            hired_on=clean.hired_on or clock.today(),
        )
        session.add(hire)
    before = item.status
    item.status = target
    if action == "decline":
        item.decline_reason = clean.reason
    changes: dict[str, Any] = {"status": [before, target]}
    if clean.reason:
        changes["reason"] = [None, clean.reason]
    audit.record(
        session,
        actor=user,
        action=action,
        entity=item,
        changes=changes,
        summary=f"{label}：{item.talent.name} → {need.position}",
    )
    if hire is not None:
        audit.record(
            session,
            actor=user,
            action="create",
            entity=hire,
            changes={"hired_on": [None, hire.hired_on], "co_shared": [None, hire.co_shared]},
            summary=f"录用{item.talent.name}：{need.position}",
        )
        if used["hired"] + 1 >= need.headcount and need.status == "open":
            need.status = "filled"
            audit.record(
                session,
                actor=user,
                action="fill",
                entity=need,
                changes={"status": ["open", "filled"]},
                summary=f"人才需求名额已满：{need.position}",
            )
    commit(session)
    return item


def hire_of(session: Session, item: Application) -> Hire | None:
    """The hire an application led to, if any."""
    return session.scalar(select(Hire).where(Hire.application_id == item.id))


def application_dict(session: Session, item: Application) -> dict[str, Any]:
    """Application fields for the API."""
    hire = hire_of(session, item) if item.status == "hired" else None
    return {
        "id": item.id,
        "need_id": item.need_id,
        "need_position": item.need.position,
        "talent_id": item.talent_id,
        "talent_name": item.talent.name,
        "organization_id": item.organization_id,
        "channel": item.channel,
        "channel_label": item.channel_label,
        "status": item.status,
        "status_label": item.status_label,
        "note": item.note,
        "decline_reason": item.decline_reason,
        "hire_id": hire.id if hire else None,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


# --- hires, dispatches and achievements --------------------------------------------------------


def visible_hires(user: User | None) -> Select[Hire]:
    """Hires user may see: the offices all; units their own or those they host or give the
    scene; a talent their own."""
    stmt = select(Hire)
    if sees_everything(user, "hire.view"):
        return stmt
    if user is None:
        return stmt.where(false())
    own: list[ColumnElement[bool]] = [
        Hire.talent_id.in_(select(Talent.id).where(Talent.user_id == user.id))
    ]
    if user.organization_id is not None:
        org = user.organization_id
        own += [
            Hire.organization_id == org,
            Hire.host_organization_id == org,
            Hire.scene_organization_id == org,
        ]
    return stmt.where(or_(*own))


def list_hires(session: Session, user: User | None) -> list[Hire]:
    """Hires user may see, newest first."""
    return list(session.scalars(visible_hires(user).order_by(Hire.id.desc()).limit(500)))


def get_hire(session: Session, user: User | None, hire_id: int) -> Hire:
    """One hire, or NotFound when missing or not visible."""
    item = session.scalar(visible_hires(user).where(Hire.id == hire_id))
    if item is None:
        raise NotFound("录用记录不存在或无权查看")
    return item


def _co_shared_hire(session: Session, user: User, hire_id: int, action: str) -> Hire:
    item = get_hire(session, user, hire_id)
    require(user, action, item)
    if not item.co_shared:
        raise InvalidTransition("只有共引共享岗位的录用才登记派驻和场景成果")
    return item


def record_dispatch(session: Session, user: User, hire_id: int, data: dict[str, Any]) -> Dispatch:
    """Record a co-shared talent's dispatch to the scene enterprise with the cost shares."""
    item = _co_shared_hire(session, user, hire_id, "hire.dispatch")
    clean = parse(DispatchIn, data)
    if item.scene_organization_id is None:
        raise ValidationFailed({"__all__": "该录用没有提供场景的企业"})
    if clean.start_on < item.hired_on:
        raise ValidationFailed({"start_on": f"派驻开始日期不能早于录用日期 {item.hired_on}"})
    dispatch = Dispatch(
        hire_id=item.id,
        organization_id=item.organization_id,
        scene_organization_id=item.scene_organization_id,
        **clean.model_dump(),
    )
    session.add(dispatch)
    audit.record(
        session,
        actor=user,
        action="create",
        entity=dispatch,
        changes={k: [None, v] for k, v in clean.model_dump().items() if v not in (None, "")},
        summary=f"登记派驻：{item.talent.name} 自 {clean.start_on}",
    )
    commit(session)
    return dispatch


def link_achievement(
    session: Session, user: User, hire_id: int, data: dict[str, Any]
) -> HireAchievement:
    """Link an existing (visible) achievement produced at the scene to a co-shared hire."""
    item = _co_shared_hire(session, user, hire_id, "hire.link_achievement")
    clean = parse(AchievementLinkIn, data)
    achievement = session.scalar(
        visible_achievements(user).where(Achievement.id == clean.achievement_id)
    )
    if achievement is None:
        raise ValidationFailed({"achievement_id": "成果不存在或未公开"})
    linked = select(HireAchievement.id).where(
        HireAchievement.hire_id == item.id, HireAchievement.achievement_id == achievement.id
    )
    if session.scalar(linked) is not None:
        raise InvalidTransition(f"成果“{achievement.title}”已关联到该录用")
    link = HireAchievement(hire_id=item.id, achievement_id=achievement.id, linked_by_id=user.id)
    session.add(link)
    audit.record(
        session,
        actor=user,
        action="link_achievement",
        entity=item,
        changes={"achievement_id": [None, achievement.id]},
        summary=f"关联场景成果：{item.talent.name} — {achievement.title}",
    )
    commit(session)
    return link


def hire_dict(item: Hire) -> dict[str, Any]:
    """Hire fields for the API."""
    return {
        "id": item.id,
        "application_id": item.application_id,
        "need_id": item.need_id,
        "need_position": item.need.position,
        "talent_id": item.talent_id,
        "talent_name": item.talent.name,
        "organization_id": item.organization_id,
        "chain_id": item.chain_id,
        "co_shared": item.co_shared,
        "host_organization_id": item.host_organization_id,
        "host_name": item.host.name if item.host else None,
        "scene_organization_id": item.scene_organization_id,
        "scene_name": item.scene.name if item.scene else None,
        "hired_on": item.hired_on,
        "dispatches": [dispatch_dict(d) for d in item.dispatches],
        "achievement_ids": [link.achievement_id for link in item.achievement_links],
    }


def dispatch_dict(item: Dispatch) -> dict[str, Any]:
    """Dispatch fields for the API."""
    return {
        "id": item.id,
        "scene_organization_id": item.scene_organization_id,
        "scene_name": item.scene.name,
        "start_on": item.start_on,
        "end_on": item.end_on,
        "host_share": item.host_share,
        "scene_share": item.scene_share,
        "note": item.note,
    }


# --- 产才融合 projects ------------------------------------------------------------------------


def get_project(session: Session, user: User | None, project_id: int) -> TalentProject:
    """One project the user may see (offices; the project's own unit)."""
    item = session.scalar(visible_projects(user).where(TalentProject.id == project_id))
    if item is None:
        raise NotFound("产才融合项目不存在或无权查看")
    return item


def own_projects(session: Session, user: User | None) -> list[TalentProject]:
    """Projects of the user's own unit, newest year first."""
    if user is None or user.organization_id is None:
        return []
    return list(
        session.scalars(
            select(TalentProject)
            .where(TalentProject.organization_id == user.organization_id)
            .order_by(TalentProject.year.desc(), TalentProject.id.desc())
        )
    )


def apply_project(session: Session, user: User, data: dict[str, Any]) -> TalentProject:
    """An enterprise applies for an industry–talent project for a year, naming the rights it
    asks for (offices may enter an application on an enterprise's behalf)."""
    require(user, "talent_project.apply")
    clean = parse(ProjectIn, data)
    if can(user, "record.enter_for_any_unit"):
        org = session.get(Organization, clean.organization_id) if clean.organization_id else None
    else:
        org = session.get(Organization, user.organization_id) if user.organization_id else None
        if org is None:
            raise PermissionDenied("您的账号未关联单位，不能申报项目")
    if org is None or org.kind != "enterprise":
        raise ValidationFailed({"organization_id": "请选择申报企业"})
    if clean.chain_id is not None and session.get(IndustryChain, clean.chain_id) is None:
        raise ValidationFailed({"chain_id": "产业链不存在"})
    if session.scalar(select(TalentProject.id).where(TalentProject.name == clean.name)):
        raise ValidationFailed({"name": "已有同名项目，请换一个名称"})
    item = TalentProject(
        name=clean.name,
        organization_id=org.id,
        chain_id=clean.chain_id,
        year=clean.year,
        requested_rights=list(clean.requested_rights),
        rights=[],
        status="applying",
    )
    session.add(item)
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes={"requested_rights": [None, item.requested_rights], "year": [None, item.year]},
        summary=f"申报产才融合项目：{item.name}（{item.year}年）",
    )
    commit(session)
    return item


def review_project(
    session: Session, user: User, project_id: int, data: dict[str, Any]
) -> TalentProject:
    """The office recognises a project, granting rights (自主荐才权, 按薪定才权), or turns it
    down with remarks; only applications under review are decided."""
    item = get_project(session, user, project_id)
    require(user, "talent_project.review")
    clean = parse(ProjectReviewIn, data)
    if item.status != "applying":
        current = TALENT_PROJECT_STATUS.label(item.status)
        raise InvalidTransition(f"当前状态为“{current}”，不能评审")
    before = {"status": item.status, "rights": list(item.rights)}
    item.status = "approved" if clean.decision == "approve" else "rejected"
    item.rights = list(clean.rights) if clean.decision == "approve" else []
    item.review_remarks = clean.remarks
    granted = "、".join(TALENT_RIGHTS.label(r) for r in item.rights) or "无"
    audit.record(
        session,
        actor=user,
        action="review",
        entity=item,
        changes={
            "status": [before["status"], item.status],
            "rights": [before["rights"], item.rights],
            "review_remarks": [None, clean.remarks],
        },
        summary=(
            f"认定产才融合项目：{item.name}，授予{granted}"
            if clean.decision == "approve"
            else f"不予认定产才融合项目：{item.name}"
        ),
    )
    commit(session)
    return item


def project_dict(item: TalentProject) -> dict[str, Any]:
    """Project fields for hiring's API."""
    return {
        "id": item.id,
        "name": item.name,
        "organization_id": item.organization_id,
        "organization_name": item.organization.name,
        "chain_id": item.chain_id,
        "year": item.year,
        "status": item.status,
        "status_label": TALENT_PROJECT_STATUS.label(item.status),
        "requested_rights": list(item.requested_rights or []),
        "rights": list(item.rights or []),
        "rights_labels": [TALENT_RIGHTS.label(r) for r in item.rights or []],
        "review_remarks": item.review_remarks,
        "talents_gathered": item.talents_gathered,
    }


# --- recommendations -------------------------------------------------------------------------


def visible_recommendations(user: User | None) -> Select[Recommendation]:
    """Recommendations user may see: all for offices, their own unit's for its members."""
    stmt = select(Recommendation)
    if sees_everything(user, "recommendation.view"):
        return stmt
    if user is None or user.organization_id is None:
        return stmt.where(false())
    return stmt.where(Recommendation.organization_id == user.organization_id)


def list_recommendations(
    session: Session, user: User | None, *, project_id: int | None = None, status: str = ""
) -> list[Recommendation]:
    """Recommendations user may see, newest first."""
    stmt = visible_recommendations(user)
    if project_id is not None:
        stmt = stmt.where(Recommendation.project_id == project_id)
    if status:
        stmt = stmt.where(Recommendation.status == status)
    return list(session.scalars(stmt.order_by(Recommendation.id.desc()).limit(500)))


def get_recommendation(session: Session, user: User | None, rec_id: int) -> Recommendation:
    """One recommendation, or NotFound."""
    item = session.scalar(visible_recommendations(user).where(Recommendation.id == rec_id))
    if item is None:
        raise NotFound("推荐记录不存在或无权查看")
    return item


def recommend_talent(session: Session, user: User, data: dict[str, Any]) -> Recommendation:
    """An enterprise recommends a talent under a right its recognised project holds; under
    按薪定才权 the grade is computed from the salary rules and stored with the rule applied."""
    clean = parse(RecommendationIn, data)
    project = get_project(session, user, clean.project_id)
    require(user, "recommendation.create", project)
    if project.status not in ACTIVE_PROJECT_STATUSES:
        raise InvalidTransition("项目尚未认定或已结项，不能推荐人才")
    if clean.right not in (project.rights or []):
        raise ValidationFailed(
            {"right": f"该项目未获得{TALENT_RIGHTS.label(clean.right)}，不能以此推荐"}
        )
    talent = session.get(Talent, clean.talent_id)
    if talent is None or not talent_visible(user, talent):
        raise ValidationFailed({"talent_id": "请选择要推荐的人才"})
    pending = session.scalar(
        select(Recommendation.id).where(
            Recommendation.project_id == project.id,
            Recommendation.talent_id == talent.id,
            Recommendation.status.in_(("submitted", "confirmed")),
        )
    )
    if pending is not None:
        raise InvalidTransition(f"{talent.name}已在该项目中被推荐")
    item = Recommendation(
        project_id=project.id,
        organization_id=project.organization_id,
        talent_id=talent.id,
        right_kind=clean.right,
        annual_salary=clean.annual_salary,
        reason=clean.reason,
        status="submitted",
        submitted_by_id=user.id,
    )
    if clean.right == "salary_grading":
        assert clean.annual_salary is not None  # the schema requires it for this right
        grading = grade_for_project(session, project, clean.annual_salary)
        item.grade = grading.grade
        item.rule_scope = grading.scope
        item.grading_note = grading.note
        if grading.rule is not None:
            item.rule_id = grading.rule.rule_id
            item.rule_grade = grading.rule.grade
            item.rule_threshold = grading.rule.min_annual_salary
    else:
        item.grading_note = "自主荐才：由企业自主认定，经政府部门确认即可，无需另行评价"
    session.add(item)
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes={
            "right": [None, item.right_kind],
            "annual_salary": [None, item.annual_salary],
            "grade": [None, item.grade],
            "grading_note": [None, item.grading_note],
        },
        summary=f"推荐人才：{talent.name}（{project.name}）",
    )
    commit(session)
    return item


RECOMMENDATION_ACTIONS = {"confirm": ("confirmed", "确认"), "reject": ("rejected", "不予确认")}


def decide_recommendation(
    session: Session, user: User, rec_id: int, action: str, data: dict[str, Any]
) -> Recommendation:
    """The office confirms a recommendation (the talent takes the computed grade and counts as
    gathered by the project) or turns it down with remarks."""
    require(user, "recommendation.confirm")
    item = get_recommendation(session, user, rec_id)
    if action not in RECOMMENDATION_ACTIONS:
        raise InvalidTransition(f"未知操作：{action}")
    target, label = RECOMMENDATION_ACTIONS[action]
    clean = parse(DecisionIn, data)
    if item.status != "submitted":
        current = RECOMMENDATION_STATUS.label(item.status)
        raise InvalidTransition(f"当前状态为“{current}”，不能{label}")
    if action == "reject" and not clean.remarks:
        raise ValidationFailed({"remarks": "不予确认须填写意见"})
    item.status = target
    item.decision_remarks = clean.remarks
    item.decided_by_id = user.id
    item.decided_at = utcnow()
    audit.record(
        session,
        actor=user,
        action=action,
        entity=item,
        changes={"status": ["submitted", target], "decision_remarks": [None, clean.remarks]},
        summary=f"{label}人才推荐：{item.talent.name}（{item.project.name}）",
    )
    if action == "confirm":
        project = item.project
        project.talents_gathered = (project.talents_gathered or 0) + 1
        if item.grade is not None and item.talent.grade != item.grade:
            talent = item.talent
            old = talent.grade
            talent.grade = item.grade
            audit.record(
                session,
                actor=user,
                action="grade",
                entity=talent,
                changes={"grade": [old, item.grade]},
                summary=f"按薪定才认定：{talent.name} {TALENT_GRADES.label(item.grade)}",
            )
    commit(session)
    return item


def recommendation_dict(item: Recommendation) -> dict[str, Any]:
    """Recommendation fields for the API."""
    return {
        "id": item.id,
        "project_id": item.project_id,
        "organization_id": item.organization_id,
        "talent_id": item.talent_id,
        "talent_name": item.talent.name,
        "right": item.right_kind,
        "right_label": item.right_label,
        "annual_salary": item.annual_salary,
        "grade": item.grade,
        "grade_label": item.grade_label,
        "rule_id": item.rule_id,
        "rule_grade": item.rule_grade,
        "rule_threshold": item.rule_threshold,
        "rule_scope": item.rule_scope,
        "grading_note": item.grading_note,
        "reason": item.reason,
        "status": item.status,
        "status_label": item.status_label,
        "decision_remarks": item.decision_remarks,
        "created_at": item.created_at,
    }


def pending_projects(session: Session, user: User | None) -> list[TalentProject]:
    """Project applications awaiting the office's review (for those who review)."""
    if not can(user, "talent_project.review"):
        return []
    return list(
        session.scalars(
            select(TalentProject)
            .where(TalentProject.status == "applying")
            .order_by(TalentProject.id)
        )
    )


def linkable_achievements(session: Session, user: User | None, hire: Hire) -> list[Achievement]:
    """Published achievements of the hire's scene or holding unit not yet linked to it."""
    units = [u for u in (hire.scene_organization_id, hire.host_organization_id) if u]
    linked = select(HireAchievement.achievement_id).where(HireAchievement.hire_id == hire.id)
    return list(
        session.scalars(
            visible_achievements(user)
            .where(Achievement.organization_id.in_(units), Achievement.id.not_in(linked))
            .order_by(Achievement.id.desc())
            .limit(100)
        )
    )
