"""Education chain editing services: the majors catalogue and its mappings, consortia with member
roles, modern industry colleges, training bases and the majors universities run (audited), and
the fit report built on education.fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, insert, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.core import audit, clock
from silian.core.concurrency import check_version, saving, touch
from silian.core.errors import NotFound, ValidationFailed
from silian.core.pagination import Page, paginate
from silian.core.permissions import can, require
from silian.core.transactions import commit
from silian.core.validation import parse
from silian.education import fit
from silian.education.choices import CONSORTIUM_KINDS, CONSORTIUM_PARTS
from silian.education.models import (
    Consortium,
    Discipline,
    IndustryCollege,
    Major,
    MajorChain,
    MajorDiscipline,
    MajorOffering,
    TrainingBase,
    consortium_members,
)
from silian.education.schemas import (
    ConsortiumIn,
    IndustryCollegeIn,
    MajorMappingIn,
    MajorOfferingIn,
    TrainingBaseIn,
)
from silian.organizations.models import Organization
from silian.reference import data as reference

SCHOOL_KINDS = ("university", "institute")
MEMBER_KINDS = ("university", "institute", "enterprise", "platform")
FORMULA = (
    "匹配度 = 100 × M ÷ max(S, D)；S = 当年预计毕业生（按专业—产业链权重分摊）+ 冠名班毕业生"
    " + 实训结业人数，D = 人才需求人数 + 招商引资项目分专业需求人数，"
    "M = Σ专业 min(S专业, D专业) + min(剩余供给, 未指定专业的需求)"
)


# --- majors catalogue ------------------------------------------------------------------------


def sync_majors(session: Session) -> int:
    """Load the shipped majors catalogue; returns rows added. A major new to the table gets the
    catalogue's default discipline and chain mappings; existing mappings (the office may have
    edited them) are left alone. Reference data, so no audit rows."""
    existing = {(m.level, m.code): m for m in session.scalars(select(Major))}
    disciplines = {
        d.name: d.id for d in session.scalars(select(Discipline).where(Discipline.source == "csl"))
    }
    chains = {c.code: c.id for c in session.scalars(select(IndustryChain))}
    added = 0
    for row in reference.majors_catalogue():
        major = existing.get((row.level, row.code))
        if major is not None:
            major.name, major.category = row.name, row.category
            continue
        major = Major(level=row.level, code=row.code, name=row.name, category=row.category)
        session.add(major)
        session.flush()
        added += 1
        for name in row.disciplines:
            if name in disciplines:
                session.add(MajorDiscipline(major_id=major.id, discipline_id=disciplines[name]))
        for code in row.chains:
            if code in chains:
                session.add(MajorChain(major_id=major.id, chain_id=chains[code], weight=1))
    session.flush()
    return added


@dataclass
class MajorFilters:
    """Filters of the majors catalogue page."""

    q: str = ""
    level: str = ""
    chain_id: int | None = None


def list_majors(session: Session, filters: MajorFilters, page: int, per_page: int) -> Page[Any]:
    """Catalogue majors by level and code."""
    stmt = select(Major)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Major.name).like(like), func.lower(Major.code).like(like)))
    if filters.level:
        stmt = stmt.where(Major.level == filters.level)
    if filters.chain_id:
        stmt = stmt.where(
            Major.id.in_(select(MajorChain.major_id).where(MajorChain.chain_id == filters.chain_id))
        )
    stmt = stmt.order_by(Major.level.desc(), Major.code)
    return paginate(session, stmt, page, per_page)


def get_major(session: Session, major_id: int) -> Major:
    """One catalogue major, or NotFound."""
    item = session.get(Major, major_id)
    if item is None:
        raise NotFound("专业不存在")
    return item


def mappings(session: Session, major_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each major's disciplines and chains (with weights) for display and editing."""
    out: dict[int, dict[str, Any]] = {i: {"disciplines": [], "chains": []} for i in major_ids}
    for md, d in session.execute(
        select(MajorDiscipline, Discipline)
        .join(Discipline, Discipline.id == MajorDiscipline.discipline_id)
        .where(MajorDiscipline.major_id.in_(major_ids))
        .order_by(Discipline.code)
    ):
        out[md.major_id]["disciplines"].append(d)
    for mc, c in session.execute(
        select(MajorChain, IndustryChain)
        .join(IndustryChain, IndustryChain.id == MajorChain.chain_id)
        .where(MajorChain.major_id.in_(major_ids))
        .order_by(IndustryChain.sort_order)
    ):
        out[mc.major_id]["chains"].append((c, mc.weight))
    return out


