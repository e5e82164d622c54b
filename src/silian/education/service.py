"""Education chain services: named classes (with audited edits), bases, consortia, colleges."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from silian.accounts.models import User
from silian.coordination.models import InvestmentProject
from silian.core import audit
from silian.core.errors import NotFound, PermissionDenied, ValidationFailed
from silian.core.pagination import Page, paginate
from silian.core.validation import parse
from silian.education.choices import CONSORTIUM_KINDS
from silian.education.models import (
    Consortium,
    Discipline,
    IndustryCollege,
    NamedClass,
    TrainingBase,
)
from silian.education.schemas import NamedClassIn
from silian.organizations.models import Organization, organization_chains
from silian.reference import data as reference

CLASS_EDITOR_ROLES = ("office", "university")
SCHOOL_KINDS = ("university", "institute")


@dataclass
class EduFilters:
    """Filters shared by the education lists."""

    q: str = ""
    chain_id: int | None = None
    organization_id: int | None = None
    year: int | None = None


def _like(filters: EduFilters) -> str:
    return f"%{filters.q.strip().lower()}%"


def overview(session: Session) -> dict[str, int]:
    """Headline figures of the education chain."""

    def scalar(stmt: Any) -> int:
        return int(session.scalar(stmt) or 0)

    return {
        "named_classes": scalar(select(func.count(NamedClass.id))),
        "class_students": scalar(select(func.coalesce(func.sum(NamedClass.students), 0))),
        "training_bases": scalar(select(func.count(TrainingBase.id))),
        "base_capacity": scalar(select(func.coalesce(func.sum(TrainingBase.yearly_capacity), 0))),
        "trainees": scalar(select(func.coalesce(func.sum(TrainingBase.trainees_this_year), 0))),
        "consortia": scalar(select(func.count(Consortium.id))),
        "colleges": scalar(select(func.count(IndustryCollege.id))),
        "college_students": scalar(select(func.coalesce(func.sum(IndustryCollege.students), 0))),
    }


# --- named classes ---------------------------------------------------------------------------


def visible_query(user: User | None) -> Select[NamedClass]:
    """Named classes user may see: every class is public."""
    return select(NamedClass)


def class_in_chain(chain_id: int) -> Any:
    """Condition: the class's enterprise is on the chain or its investment project belongs to it."""
    return or_(
        NamedClass.enterprise_id.in_(
            select(organization_chains.c.organization_id).where(
                organization_chains.c.chain_id == chain_id
            )
        ),
        NamedClass.investment_project_id.in_(
            select(InvestmentProject.id).where(InvestmentProject.chain_id == chain_id)
        ),
    )


def list_named_classes(
    session: Session, filters: EduFilters, page: int, per_page: int
) -> Page[Any]:
    """Named classes, newest graduation year first."""
    stmt = select(NamedClass)
    if filters.q:
        school = aliased(Organization)
        company = aliased(Organization)
        like = _like(filters)
        stmt = (
            stmt.join(school, school.id == NamedClass.university_id)
            .join(company, company.id == NamedClass.enterprise_id)
            .where(
                or_(
                    func.lower(NamedClass.name).like(like),
                    func.lower(NamedClass.major_name).like(like),
                    func.lower(school.name).like(like),
                    func.lower(company.name).like(like),
                )
            )
        )
    if filters.chain_id:
        stmt = stmt.where(class_in_chain(filters.chain_id))
    if filters.organization_id:
        stmt = stmt.where(
            or_(
                NamedClass.university_id == filters.organization_id,
                NamedClass.enterprise_id == filters.organization_id,
            )
        )
    if filters.year:
        stmt = stmt.where(NamedClass.graduation_year == filters.year)
    stmt = stmt.order_by(NamedClass.graduation_year.desc(), NamedClass.name, NamedClass.id)
    return paginate(session, stmt, page, per_page)


def get_named_class(session: Session, class_id: int) -> NamedClass:
    """One named class, or NotFound."""
    item = session.get(NamedClass, class_id)
    if item is None:
        raise NotFound("冠名班不存在")
    return item


