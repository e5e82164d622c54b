"""Talent services: visibility with consent, profiles, talent needs, projects and 按薪定才 rules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, String, cast, false, func, or_, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.core import audit
from silian.core.concurrency import check_set_tag, check_version, saving, set_etag, touch
from silian.core.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from silian.core.pagination import Page, paginate
from silian.core.permissions import can, denied, require, visible_where
from silian.core.transactions import commit
from silian.core.validation import parse
from silian.organizations.models import Organization
from silian.talent.choices import (
    TALENT_GRADES,
    TALENT_NEED_STATUS,
    TALENT_PROJECT_STATUS,
    TALENT_RIGHTS,
)
from silian.talent.models import SalaryGradeRule, Talent, TalentNeed, TalentProject
from silian.talent.schemas import SalaryRulesIn, TalentNeedIn, TalentProfileIn


def talent_visible(user: User | None, item: Talent) -> bool:
    """Talents are listed only with their consent; per the table offices and the talent see
    every profile."""
    return bool(item.consent_public) or can(user, "talent.view_hidden", item)


def visible_query(user: User | None) -> Select[Talent]:
    """The one query of talents user may see: consenting profiles, plus their own (all for
    those the table lets see hidden profiles). Talent needs are public postings: no filter."""
    public = Talent.consent_public.is_(True)
    return select(Talent).where(visible_where(user, "talent.view_hidden", Talent, public))


def chain_talent_ids(
    session: Session,
    user: User | None,
    chains: list[IndustryChain],
    chain_orgs: dict[int, set[int]],
) -> dict[int, list[int]]:
    """Visible talent ids per chain: working at a chain unit or sharing one of its disciplines."""
    rows = session.execute(
        visible_query(user)
        .with_only_columns(Talent.id, Talent.organization_id, Talent.disciplines)
        .order_by(Talent.id)
    ).all()
    out: dict[int, list[int]] = {}
    for chain in chains:
        wanted = set(chain.disciplines or [])
        orgs = chain_orgs.get(chain.id, set())
        out[chain.id] = [
            tid
            for tid, org_id, disciplines in rows
            if (org_id is not None and org_id in orgs) or wanted.intersection(disciplines or [])
        ]
    return out


# --- talents ---------------------------------------------------------------------------------


@dataclass
class TalentFilters:
    """Talent list filters from the query string or API parameters."""

    q: str = ""
    discipline: str = ""
    grade: str = ""
    organization_id: int | None = None


def json_has(column: Any, value: str) -> Any:
    """SQL test that a JSON list column holds value (works on SQLite and PostgreSQL)."""
    return cast(column, String).contains(json.dumps(value), autoescape=True)


def list_talents(
    session: Session, user: User | None, filters: TalentFilters, page: int, per_page: int
) -> Page[Talent]:
    """Filtered, paginated talents the user may see: graded first, then by name."""
    stmt = visible_query(user)
    if filters.q:
        q = filters.q.strip()
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Talent.name).like(like),
                func.lower(Talent.title).like(like),
                func.lower(Talent.expertise).like(like),
                json_has(Talent.keywords, q),
                json_has(Talent.disciplines, q),
            )
        )
    if filters.discipline:
        stmt = stmt.where(json_has(Talent.disciplines, filters.discipline.strip()))
    if filters.grade:
        stmt = stmt.where(Talent.grade == filters.grade)
    if filters.organization_id:
        stmt = stmt.where(Talent.organization_id == filters.organization_id)
    stmt = stmt.order_by(Talent.grade.is_(None), Talent.grade, Talent.name, Talent.id)
    return paginate(session, stmt, page, per_page)


def get_talent(session: Session, user: User | None, talent_id: int) -> Talent:
    """One talent, or NotFound when missing or not visible to user."""
    item = session.get(Talent, talent_id)
    if item is None or not talent_visible(user, item):
        raise NotFound("专家不存在或未公开")
    return item


def own_talent(session: Session, user: User) -> Talent | None:
    """The talent profile linked to user, if any."""
    return session.scalar(select(Talent).where(Talent.user_id == user.id))


def update_own_profile(
    session: Session, user: User, data: dict[str, Any], expected_version: int | None = None
) -> Talent:
    """An expert creates or edits their own profile (loaded at expected_version); audited."""
    require(user, "talent.keep_profile")
    clean = parse(TalentProfileIn, data)
    item = own_talent(session, user)
    if item is not None:
        check_version(item, expected_version)
        with saving(session):
            _write_profile(session, user, item, clean)
            commit(session)
        return item
    item = Talent(user_id=user.id, organization_id=user.organization_id, **clean.model_dump())
    session.add(item)
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes={k: [None, v] for k, v in clean.model_dump().items() if v not in ("", [])},
        summary=f"创建专家档案：{item.name}",
    )
    commit(session)
    return item


def _write_profile(session: Session, user: User, item: Talent, clean: TalentProfileIn) -> None:
    before = audit.snapshot(item)
    for key, value in clean.model_dump().items():
        setattr(item, key, value)
    touch(item)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="update",
        entity=item,
        changes=audit.diff(before, audit.snapshot(item)),
        summary=f"修改专家档案：{item.name}",
    )


def talent_dict(item: Talent) -> dict[str, Any]:
    """Talent fields for the API."""
    data: dict[str, Any] = {c.key: getattr(item, c.key) for c in Talent.__mapper__.column_attrs}
    data["organization_name"] = item.organization.name if item.organization else None
    data["grade_label"] = item.grade_label
    return data


def related_needs(session: Session, item: Talent, limit: int = 6) -> list[TalentNeed]:
    """Open talent needs whose wanted major is one of the talent's disciplines."""
    if not item.disciplines:
        return []
    return list(
        session.scalars(
            select(TalentNeed)
            .where(TalentNeed.status == "open", TalentNeed.major.in_(item.disciplines))
            .order_by(TalentNeed.updated_at.desc())
            .limit(limit)
        )
    )