def _mapping_snapshot(session: Session, major_id: int) -> dict[str, Any]:
    found = mappings(session, [major_id])[major_id]
    return {
        "disciplines": [d.name for d in found["disciplines"]],
        "chains": {c.name: w for c, w in found["chains"]},
    }


def update_major_mapping(
    session: Session,
    user: User,
    major_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Major:
    """Replace a major's discipline and chain mappings (office only), loaded at the major's
    expected_version (StaleEdit if they changed since); audited."""
    require(user, "major_mapping.edit")
    major = get_major(session, major_id)
    clean = parse(MajorMappingIn, data)
    errors: dict[str, str] = {}
    known = set(
        session.scalars(
            select(Discipline.id).where(Discipline.id.in_(clean.discipline_ids or [-1]))
        )
    )
    missing = [i for i in clean.discipline_ids if i not in known]
    if missing:
        errors["discipline_ids"] = f"学科不存在：{missing[0]}"
    chains = set(
        session.scalars(
            select(IndustryChain.id).where(IndustryChain.id.in_(list(clean.chain_weights) or [-1]))
        )
    )
    for chain_id, weight in clean.chain_weights.items():
        if chain_id not in chains:
            errors["chain_weights"] = f"产业链不存在：{chain_id}"
            break
        if not 1 <= weight <= 10:
            errors["chain_weights"] = "产业链权重应为 1 到 10 的整数"
            break
    if errors:
        raise ValidationFailed(errors)
    check_version(major, expected_version)
    with saving(session):
        before = _mapping_snapshot(session, major.id)
        # The mappings are rows of their own: an UPDATE of the major itself bumps its version,
        # so two offices editing the same major's mappings cannot both win.
        flag_modified(major, "name")
        session.flush()
        session.execute(delete(MajorDiscipline).where(MajorDiscipline.major_id == major.id))
        session.execute(delete(MajorChain).where(MajorChain.major_id == major.id))
        for discipline_id in dict.fromkeys(clean.discipline_ids):
            session.add(MajorDiscipline(major_id=major.id, discipline_id=discipline_id))
        for chain_id, weight in clean.chain_weights.items():
            session.add(MajorChain(major_id=major.id, chain_id=chain_id, weight=weight))
        session.flush()
        after = _mapping_snapshot(session, major.id)
        audit.record(
            session,
            actor=user,
            action="update",
            entity=major,
            changes=audit.diff(before, after),
            summary=f"修改专业对应关系：{major.code} {major.name}",
        )
        commit(session)
    return major


def _catalogue_names(session: Session, names: list[str], field: str) -> dict[str, str]:
    if not names:
        return {}
    known = set(session.scalars(select(Major.name).where(Major.name.in_(names))))
    for name in names:
        if name not in known:
            return {field: f"专业「{name}」不在专业目录中"}
    return {}


def _chain_error(session: Session, chain_id: int | None) -> dict[str, str]:
    if chain_id is not None and session.get(IndustryChain, chain_id) is None:
        return {"chain_id": "产业链不存在"}
    return {}


def _unique_name(
    session: Session, model: Any, name: str, current_id: int | None, message: str
) -> dict[str, str]:
    clash = session.scalar(
        select(model.id).where(model.name == name, model.id != (current_id or -1))
    )
    return {"name": message} if clash is not None else {}


def _save(
    session: Session,
    user: User,
    item: Any,
    values: dict[str, Any],
    noun: str,
    extra_before: dict[str, Any] | None = None,
    extra_after: Any = None,
    expected_version: int | None = None,
) -> None:
    """Set values on item (new, or existing loaded at expected_version: StaleEdit if it changed
    since), write the audit row and commit."""
    creating = item.id is None
    if not creating:
        check_version(item, expected_version)
    with saving(session):
        before = {} if creating else audit.snapshot(item) | (extra_before or {})
        for key, value in values.items():
            setattr(item, key, value)
        if creating:
            session.add(item)
        else:
            touch(item)
        session.flush()
        if extra_after is not None:
            extra_after()
        after = audit.snapshot(item) | _members_snapshot(session, item)
        if creating:
            changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [], 0)}
        else:
            changes = audit.diff(before, after)
        audit.record(
            session,
            actor=user,
            action="create" if creating else "update",
            entity=item,
            changes=changes,
            summary=f"{'创建' if creating else '修改'}{noun}：{item.name}",
        )
        commit(session)