def can_manage_class(user: User | None, item: NamedClass | None = None) -> bool:
    """Offices manage every class; a university user manages its own school's classes."""
    if user is None or user.role not in CLASS_EDITOR_ROLES:
        return False
    if user.role == "office":
        return True
    if user.organization_id is None:
        return False
    return item is None or item.university_id == user.organization_id


def _class_values(
    session: Session, user: User, clean: NamedClassIn, current: NamedClass | None
) -> dict[str, Any]:
    values = clean.model_dump()
    errors: dict[str, str] = {}
    if user.role != "office":
        values["university_id"] = user.organization_id
    school = session.get(Organization, values["university_id"]) if values["university_id"] else None
    if school is None or school.kind not in SCHOOL_KINDS:
        errors["university_id"] = "请选择办学院校"
    company = session.get(Organization, clean.enterprise_id) if clean.enterprise_id else None
    if company is None or company.kind != "enterprise":
        errors["enterprise_id"] = "请选择冠名企业"
    if clean.investment_project_id is not None and (
        session.get(InvestmentProject, clean.investment_project_id) is None
    ):
        errors["investment_project_id"] = "招商引资项目不存在"
    if school is not None:
        clash = session.scalar(
            select(NamedClass.id).where(
                NamedClass.university_id == school.id,
                NamedClass.name == clean.name,
                NamedClass.id != (current.id if current else -1),
            )
        )
        if clash is not None:
            errors["name"] = "该院校已有同名冠名班"
    if errors:
        raise ValidationFailed(errors)
    return values


def create_named_class(session: Session, user: User, data: dict[str, Any]) -> NamedClass:
    """Create a named class; writes the audit log."""
    if not can_manage_class(user):
        raise PermissionDenied("只有政府部门和高校院所可以创建冠名班")
    values = _class_values(session, user, parse(NamedClassIn, data), None)
    item = NamedClass(**values)
    session.add(item)
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes={k: [None, v] for k, v in audit.snapshot(item).items() if v not in (None, "", [])},
        summary=f"创建冠名班：{item.name}",
    )
    return item


def update_named_class(
    session: Session, user: User, class_id: int, data: dict[str, Any]
) -> NamedClass:
    """Edit a named class; writes the audit log."""
    item = get_named_class(session, class_id)
    if not can_manage_class(user, item):
        raise PermissionDenied("您不能修改此冠名班")
    values = _class_values(session, user, parse(NamedClassIn, data), item)
    before = audit.snapshot(item)
    for key, value in values.items():
        setattr(item, key, value)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="update",
        entity=item,
        changes=audit.diff(before, audit.snapshot(item)),
        summary=f"修改冠名班：{item.name}",
    )
    return item


def _ref(org: Organization) -> dict[str, Any]:
    return {"id": org.id, "name": org.name, "kind": org.kind}


def class_dict(session: Session, item: NamedClass) -> dict[str, Any]:
    """Named class fields for the API."""
    project = (
        session.get(InvestmentProject, item.investment_project_id)
        if item.investment_project_id
        else None
    )
    data: dict[str, Any] = {c.key: getattr(item, c.key) for c in NamedClass.__mapper__.column_attrs}
    data["university"] = _ref(item.university)
    data["enterprise"] = _ref(item.enterprise)
    data["investment_project_name"] = project.name if project else None
    return data


# --- training bases, consortia, colleges -----------------------------------------------------


def list_training_bases(
    session: Session, filters: EduFilters, page: int, per_page: int
) -> Page[Any]:
    """Public training bases, largest capacity first."""
    stmt = select(TrainingBase)
    if filters.q:
        like = _like(filters)
        stmt = stmt.where(
            or_(
                func.lower(TrainingBase.name).like(like),
                func.lower(TrainingBase.description).like(like),
                # JSON is stored with \u escapes, so search for the escaped text.
                cast(TrainingBase.programmes, String).contains(
                    json.dumps(filters.q.strip())[1:-1], autoescape=True
                ),
            )
        )
    if filters.chain_id:
        stmt = stmt.where(TrainingBase.chain_id == filters.chain_id)
    if filters.organization_id:
        stmt = stmt.where(TrainingBase.organization_id == filters.organization_id)
    stmt = stmt.order_by(TrainingBase.yearly_capacity.desc(), TrainingBase.name)
    return paginate(session, stmt, page, per_page)