# --- talent needs ----------------------------------------------------------------------------

NEED_ACTIONS = {
    "fill": (frozenset({"open"}), "filled", "标记已满足"),
    "close": (frozenset({"open", "filled"}), "closed", "关闭"),
    "reopen": (frozenset({"filled", "closed"}), "open", "重新开放"),
}


@dataclass
class NeedFilters:
    """Talent need list filters."""

    q: str = ""
    chain_id: int | None = None
    co_shared: bool | None = None
    status: str = ""
    organization_id: int | None = None


def visible_needs(user: User | None) -> Select[TalentNeed]:
    """Talent needs user may see: every need is a public posting."""
    return select(TalentNeed)


def open_needs(user: User | None = None) -> Select[TalentNeed]:
    """Needs still recruiting (在招人才需求) among those user may see."""
    return visible_needs(user).where(TalentNeed.status == "open")


def list_needs(
    session: Session, user: User | None, filters: NeedFilters, page: int, per_page: int
) -> Page[TalentNeed]:
    """Filtered, paginated talent needs (all are public postings): open ones first, newest first."""
    stmt = visible_needs(user)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(TalentNeed.position).like(like),
                func.lower(TalentNeed.major).like(like),
                func.lower(TalentNeed.requirements).like(like),
            )
        )
    if filters.chain_id:
        stmt = stmt.where(TalentNeed.chain_id == filters.chain_id)
    if filters.co_shared is not None:
        stmt = stmt.where(TalentNeed.co_shared.is_(filters.co_shared))
    if filters.status:
        stmt = stmt.where(TalentNeed.status == filters.status)
    if filters.organization_id:
        stmt = stmt.where(TalentNeed.organization_id == filters.organization_id)
    stmt = stmt.order_by(
        (TalentNeed.status == "open").desc(), TalentNeed.updated_at.desc(), TalentNeed.id.desc()
    )
    return paginate(session, stmt, page, per_page)


def get_need(session: Session, user: User | None, need_id: int) -> TalentNeed:
    """One talent need, or NotFound."""
    item = session.get(TalentNeed, need_id)
    if item is None:
        raise NotFound("人才需求不存在")
    return item


def can_manage_need(user: User | None, item: TalentNeed) -> bool:
    """Per the table: offices, and need posters of the owning unit, manage a need."""
    return can(user, "talent_need.edit", item)


def enters_for_any_unit(user: User | None) -> bool:
    """Whether user posts needs for any unit (and so picks the unit on the form)."""
    return can(user, "record.enter_for_any_unit")


def need_actions(user: User | None, item: TalentNeed) -> list[str]:
    """Status actions user may take on item now."""
    if not can_manage_need(user, item):
        return []
    return [name for name, (sources, _, _) in NEED_ACTIONS.items() if item.status in sources]