# --- consortia -------------------------------------------------------------------------------


def members_with_roles(session: Session, consortium_id: int) -> list[tuple[Organization, str]]:
    """A consortium's member units with their roles: lead first, then deputies, then members."""
    rows = session.execute(
        select(Organization, consortium_members.c.role)
        .join(consortium_members, consortium_members.c.organization_id == Organization.id)
        .where(consortium_members.c.consortium_id == consortium_id)
    ).all()
    order = {"lead": 0, "deputy": 1, "member": 2}
    return sorted(rows, key=lambda r: (order.get(r[1], 3), r[0].name))


def _members_snapshot(session: Session, item: Any) -> dict[str, Any]:
    if not isinstance(item, Consortium):
        return {}
    return {
        "members": sorted(
            f"{o.name}（{CONSORTIUM_PARTS.label(role)}）"
            for o, role in members_with_roles(session, item.id)
        )
    }


def _consortium_values(
    session: Session, clean: ConsortiumIn, current: Consortium | None
) -> tuple[dict[str, Any], dict[int, str]]:
    errors: dict[str, str] = {}
    if clean.kind not in CONSORTIUM_KINDS.values:
        errors["kind"] = "请选择联合体类型"
    errors |= _chain_error(session, clean.chain_id)
    errors |= _unique_name(
        session, Consortium, clean.name, current.id if current else None, "已有同名产教联合体"
    )
    roles: dict[int, str] = {clean.lead_organization_id: "lead"}
    for org_id in clean.deputy_ids:
        roles.setdefault(org_id, "deputy")
    for org_id in clean.member_ids:
        roles.setdefault(org_id, "member")
    units = {
        o.id: o
        for o in session.scalars(select(Organization).where(Organization.id.in_(list(roles))))
    }
    lead = units.get(clean.lead_organization_id)
    if lead is None or lead.kind not in MEMBER_KINDS:
        errors["lead_organization_id"] = "请选择牵头单位（院校、科研院所或企业）"
    for field, ids in (("deputy_ids", clean.deputy_ids), ("member_ids", clean.member_ids)):
        for org_id in ids:
            unit = units.get(org_id)
            if unit is None or unit.kind not in MEMBER_KINDS:
                errors[field] = f"成员单位不存在或不是院校、科研院所、企业：{org_id}"
                break
    errors |= _catalogue_names(session, clean.majors, "majors")
    if errors:
        raise ValidationFailed(errors)
    values = clean.model_dump(exclude={"deputy_ids", "member_ids"})
    return values, roles


def _set_members(session: Session, consortium_id: int, roles: dict[int, str]) -> None:
    session.execute(
        delete(consortium_members).where(consortium_members.c.consortium_id == consortium_id)
    )
    if roles:
        session.execute(
            insert(consortium_members),
            [
                {"consortium_id": consortium_id, "organization_id": org_id, "role": role}
                for org_id, role in roles.items()
            ],
        )
    session.expire_all()


