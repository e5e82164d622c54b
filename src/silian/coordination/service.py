"""Investment projects (招商引资项目): the register, its audited edits and status changes, links to
named classes, and the talent-arrival forecast."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.config import Settings
from silian.coordination import forecast as fc
from silian.coordination.choices import PROJECT_STATUS
from silian.coordination.models import InvestmentProject
from silian.coordination.schemas import InvestmentProjectIn
from silian.core import audit
from silian.core.concurrency import check_version, saving, touch
from silian.core.errors import InvalidTransition, NotFound, ValidationFailed
from silian.core.pagination import Page, paginate
from silian.core.permissions import can, require
from silian.core.transactions import commit
from silian.core.validation import parse
from silian.education.models import Major, NamedClass
from silian.organizations.models import Organization

KIND = "investment_project"

# Status changes of a project: action → (from, to, label).
ACTIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "build": (frozenset({"signed"}), "building", "开工建设"),
    "open": (frozenset({"signed", "building"}), "opened", "投产"),
    "cancel": (frozenset({"signed", "building"}), "cancelled", "终止"),
    "resume": (frozenset({"cancelled"}), "signed", "恢复"),
}
ACTION_LABELS = {name: label for name, (_, _, label) in ACTIONS.items()}


@dataclass
class ProjectFilters:
    """Filters of the project list."""

    q: str = ""
    chain_id: int | None = None
    status: str = ""
    organization_id: int | None = None


def visible_query(user: User | None) -> Select[Any]:
    """The one query of projects user may see: every project (the city's investment register is
    public, like the chain pages that list it)."""
    return select(InvestmentProject)


def list_projects(
    session: Session, user: User | None, filters: ProjectFilters, page: int, per_page: int
) -> Page[Any]:
    """Projects by opening date (soonest first, undated last)."""
    stmt = visible_query(user)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(InvestmentProject.name).like(like),
                func.lower(InvestmentProject.description).like(like),
            )
        )
    if filters.chain_id:
        stmt = stmt.where(InvestmentProject.chain_id == filters.chain_id)
    if filters.status in PROJECT_STATUS.values:
        stmt = stmt.where(InvestmentProject.status == filters.status)
    if filters.organization_id:
        stmt = stmt.where(InvestmentProject.organization_id == filters.organization_id)
    stmt = stmt.order_by(
        InvestmentProject.opening_date.is_(None),
        InvestmentProject.opening_date,
        InvestmentProject.id,
    )
    return paginate(session, stmt, page, per_page)


def get_project(session: Session, user: User | None, project_id: int) -> InvestmentProject:
    """One project, or NotFound."""
    item = session.get(InvestmentProject, project_id)
    if item is None:
        raise NotFound("招商引资项目不存在")
    return item


def can_edit(user: User | None, item: InvestmentProject | None = None) -> bool:
    """Per the table: the offices keep the register."""
    return can(user, "investment_project.edit", item)


def _values(
    session: Session, clean: InvestmentProjectIn, current: InvestmentProject | None
) -> dict[str, Any]:
    values = clean.model_dump()
    errors: dict[str, str] = {}
    if clean.organization_id is not None:
        org = session.get(Organization, clean.organization_id)
        if org is None or org.kind != "enterprise":
            errors["organization_id"] = "请选择投资企业"
    if clean.chain_id is not None:
        from silian.chains.models import IndustryChain

        if session.get(IndustryChain, clean.chain_id) is None:
            errors["chain_id"] = "产业链不存在"
    clash = session.scalar(
        select(InvestmentProject.id).where(
            InvestmentProject.name == clean.name,
            InvestmentProject.id != (current.id if current else -1),
        )
    )
    if clash is not None:
        errors["name"] = "已有同名招商引资项目"
    needs, problem = _resolve_codes(session, values["talent_needs"])
    if problem:
        errors["talent_needs"] = problem
    values["talent_needs"] = needs
    if errors:
        raise ValidationFailed(errors)
    return values


def _resolve_codes(session: Session, rows: list[dict[str, Any]]) -> tuple[list[dict], str]:
    """Fill a row's major name from the catalogue code, and its code from the name; a code the
    catalogue lacks is refused with its row."""
    codes = {r["code"] for r in rows if r["code"]}
    names = {r["major"] for r in rows if r["major"] and not r["code"]}
    by_code: dict[str, str] = {}
    by_name: dict[str, str] = {}
    if codes or names:
        for major in session.scalars(
            select(Major).where(or_(Major.code.in_(codes), Major.name.in_(names)))
        ):
            by_code[major.code] = major.name
            by_name.setdefault(major.name, major.code)
    out: list[dict[str, Any]] = []
    problems = []
    for number, row in enumerate(rows, start=1):
        row = dict(row)
        if row["code"] and row["code"] not in by_code:
            problems.append(f"第 {number} 行「专业」代码“{row['code']}”不在专业目录中")
        elif row["code"] and not row["major"]:
            row["major"] = by_code[row["code"]]
        elif not row["code"]:
            row["code"] = by_name.get(row["major"], "")
        out.append(row)
    return out, "；".join(problems)


def create_project(session: Session, user: User, data: dict[str, Any]) -> InvestmentProject:
    """Record a project; audited; commits."""
    require(user, "investment_project.create")
    values = _values(session, parse(InvestmentProjectIn, data), None)
    item = InvestmentProject(**values)
    session.add(item)
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes={k: [None, v] for k, v in audit.snapshot(item).items() if v not in (None, "", [])},
        summary=f"登记招商引资项目：{item.name}",
    )
    commit(session)
    return item


def update_project(
    session: Session,
    user: User,
    project_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> InvestmentProject:
    """Edit a project loaded at expected_version (StaleEdit if it changed since); audited."""
    item = get_project(session, user, project_id)
    require(user, "investment_project.edit", item)
    values = _values(session, parse(InvestmentProjectIn, data), item)
    check_version(item, expected_version)
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
            summary=f"修改招商引资项目：{item.name}",
        )
        commit(session)
    return item


def change_status(
    session: Session, user: User, project_id: int, action: str, remarks: str = ""
) -> InvestmentProject:
    """Move a project (开工建设, 投产, 终止, 恢复); audited; commits."""
    item = get_project(session, user, project_id)
    require(user, "investment_project.edit", item)
    if action not in ACTIONS:
        raise NotFound("不支持的操作")
    sources, target, label = ACTIONS[action]
    if item.status not in sources:
        raise InvalidTransition(f"项目当前为“{PROJECT_STATUS.label(item.status)}”，不能{label}")
    with saving(session):
        old = item.status
        item.status = target
        touch(item)
        audit.record(
            session,
            actor=user,
            action=action,
            entity=item,
            changes={"status": [old, target]},
            summary=f"招商引资项目{label}：{item.name}" + (f"（{remarks}）" if remarks else ""),
        )
        commit(session)
    return item


def allowed_actions(user: User | None, item: InvestmentProject) -> list[str]:
    """Status changes user may make now (for buttons)."""
    if not can_edit(user, item):
        return []
    return [name for name, (sources, _, _) in ACTIONS.items() if item.status in sources]


# --- named classes ---------------------------------------------------------------------------


def linked_classes(session: Session, project_id: int) -> list[NamedClass]:
    """Named classes serving the project, by graduation year."""
    return list(
        session.scalars(
            select(NamedClass)
            .where(NamedClass.investment_project_id == project_id)
            .order_by(NamedClass.graduation_year, NamedClass.name)
        )
    )


def linkable_classes(session: Session, project: InvestmentProject) -> list[NamedClass]:
    """Classes not serving any project, those in a needed major first."""
    wanted = {fc.major_key(r.major) for r in fc.need_rows(project.talent_needs)}
    free = list(
        session.scalars(
            select(NamedClass)
            .where(NamedClass.investment_project_id.is_(None))
            .order_by(NamedClass.graduation_year, NamedClass.name)
        )
    )
    return sorted(free, key=lambda c: fc.major_key(c.major_name) not in wanted)


def _set_link(
    session: Session, user: User, klass: NamedClass, project: InvestmentProject | None
) -> None:
    old = klass.investment_project_id
    new = project.id if project else None
    with saving(session):
        klass.investment_project_id = new
        touch(klass)
        audit.record(
            session,
            actor=user,
            action="update",
            entity=klass,
            changes={"investment_project_id": [old, new]},
            summary=(
                f"冠名班“{klass.name}”对接招商引资项目：{project.name}"
                if project
                else f"冠名班“{klass.name}”取消对接招商引资项目"
            ),
        )
        commit(session)


def link_class(session: Session, user: User, project_id: int, class_id: int | None) -> NamedClass:
    """Link a named class to the project it serves (the office); audited on the class."""
    project = get_project(session, user, project_id)
    require(user, "investment_project.link_class", project)
    klass = session.get(NamedClass, class_id) if class_id else None
    if klass is None:
        raise ValidationFailed({"class_id": "请选择冠名班"})
    if klass.investment_project_id not in (None, project.id):
        raise ValidationFailed(
            {"class_id": f"冠名班“{klass.name}”已对接其他招商引资项目，请先取消"}
        )
    _set_link(session, user, klass, project)
    return klass


def unlink_class(session: Session, user: User, project_id: int, class_id: int) -> NamedClass:
    """Take a named class off the project (the office); audited on the class."""
    project = get_project(session, user, project_id)
    require(user, "investment_project.link_class", project)
    klass = session.get(NamedClass, class_id)
    if klass is None or klass.investment_project_id != project.id:
        raise NotFound("该冠名班未对接此项目")
    _set_link(session, user, klass, None)
    return klass


# --- forecast --------------------------------------------------------------------------------


# The running app's forecast settings for this request (set by the routes); elsewhere the
# defaults of Settings.
_RATES: ContextVar[tuple[float, float] | None] = ContextVar("forecast_rates", default=None)


def use_settings(settings: Settings) -> None:
    """Use settings' retention rate and hire share for forecasts made in this context."""
    _RATES.set((settings.talent_retention_rate, settings.project_hire_share))