def _need_values(session: Session, user: User, clean: TalentNeedIn) -> dict[str, Any]:
    values = clean.model_dump()
    if enters_for_any_unit(user):
        org = session.get(Organization, clean.organization_id) if clean.organization_id else None
        if org is None:
            raise ValidationFailed({"organization_id": "请选择需求单位"})
    else:
        if user.organization_id is None:
            raise PermissionDenied("您的账号未关联单位，不能发布人才需求")
        values["organization_id"] = user.organization_id
    if clean.chain_id is not None and session.get(IndustryChain, clean.chain_id) is None:
        raise ValidationFailed({"chain_id": "产业链不存在"})
    _check_co_shared_units(session, clean)
    return values


# 共引共享: the post is held by a university or institute; the scene is an enterprise's.
HOST_KINDS = ("university", "institute")
SCENE_KINDS = ("enterprise",)


def _check_co_shared_units(session: Session, clean: TalentNeedIn) -> None:
    errors: dict[str, str] = {}
    for key, kinds, message in (
        ("host_organization_id", HOST_KINDS, "岗位所在单位须为高校或科研院所"),
        ("scene_organization_id", SCENE_KINDS, "提供产业场景的单位须为企业"),
    ):
        org_id = getattr(clean, key)
        if org_id is None:
            continue
        if not clean.co_shared:
            errors[key] = "只有共引共享岗位需要填写此项"
            continue
        org = session.get(Organization, org_id)
        if org is None or org.kind not in kinds:
            errors[key] = message
    if errors:
        raise ValidationFailed(errors)


def create_need(session: Session, user: User, data: dict[str, Any]) -> TalentNeed:
    """Post an open talent need for the user's unit; writes the audit log and commits."""
    require(user, "talent_need.create")
    values = _need_values(session, user, parse(TalentNeedIn, data))
    item = TalentNeed(**values, status="open")
    session.add(item)
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes={k: [None, v] for k, v in audit.snapshot(item).items() if v not in (None, "", [])},
        summary=f"发布人才需求：{item.position}",
    )
    commit(session)
    return item