def create_consortium(session: Session, user: User, data: dict[str, Any]) -> Consortium:
    """Create a consortium with its members and their roles; audited."""
    require(user, "edu_consortium.manage")
    values, roles = _consortium_values(session, parse(ConsortiumIn, data), None)
    item = Consortium()
    _save(
        session, user, item, values, "产教联合体", {}, lambda: _set_members(session, item.id, roles)
    )
    return item


def update_consortium(
    session: Session,
    user: User,
    consortium_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Consortium:
    """Edit a consortium, its members and roles, loaded at expected_version (StaleEdit if it
    changed since); audited with the member changes."""
    require(user, "edu_consortium.manage")
    item = session.get(Consortium, consortium_id)
    if item is None:
        raise NotFound("产教联合体不存在")
    values, roles = _consortium_values(session, parse(ConsortiumIn, data), item)
    _save(
        session,
        user,
        item,
        values,
        "产教联合体",
        _members_snapshot(session, item),
        lambda: _set_members(session, item.id, roles),
        expected_version,
    )
    return item


def consortium_detail(session: Session, item: Consortium) -> dict[str, Any]:
    """Consortium fields with members and roles, for the API and the edit form."""
    data: dict[str, Any] = {c.key: getattr(item, c.key) for c in Consortium.__mapper__.column_attrs}
    data["kind_label"] = CONSORTIUM_KINDS.label(item.kind)
    lead = item.lead_organization
    data["lead_organization"] = {"id": lead.id, "name": lead.name, "kind": lead.kind}
    members = members_with_roles(session, item.id)
    data["members"] = [
        {
            "id": o.id,
            "name": o.name,
            "kind": o.kind,
            "role": role,
            "role_label": CONSORTIUM_PARTS.label(role),
        }
        for o, role in members
    ]
    data["deputy_ids"] = [o.id for o, role in members if role == "deputy"]
    data["member_ids"] = [o.id for o, role in members if role == "member"]
    return data


# --- industry colleges and training bases ----------------------------------------------------


def _college_values(
    session: Session, clean: IndustryCollegeIn, current: IndustryCollege | None
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    school = session.get(Organization, clean.university_id)
    if school is None or school.kind not in SCHOOL_KINDS:
        errors["university_id"] = "请选择所属高校"
    errors |= _chain_error(session, clean.chain_id)
    errors |= _unique_name(
        session,
        IndustryCollege,
        clean.name,
        current.id if current else None,
        "已有同名现代产业学院",
    )
    errors |= _catalogue_names(session, clean.majors, "majors")
    if errors:
        raise ValidationFailed(errors)
    return clean.model_dump()


def save_college(
    session: Session,
    user: User,
    data: dict[str, Any],
    college_id: int | None = None,
    expected_version: int | None = None,
) -> IndustryCollege:
    """Create (college_id None) or edit a modern industry college loaded at expected_version;
    audited."""
    require(user, "industry_college.manage")
    current: IndustryCollege | None = None
    if college_id is not None:
        current = session.get(IndustryCollege, college_id)
        if current is None:
            raise NotFound("现代产业学院不存在")
    values = _college_values(session, parse(IndustryCollegeIn, data), current)
    item = current or IndustryCollege()
    _save(session, user, item, values, "现代产业学院", expected_version=expected_version)
    return item


def _base_values(
    session: Session, clean: TrainingBaseIn, current: TrainingBase | None
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    unit = session.get(Organization, clean.organization_id)
    if unit is None or unit.kind not in ("platform", "university", "institute", "enterprise"):
        errors["organization_id"] = "请选择运营单位"
    errors |= _chain_error(session, clean.chain_id)
    errors |= _unique_name(
        session, TrainingBase, clean.name, current.id if current else None, "已有同名实训基地"
    )
    if clean.trainees_this_year > clean.yearly_capacity:
        errors["trainees_this_year"] = (
            f"本年已培训 {clean.trainees_this_year} 人次，超过年培训能力 {clean.yearly_capacity}"
        )
    if errors:
        raise ValidationFailed(errors)
    return clean.model_dump()


def save_training_base(
    session: Session,
    user: User,
    data: dict[str, Any],
    base_id: int | None = None,
    expected_version: int | None = None,
) -> TrainingBase:
    """Create (base_id None) or edit a public training base loaded at expected_version;
    audited."""
    require(user, "training_base.manage")
    current: TrainingBase | None = None
    if base_id is not None:
        current = session.get(TrainingBase, base_id)
        if current is None:
            raise NotFound("实训基地不存在")
    values = _base_values(session, parse(TrainingBaseIn, data), current)
    item = current or TrainingBase()
    _save(session, user, item, values, "公共实训基地", expected_version=expected_version)
    return item


# --- major offerings -------------------------------------------------------------------------


@dataclass
class OfferingFilters:
    """Filters of the offerings list."""

    q: str = ""
    university_id: int | None = None
    chain_id: int | None = None
    new_since: int | None = None  # opened in or after this year


def visible_offerings(user: User | None) -> Select[MajorOffering]:
    """The one query of offerings user may see: all of them (a university's majors are public
    facts; the permission table hides none)."""
    return select(MajorOffering)


def list_offerings(
    session: Session, user: User | None, filters: OfferingFilters, page: int, per_page: int
) -> Page[Any]:
    """Majors universities run, newest first."""
    stmt = visible_offerings(user).join(Major, Major.id == MajorOffering.major_id)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Major.name).like(like), Major.code.like(like)))
    if filters.university_id:
        stmt = stmt.where(MajorOffering.university_id == filters.university_id)
    if filters.chain_id:
        stmt = stmt.where(MajorOffering.chain_id == filters.chain_id)
    if filters.new_since:
        stmt = stmt.where(MajorOffering.first_year >= filters.new_since)
    stmt = stmt.order_by(MajorOffering.first_year.desc(), Major.code, MajorOffering.id)
    return paginate(session, stmt, page, per_page)