def rates() -> tuple[float, float]:
    """(retention rate, hire share) in force: the request's settings, else the defaults."""
    return _RATES.get() or (Settings.talent_retention_rate, Settings.project_hire_share)


def project_forecast(
    session: Session, project: InvestmentProject, today: date | None = None
) -> fc.Forecast:
    """The project's arrival forecast under the configured retention rate and hire share."""
    retention, share = rates()
    return fc.project_forecast(
        session, project, retention_rate=retention, hire_share=share, today=today
    )


def forecasts(session: Session, projects: list[InvestmentProject]) -> dict[int, fc.Forecast]:
    """Forecasts of a page of projects (for risk badges)."""
    retention, share = rates()
    return fc.risk_by_project(session, projects, retention_rate=retention, hire_share=share)


def forecast_dict(project: InvestmentProject, result: fc.Forecast) -> dict[str, Any]:
    """The forecast for the API."""
    return {
        "project_id": project.id,
        "assessable": result.assessable,
        "reason": result.reason,
        "at_risk": result.at_risk,
        "opening_date": result.opening_date,
        "first_year": result.first_year,
        "retention_rate": result.retention_rate,
        "hire_share": result.hire_share,
        "need": result.need,
        "expected_arrivals": round(result.arrivals, 2),
        "gap": result.gap,
        "majors": [
            {
                "major": m.major,
                "code": m.code,
                "need": m.need,
                "linked_class_students": m.linked,
                "city_graduates": m.city,
                "expected_arrivals": round(m.arrivals, 2),
                "gap": m.gap,
                "met": m.met,
                "classes": [
                    {
                        "id": c.class_id,
                        "name": c.name,
                        "students": c.students,
                        "graduation_year": c.graduation_year,
                        "counted": counted,
                    }
                    for c, counted in m.classes
                ],
                "offerings": [
                    {"id": o.offering_id, "school": o.school, "major": o.major, "graduates": g}
                    for o, g in m.offerings
                ],
            }
            for m in result.majors
        ],
    }


def project_dict(session: Session, item: InvestmentProject, at_risk: bool | None) -> dict[str, Any]:
    """Project fields for the API and the edit form."""
    data: dict[str, Any] = {
        c.key: getattr(item, c.key) for c in InvestmentProject.__mapper__.column_attrs
    }
    data["talent_needs"] = [
        {
            "major": r.get("major", ""),
            "code": r.get("code", ""),
            "year": r.get("year"),
            "count": r.get("count", 0),
        }
        for r in item.talent_needs or []
    ]
    data["organization_name"] = item.organization.name if item.organization else None
    data["status_label"] = PROJECT_STATUS.label(item.status)
    data["at_risk"] = at_risk
    data["linked_class_ids"] = list(
        session.scalars(
            select(NamedClass.id)
            .where(NamedClass.investment_project_id == item.id)
            .order_by(NamedClass.id)
        )
    )
    return data