def get_training_base(session: Session, base_id: int) -> TrainingBase:
    """One training base, or NotFound."""
    item = session.get(TrainingBase, base_id)
    if item is None:
        raise NotFound("实训基地不存在")
    return item


def base_dict(item: TrainingBase) -> dict[str, Any]:
    """Training base fields for the API."""
    data: dict[str, Any] = {
        c.key: getattr(item, c.key) for c in TrainingBase.__mapper__.column_attrs
    }
    data["organization"] = _ref(item.organization)
    return data


def list_consortia(session: Session, filters: EduFilters, page: int, per_page: int) -> Page[Any]:
    """Consortia, by name."""
    stmt = select(Consortium)
    if filters.q:
        like = _like(filters)
        stmt = stmt.where(
            or_(
                func.lower(Consortium.name).like(like),
                func.lower(Consortium.description).like(like),
            )
        )
    if filters.chain_id:
        stmt = stmt.where(Consortium.chain_id == filters.chain_id)
    if filters.organization_id:
        stmt = stmt.where(
            or_(
                Consortium.lead_organization_id == filters.organization_id,
                Consortium.members.any(Organization.id == filters.organization_id),
            )
        )
    stmt = stmt.order_by(Consortium.kind, Consortium.name)
    return paginate(session, stmt, page, per_page)


def get_consortium(session: Session, consortium_id: int) -> Consortium:
    """One consortium, or NotFound."""
    item = session.get(Consortium, consortium_id)
    if item is None:
        raise NotFound("产教联合体不存在")
    return item


def consortium_dict(item: Consortium) -> dict[str, Any]:
    """Consortium fields with members, for the API."""
    data: dict[str, Any] = {c.key: getattr(item, c.key) for c in Consortium.__mapper__.column_attrs}
    data["kind_label"] = CONSORTIUM_KINDS.label(item.kind)
    data["lead_organization"] = _ref(item.lead_organization)
    data["members"] = [_ref(m) for m in item.members]
    return data


def list_colleges(session: Session, filters: EduFilters, page: int, per_page: int) -> Page[Any]:
    """Modern industry colleges, by name."""
    stmt = select(IndustryCollege)
    if filters.q:
        like = _like(filters)
        stmt = stmt.where(func.lower(IndustryCollege.name).like(like))
    if filters.chain_id:
        stmt = stmt.where(IndustryCollege.chain_id == filters.chain_id)
    if filters.organization_id:
        stmt = stmt.where(IndustryCollege.university_id == filters.organization_id)
    stmt = stmt.order_by(IndustryCollege.name)
    return paginate(session, stmt, page, per_page)


def get_college(session: Session, college_id: int) -> IndustryCollege:
    """One industry college, or NotFound."""
    item = session.get(IndustryCollege, college_id)
    if item is None:
        raise NotFound("现代产业学院不存在")
    return item


def college_dict(item: IndustryCollege) -> dict[str, Any]:
    """Industry college fields for the API."""
    data: dict[str, Any] = {
        c.key: getattr(item, c.key) for c in IndustryCollege.__mapper__.column_attrs
    }
    data["university"] = _ref(item.university)
    return data


def sync_disciplines(session: Session) -> int:
    """Load the CSL (67) and NSFC (2,916) discipline catalogues; returns rows added.

    Catalogue rows are reference data, not user records, so they are upserted without audit.
    """
    wanted: dict[tuple[str, str], dict[str, str]] = {}
    for d in reference.csl_disciplines():
        wanted[("csl", d.code)] = {"name": d.name, "category": d.category, "parent_code": ""}
    for n in reference.nsfc_codes():
        wanted[("nsfc", n.code)] = {
            "name": n.name[:100],
            "category": n.code[:1],
            "parent_code": n.parent,
        }
    existing = {(d.source, d.code): d for d in session.scalars(select(Discipline))}
    added = 0
    for (source, code), values in wanted.items():
        row = existing.get((source, code))
        if row is None:
            session.add(Discipline(source=source, code=code, **values))
            added += 1
        else:
            for key, value in values.items():
                setattr(row, key, value)
    session.flush()
    return added