def get_offering(session: Session, offering_id: int) -> MajorOffering:
    """One offering, or NotFound."""
    item = session.get(MajorOffering, offering_id)
    if item is None:
        raise NotFound("开设专业记录不存在")
    return item


def _offering_values(
    session: Session, user: User, clean: MajorOfferingIn, current: MajorOffering | None
) -> dict[str, Any]:
    values = clean.model_dump()
    errors: dict[str, str] = {}
    if not can(user, "record.enter_for_any_unit"):
        values["university_id"] = user.organization_id
    school = session.get(Organization, values["university_id"]) if values["university_id"] else None
    if school is None or school.kind not in SCHOOL_KINDS:
        errors["university_id"] = "请选择开设院校"
    major = session.get(Major, clean.major_id)
    if major is None:
        errors["major_id"] = "专业不在专业目录中"
    errors |= _chain_error(session, clean.chain_id)
    if clean.last_year is not None and clean.last_year < clean.first_year:
        errors["last_year"] = f"停招年份不能早于首次招生年份 {clean.first_year}"
    if school is not None and major is not None:
        clash = session.scalar(
            select(MajorOffering.id).where(
                MajorOffering.university_id == school.id,
                MajorOffering.major_id == major.id,
                MajorOffering.id != (current.id if current else -1),
            )
        )
        if clash is not None:
            errors["major_id"] = f"{school.name}已登记开设{major.name}专业"
    if errors:
        raise ValidationFailed(errors)
    return values


def create_offering(session: Session, user: User, data: dict[str, Any]) -> MajorOffering:
    """Record a major a university runs (a university for itself, the office for any); audited."""
    require(user, "major_offering.create")
    values = _offering_values(session, user, parse(MajorOfferingIn, data), None)
    item = MajorOffering(**values)
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes={k: [None, v] for k, v in audit.snapshot(item).items() if v not in (None, "")},
        summary=f"登记开设专业：{item.university.name} {item.major.name}",
    )
    commit(session)
    return item