def update_need(
    session: Session,
    user: User,
    need_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> TalentNeed:
    """Edit a talent need loaded at expected_version (any unit's for offices); audited."""
    item = get_need(session, user, need_id)
    if not can_manage_need(user, item):
        raise denied("talent_need.edit")
    values = _need_values(session, user, parse(TalentNeedIn, data))
    check_version(item, expected_version)
    if not enters_for_any_unit(user):
        values["organization_id"] = item.organization_id
    with saving(session):
        before = audit.snapshot(item)
        for key, value in values.items():
            setattr(item, key, value)
        touch(item)
        session.flush()
        audit.record(
            session,
            actor=user,
            action="update",
            entity=item,
            changes=audit.diff(before, audit.snapshot(item)),
            summary=f"修改人才需求：{item.position}",
        )
        commit(session)
    return item


def change_need_status(session: Session, user: User, need_id: int, action: str) -> TalentNeed:
    """Mark a need filled, close it or reopen it; writes the audit log."""
    item = get_need(session, user, need_id)
    if action not in NEED_ACTIONS:
        raise InvalidTransition(f"未知操作：{action}")
    if not can_manage_need(user, item):
        raise denied("talent_need.edit")
    sources, target, label = NEED_ACTIONS[action]
    if item.status not in sources:
        current = TALENT_NEED_STATUS.label(item.status)
        raise InvalidTransition(f"当前状态为“{current}”，不能{label}")
    before = item.status
    item.status = target
    audit.record(
        session,
        actor=user,
        action=action,
        entity=item,
        changes={"status": [before, target]},
        summary=f"{label}人才需求：{item.position}",
    )
    with saving(session):
        commit(session)
    return item


def need_dict(item: TalentNeed) -> dict[str, Any]:
    """Talent need fields for the API."""
    data: dict[str, Any] = {c.key: getattr(item, c.key) for c in TalentNeed.__mapper__.column_attrs}
    data["organization_name"] = item.organization.name
    data["status_label"] = TALENT_NEED_STATUS.label(item.status)
    return data


# --- talent projects (产才融合项目) -----------------------------------------------------------


@dataclass
class ProjectFilters:
    """Talent project list filters."""

    q: str = ""
    chain_id: int | None = None
    status: str = ""
    right: str = ""
    year: int | None = None


def _office_only(user: User | None) -> None:
    require(user, "talent_project.list")


def visible_projects(user: User | None) -> Select[TalentProject]:
    """Talent projects user may see: all for offices, their own unit's for its members."""
    return select(TalentProject).where(
        visible_where(user, "talent_project.view", TalentProject, false())
    )


def list_projects(
    session: Session, user: User | None, filters: ProjectFilters, page: int, per_page: int
) -> Page[TalentProject]:
    """Talent projects for offices, newest year first."""
    _office_only(user)
    stmt = select(TalentProject)
    if filters.q:
        stmt = stmt.where(func.lower(TalentProject.name).like(f"%{filters.q.strip().lower()}%"))
    if filters.chain_id:
        stmt = stmt.where(TalentProject.chain_id == filters.chain_id)
    if filters.status:
        stmt = stmt.where(TalentProject.status == filters.status)
    if filters.right:
        stmt = stmt.where(json_has(TalentProject.rights, filters.right))
    if filters.year:
        stmt = stmt.where(TalentProject.year == filters.year)
    stmt = stmt.order_by(TalentProject.year.desc(), TalentProject.name, TalentProject.id)
    return paginate(session, stmt, page, per_page)


# A project counts as 认定 once the office has approved it; 申报中 ones are still applications.
RECOGNISED_PROJECT_STATUSES = ("approved", "running", "closed")


def recognised_projects(user: User | None) -> Select[TalentProject]:
    """Talent projects user may see that the office has recognised (认定项目)."""
    return visible_projects(user).where(TalentProject.status.in_(RECOGNISED_PROJECT_STATUSES))


def project_totals(session: Session, user: User | None) -> dict[str, Any]:
    """Headline figures of the recognised talent projects (申报中 excluded), for offices."""
    _office_only(user)
    projects = recognised_projects(user).subquery()
    row = session.execute(
        select(
            func.count(projects.c.id),
            func.coalesce(func.sum(projects.c.subsidy_amount), 0),
            func.coalesce(func.sum(projects.c.talents_gathered), 0),
        )
    ).one()
    return {"projects": int(row[0]), "subsidy": row[1], "talents": int(row[2])}


def get_project(session: Session, user: User | None, project_id: int) -> TalentProject:
    """One talent project, for offices."""
    _office_only(user)
    item = session.get(TalentProject, project_id)
    if item is None:
        raise NotFound("产才融合项目不存在")
    return item


def project_dict(item: TalentProject) -> dict[str, Any]:
    """Talent project fields for the API."""
    data: dict[str, Any] = {
        c.key: getattr(item, c.key) for c in TalentProject.__mapper__.column_attrs
    }
    data["organization_name"] = item.organization.name
    data["rights_labels"] = [TALENT_RIGHTS.label(r) for r in item.rights]
    data["status_label"] = TALENT_PROJECT_STATUS.label(item.status)
    return data


# --- 按薪定才 rules ---------------------------------------------------------------------------

CITY_WIDE = "全市通用标准"


@dataclass
class RuleRow:
    """The thresholds of one chain, or of the city-wide default when chain is None."""

    chain: IndustryChain | None
    thresholds: dict[str, Decimal | None]

    @property
    def chain_name(self) -> str:
        """Chain name, or the city-wide label."""
        return self.chain.name if self.chain else CITY_WIDE


def _require_signed_in(user: User | None) -> User:
    require(user, "salary_rule.view")
    assert user is not None
    return user


def _in_year(year: int | None) -> Any:
    """Rules of a year's own set, or the standing (undated) set when year is None."""
    return SalaryGradeRule.year.is_(None) if year is None else SalaryGradeRule.year == year


def salary_rule_years(session: Session) -> list[int]:
    """Years that have their own thresholds, newest first."""
    found = session.scalars(
        select(SalaryGradeRule.year).where(SalaryGradeRule.year.is_not(None)).distinct()
    )
    return sorted((y for y in found if y is not None), reverse=True)


def salary_rule_table(
    session: Session, user: User | None, year: int | None = None
) -> list[RuleRow]:
    """Every chain's thresholds of the standing set (or of a year's own set), the city-wide
    default first; for signed-in users."""
    _require_signed_in(user)
    rules = list(session.scalars(select(SalaryGradeRule).where(_in_year(year))))
    chains = list(
        session.scalars(
            select(IndustryChain)
            .where(IndustryChain.is_active.is_(True))
            .order_by(IndustryChain.sort_order, IndustryChain.id)
        )
    )
    by_chain: dict[int | None, dict[str, Decimal | None]] = {}
    for rule in rules:
        by_chain.setdefault(rule.chain_id, {})[rule.grade] = rule.min_annual_salary
    empty = dict.fromkeys(TALENT_GRADES.values)
    rows = [RuleRow(chain=None, thresholds=empty | by_chain.get(None, {}))]
    rows += [RuleRow(chain=c, thresholds=empty | by_chain.get(c.id, {})) for c in chains]
    return rows


def rules_for(
    session: Session, chain_id: int | None, year: int | None = None
) -> dict[str, Decimal | None]:
    """Thresholds set for one chain (or the city-wide default), standing or of one year."""
    stmt = select(SalaryGradeRule).where(
        SalaryGradeRule.chain_id.is_(None)
        if chain_id is None
        else SalaryGradeRule.chain_id == chain_id,
        _in_year(year),
    )
    found: dict[str, Decimal | None] = dict.fromkeys(TALENT_GRADES.values)
    for rule in session.scalars(stmt):
        found[rule.grade] = rule.min_annual_salary
    return found


def _rule_rows(
    session: Session, chain_id: int | None, year: int | None = None
) -> list[SalaryGradeRule]:
    return list(
        session.scalars(
            select(SalaryGradeRule).where(
                SalaryGradeRule.chain_id.is_(None)
                if chain_id is None
                else SalaryGradeRule.chain_id == chain_id,
                _in_year(year),
            )
        )
    )


def rules_etag(session: Session, chain_id: int | None, year: int | None = None) -> str:
    """ETag of one chain's threshold set (city-wide when chain_id is None; standing, or of one
    year), edited as a whole."""
    return set_etag(_rule_rows(session, chain_id, year))


def set_salary_rules(
    session: Session, user: User, data: dict[str, Any], expected_tag: str | None = None
) -> list[SalaryGradeRule]:
    """Office sets one chain's thresholds (blank removes a grade), loaded as expected_tag
    (StaleEdit if the set changed since); each change is audited; commits."""
    require(user, "salary_rule.edit")
    clean = parse(SalaryRulesIn, data)
    chain = None
    if clean.chain_id is not None:
        chain = session.get(IndustryChain, clean.chain_id)
        if chain is None:
            raise ValidationFailed({"chain_id": "产业链不存在"})
    scope = chain.name if chain else CITY_WIDE
    if clean.year is not None:
        scope = f"{scope}（{clean.year}年度）"
    rows = _rule_rows(session, chain.id if chain else None, clean.year)
    check_set_tag(rows, expected_tag)
    existing = {r.grade: r for r in rows}
    kept: list[SalaryGradeRule] = []
    with saving(session):
        for grade, amount in clean.thresholds().items():
            rule = existing.get(grade)
            label = TALENT_GRADES.label(grade)
            if amount is None:
                if rule is not None:
                    audit.record(
                        session,
                        actor=user,
                        action="delete",
                        entity=rule,
                        changes={"min_annual_salary": [rule.min_annual_salary, None]},
                        summary=f"删除按薪定才标准：{scope} {label}",
                    )
                    session.delete(rule)
                continue
            if rule is None:
                rule = SalaryGradeRule(
                    chain_id=clean.chain_id, year=clean.year, grade=grade, min_annual_salary=amount
                )
                session.add(rule)
                audit.record(
                    session,
                    actor=user,
                    action="create",
                    entity=rule,
                    changes={"min_annual_salary": [None, amount]},
                    summary=f"设定按薪定才标准：{scope} {label} 年薪≥{amount:,.0f}元",
                )
            elif rule.min_annual_salary != amount:
                old = rule.min_annual_salary
                rule.min_annual_salary = amount
                audit.record(
                    session,
                    actor=user,
                    action="update",
                    entity=rule,
                    changes={"min_annual_salary": [old, amount]},
                    summary=f"修改按薪定才标准：{scope} {label} 年薪≥{amount:,.0f}元",
                )
            kept.append(rule)
        commit(session)
    return kept


def grade_for_salary(
    session: Session, chain_id: int | None, salary: Decimal
) -> tuple[str | None, str]:
    """按薪定才: the highest grade whose threshold salary reaches, and which rules applied."""
    rules = rules_for(session, chain_id) if chain_id is not None else {}
    source = "chain"
    if not any(v is not None for v in rules.values()):
        rules = rules_for(session, None)
        source = "city"
    for grade in TALENT_GRADES.values:
        threshold = rules.get(grade)
        if threshold is not None and salary >= threshold:
            return grade, source
    return None, source