def update_offering(
    session: Session,
    user: User,
    offering_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> MajorOffering:
    """Edit an offering (a university its own, the office any) loaded at expected_version
    (StaleEdit if it changed since); audited."""
    item = get_offering(session, offering_id)
    require(user, "major_offering.edit", item)
    values = _offering_values(session, user, parse(MajorOfferingIn, data), item)
    check_version(item, expected_version)
    with saving(session):
        before = audit.snapshot(item)
        for key, value in values.items():
            setattr(item, key, value)
        touch(item)
        session.flush()
        session.refresh(item)
        audit.record(
            session,
            actor=user,
            action="update",
            entity=item,
            changes=audit.diff(before, audit.snapshot(item)),
            summary=f"修改开设专业：{item.university.name} {item.major.name}",
        )
        commit(session)
    return item


def offering_dict(item: MajorOffering) -> dict[str, Any]:
    """Offering fields for the API."""
    data: dict[str, Any] = {
        c.key: getattr(item, c.key) for c in MajorOffering.__mapper__.column_attrs
    }
    uni = item.university
    data["university"] = {"id": uni.id, "name": uni.name, "kind": uni.kind}
    data["major_code"] = item.major.code
    data["major_name"] = item.major.name
    data["major_level"] = item.major.level
    return data


def new_majors_count(session: Session, since: int) -> int:
    """Majors opened for a chain in or after since (新增专业)."""
    return int(
        session.scalar(
            select(func.count(MajorOffering.id)).where(
                MajorOffering.first_year >= since, MajorOffering.chain_id.is_not(None)
            )
        )
        or 0
    )


# --- fit report ------------------------------------------------------------------------------


def _major_row(m: fit.MajorBalance) -> dict[str, Any]:
    return {
        "major": m.major,
        "graduates": round(m.graduates, 1),
        "class_students": round(m.class_students, 1),
        "supply": round(m.supply, 1),
        "demand": m.demand,
        "balance": round(m.balance, 1),
    }


def fit_report(session: Session, year: int | None, chain_id: int | None) -> dict[str, Any]:
    """The fit index for year (default this year), city-wide or for one chain, with majors in
    surplus and in gap, universities and the trend over nine years around it."""
    year = year or clock.today().year
    if not 2000 <= year <= 2100:
        raise ValidationFailed({"year": "年份应在 2000 到 2100 之间"})
    if chain_id is not None and session.get(IndustryChain, chain_id) is None:
        raise ValidationFailed({"chain_id": "产业链不存在"})
    data = fit.load(session)
    result = fit.compute(data, year, chain_id)
    return {
        "year": year,
        "chain_id": chain_id,
        "supply": round(result.supply, 1),
        "demand": result.demand,
        "matched": round(result.matched, 1),
        "index": result.index,
        "gap": round(result.gap, 1),
        "surplus": round(result.surplus, 1),
        "trainees": result.trainees,
        "unspecified_demand": result.unspecified_demand,
        "unmatched": [
            {"name": k, "count": v}
            for k, v in sorted(result.unmatched.items(), key=lambda i: -i[1])
        ],
        "formula": FORMULA,
        "majors": [_major_row(m) for m in result.majors],
        "surpluses": [_major_row(m) for m in result.surpluses()],
        "gaps": [_major_row(m) for m in result.gaps()],
        "universities": [
            {
                "university_id": u.university_id,
                "university": u.university,
                "supply": round(u.supply, 1),
                "absorbed": round(u.absorbed, 1),
                "index": u.index,
            }
            for u in fit.universities(data, year, chain_id)
        ],
        "trend": [
            {"year": f.year, "supply": round(f.supply, 1), "demand": f.demand, "index": f.index}
            for f in fit.trend(data, range(year - 4, year + 5), chain_id)
        ],
    }
