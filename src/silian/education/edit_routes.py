"""Education chain editing pages and REST: consortia, industry colleges, training bases, the
majors universities run, the majors catalogue's mappings, and the majors–industry fit index."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.core import clock
from silian.core.errors import ValidationFailed
from silian.core.flash import redirect
from silian.core.permissions import can, require
from silian.core.web import (
    api_require_user,
    api_user,
    csrf_protect,
    current_user,
    form_dict,
    get_db,
    int_or_none,
    render,
    require_user,
)
from silian.education import choices, records, service
from silian.education.models import Discipline, Major
from silian.education.schemas import (
    BASE_LABELS,
    COLLEGE_LABELS,
    CONSORTIUM_LABELS,
    OFFERING_LABELS,
    ConsortiumDetailOut,
    ConsortiumIn,
    FitOut,
    IndustryCollegeIn,
    IndustryCollegeOut,
    MajorMappingIn,
    MajorOfferingIn,
    MajorOfferingOut,
    MajorOfferingPage,
    TrainingBaseIn,
    TrainingBaseOut,
)
from silian.organizations.models import Organization

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(tags=["education"])


def _chains(db: Session) -> list[IndustryChain]:
    return list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order)))


def _units(db: Session, kinds: tuple[str, ...]) -> list[Organization]:
    return list(
        db.scalars(
            select(Organization)
            .where(Organization.kind.in_(kinds), Organization.is_active.is_(True))
            .order_by(Organization.kind, Organization.name)
        )
    )


def _major_names(db: Session) -> list[str]:
    return sorted(set(db.scalars(select(Major.name))))


# --- consortia, colleges and training bases (office) -----------------------------------------


@dataclass(frozen=True)
class Editable:
    """One office-kept education record type: its path, form and save service."""

    segment: str  # path under /education, e.g. "consortia"
    noun: str
    action: str  # permission
    labels: dict[str, str]
    list_fields: tuple[str, ...]
    save: Callable[[Session, User, dict[str, Any], int | None], Any]
    values: Callable[[Session, Any], dict[str, Any]]


def _save_consortium(db: Session, user: User, data: dict[str, Any], item_id: int | None) -> Any:
    if item_id is None:
        return records.create_consortium(db, user, data)
    return records.update_consortium(db, user, item_id, data)


EDITABLE = {
    "consortia": Editable(
        "consortia",
        "产教联合体",
        "edu_consortium.manage",
        CONSORTIUM_LABELS,
        ("deputy_ids", "member_ids", "majors"),
        _save_consortium,
        lambda db, item: records.consortium_detail(db, item),
    ),
    "colleges": Editable(
        "colleges",
        "现代产业学院",
        "industry_college.manage",
        COLLEGE_LABELS,
        ("majors",),
        records.save_college,
        lambda db, item: service.college_dict(item),
    ),
    "training-bases": Editable(
        "training-bases",
        "公共实训基地",
        "training_base.manage",
        BASE_LABELS,
        (),
        records.save_training_base,
        lambda db, item: service.base_dict(item),
    ),
}
GETTERS: dict[str, Callable[[Session, int], Any]] = {
    "consortia": service.get_consortium,
    "colleges": service.get_college,
    "training-bases": service.get_training_base,
}


def _edit_form(
    request: Request,
    db: Session,
    spec: Editable,
    item: Any,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    action = (
        f"/education/{spec.segment}/{item.id}/edit" if item else f"/education/{spec.segment}/new"
    )
    ctx = {
        "spec": spec,
        "item": item,
        "values": values,
        "errors": errors,
        "labels": spec.labels,
        "form_action": action,
        "chains": _chains(db),
        "schools": _units(db, records.SCHOOL_KINDS),
        "members": _units(db, records.MEMBER_KINDS),
        "operators": _units(db, ("platform", "university", "institute", "enterprise")),
        "major_names": _major_names(db),
        "choices": choices,
    }
    return render(request, "education/record_form.html", ctx, status)


def _add_editable(spec: Editable) -> None:
    base = f"/education/{spec.segment}"

    def new_page(
        request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
    ) -> Response:
        require(user, spec.action)
        return _edit_form(request, db, spec, None, {}, {})

    async def create(
        request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
    ) -> Response:
        data = await form_dict(request, spec.list_fields)
        try:
            item = spec.save(db, user, data, None)
        except ValidationFailed as exc:
            db.rollback()
            return _edit_form(request, db, spec, None, data, exc.errors, 422)
        return redirect(f"{base}/{item.id}", f"{spec.noun}已创建")

    def edit_page(
        item_id: int,
        request: Request,
        db: Session = Depends(get_db),
        user: User = Depends(require_user),
    ) -> Response:
        require(user, spec.action)
        item = GETTERS[spec.segment](db, item_id)
        return _edit_form(request, db, spec, item, spec.values(db, item), {})

    async def update(
        item_id: int,
        request: Request,
        db: Session = Depends(get_db),
        user: User = Depends(require_user),
    ) -> Response:
        data = await form_dict(request, spec.list_fields)
        try:
            item = spec.save(db, user, data, item_id)
        except ValidationFailed as exc:
            db.rollback()
            item = GETTERS[spec.segment](db, item_id)
            return _edit_form(request, db, spec, item, data, exc.errors, 422)
        return redirect(f"{base}/{item.id}", "已保存")

    router.add_api_route(f"{base}/new", new_page, methods=["GET"])
    router.add_api_route(f"{base}/new", create, methods=["POST"])
    router.add_api_route(f"{base}/{{item_id}}/edit", edit_page, methods=["GET"])
    router.add_api_route(f"{base}/{{item_id}}/edit", update, methods=["POST"])


for _spec in EDITABLE.values():
    _add_editable(_spec)


@api.post("/consortia", response_model=ConsortiumDetailOut, status_code=201)
def api_consortium_create(
    body: ConsortiumIn, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """Create a consortium with its lead, deputies and members (office)."""
    item = records.create_consortium(db, user, body.model_dump())
    return records.consortium_detail(db, item)


@api.put("/consortia/{consortium_id}", response_model=ConsortiumDetailOut)
def api_consortium_update(
    consortium_id: int,
    body: ConsortiumIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Replace a consortium's fields, members and roles (office)."""
    item = records.update_consortium(db, user, consortium_id, body.model_dump())
    return records.consortium_detail(db, item)


@api.get("/consortia/{consortium_id}/members", response_model=ConsortiumDetailOut)
def api_consortium_members(
    consortium_id: int, db: Session = Depends(get_db), user: User | None = Depends(api_user)
) -> dict[str, Any]:
    """One consortium with its members' roles, majors, programmes and yearly intake."""
    return records.consortium_detail(db, service.get_consortium(db, consortium_id))


@api.post("/colleges", response_model=IndustryCollegeOut, status_code=201)
def api_college_create(
    body: IndustryCollegeIn, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """Create a modern industry college (office)."""
    return service.college_dict(records.save_college(db, user, body.model_dump()))


@api.put("/colleges/{college_id}", response_model=IndustryCollegeOut)
def api_college_update(
    college_id: int,
    body: IndustryCollegeIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Replace a modern industry college's fields (office)."""
    return service.college_dict(records.save_college(db, user, body.model_dump(), college_id))


@api.post("/training-bases", response_model=TrainingBaseOut, status_code=201)
def api_base_create(
    body: TrainingBaseIn, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """Create a public training base (office)."""
    return service.base_dict(records.save_training_base(db, user, body.model_dump()))


@api.put("/training-bases/{base_id}", response_model=TrainingBaseOut)
def api_base_update(
    base_id: int,
    body: TrainingBaseIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Replace a public training base's fields (office)."""
    return service.base_dict(records.save_training_base(db, user, body.model_dump(), base_id))


# --- majors universities run -----------------------------------------------------------------


def _offering_filters(request: Request) -> records.OfferingFilters:
    q = request.query_params
    return records.OfferingFilters(
        q=q.get("q", "").strip(),
        university_id=int_or_none(q.get("org")),
        chain_id=int_or_none(q.get("chain")),
        new_since=int_or_none(q.get("since")),
    )


def _offering_form(
    request: Request,
    db: Session,
    user: User,
    item: Any,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    ctx = {
        "item": item,
        "values": values,
        "errors": errors,
        "labels": OFFERING_LABELS,
        "schools": _units(db, records.SCHOOL_KINDS)
        if can(user, "record.enter_for_any_unit")
        else [],
        "majors": list(db.scalars(select(Major).order_by(Major.level.desc(), Major.code))),
        "chains": _chains(db),
        "level_labels": choices.MAJOR_LEVELS,
    }
    return render(request, "education/offering_form.html", ctx, status)


@router.get("/education/offerings")
def offerings_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Majors the city's universities run, new majors opened for chains marked."""
    filters = _offering_filters(request)
    page = records.list_offerings(
        db, user, filters, int_or_none(request.query_params.get("page")) or 1, 30
    )
    since = clock.today().year - 4
    return render(
        request,
        "education/offerings.html",
        {
            "page": page,
            "filters": filters,
            "chains": _chains(db),
            "chain_names": {c.id: c.name for c in _chains(db)},
            "schools": _units(db, records.SCHOOL_KINDS),
            "since": since,
            "new_majors": records.new_majors_count(db, since),
            "level_labels": choices.MAJOR_LEVELS,
            "can_create": can(user, "major_offering.create"),
            "year": clock.today().year,
        },
    )


@router.get("/education/offerings/new")
def offering_new(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Blank form: a major a university runs."""
    require(user, "major_offering.create")
    values = {"duration_years": 4, "first_year": clock.today().year}
    return _offering_form(request, db, user, None, values, {})


@router.post("/education/offerings/new")
async def offering_create(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Record a major a university runs, or show the form again with messages."""
    data = await form_dict(request)
    try:
        item = records.create_offering(db, user, data)
    except ValidationFailed as exc:
        db.rollback()
        return _offering_form(request, db, user, None, data, exc.errors, 422)
    return redirect(
        f"/education/offerings?org={item.university_id}",
        f"已登记：{item.university.name} 开设{item.major.name}专业",
    )


@router.get("/education/offerings/{offering_id}/edit")
def offering_edit(
    offering_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Edit form of an offering (the university's own, or any for the office)."""
    item = records.get_offering(db, offering_id)
    require(user, "major_offering.edit", item)
    return _offering_form(request, db, user, item, records.offering_dict(item), {})


@router.post("/education/offerings/{offering_id}/edit")
async def offering_update(
    offering_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Save an offering, or show the form again with messages."""
    data = await form_dict(request)
    try:
        item = records.update_offering(db, user, offering_id, data)
    except ValidationFailed as exc:
        db.rollback()
        item = records.get_offering(db, offering_id)
        return _offering_form(request, db, user, item, data, exc.errors, 422)
    return redirect(f"/education/offerings?org={item.university_id}", "已保存")


@api.get("/offerings", response_model=MajorOfferingPage)
def api_offerings(
    request: Request,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=100),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """Majors universities run; filters q, org (university), chain, since (opened in or after)."""
    result = records.list_offerings(db, user, _offering_filters(request), page, per_page)
    return {
        "items": [records.offering_dict(i) for i in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
    }


@api.get("/offerings/{offering_id}", response_model=MajorOfferingOut)
def api_offering(
    offering_id: int, db: Session = Depends(get_db), user: User | None = Depends(api_user)
) -> dict[str, Any]:
    """One major a university runs."""
    return records.offering_dict(records.get_offering(db, offering_id))


@api.post("/offerings", response_model=MajorOfferingOut, status_code=201)
def api_offering_create(
    body: MajorOfferingIn, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """Record a major a university runs (a university for itself, the office for any)."""
    return records.offering_dict(records.create_offering(db, user, body.model_dump()))


@api.put("/offerings/{offering_id}", response_model=MajorOfferingOut)
def api_offering_update(
    offering_id: int,
    body: MajorOfferingIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Replace an offering's fields (the university's own, or any for the office)."""
    return records.offering_dict(records.update_offering(db, user, offering_id, body.model_dump()))


# --- majors catalogue and mappings -----------------------------------------------------------


@router.get("/education/majors")
def majors_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """The majors catalogue with each major's disciplines and chains."""
    q = request.query_params
    filters = records.MajorFilters(
        q=q.get("q", "").strip(),
        level=q.get("level", "") if q.get("level", "") in choices.MAJOR_LEVELS.values else "",
        chain_id=int_or_none(q.get("chain")),
    )
    page = records.list_majors(db, filters, int_or_none(q.get("page")) or 1, 50)
    return render(
        request,
        "education/majors.html",
        {
            "page": page,
            "filters": filters,
            "maps": records.mappings(db, [m.id for m in page.items]),
            "chains": _chains(db),
            "level_labels": choices.MAJOR_LEVELS,
            "can_edit": can(user, "major_mapping.edit"),
        },
    )


def _mapping_form(
    request: Request,
    db: Session,
    major: Major,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    ctx = {
        "major": major,
        "values": values,
        "errors": errors,
        "disciplines": list(
            db.scalars(
                select(Discipline).where(Discipline.source == "csl").order_by(Discipline.code)
            )
        ),
        "chains": _chains(db),
        "level_labels": choices.MAJOR_LEVELS,
    }
    return render(request, "education/major_form.html", ctx, status)


def _mapping_form_data(form: dict[str, Any]) -> dict[str, Any]:
    # Chain weights arrive as weight_<chain id> fields; a blank or 0 weight means not mapped.
    weights: dict[str, Any] = {}
    for key, value in form.items():
        if key.startswith("weight_") and str(value).strip() not in ("", "0"):
            weights[key.removeprefix("weight_")] = str(value).strip()
    return {"discipline_ids": form.get("discipline_ids", []), "chain_weights": weights}


@router.get("/education/majors/{major_id}/edit")
def major_edit(
    major_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Edit a major's disciplines and chains (office)."""
    require(user, "major_mapping.edit")
    major = records.get_major(db, major_id)
    found = records.mappings(db, [major.id])[major.id]
    values = {
        "discipline_ids": [d.id for d in found["disciplines"]],
        "chain_weights": {c.id: w for c, w in found["chains"]},
    }
    return _mapping_form(request, db, major, values, {})


@router.post("/education/majors/{major_id}/edit")
async def major_update(
    major_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Save a major's mappings, or show the form again with messages."""
    form = await form_dict(request, ("discipline_ids",))
    data = _mapping_form_data(form)
    try:
        major = records.update_major_mapping(db, user, major_id, data)
    except ValidationFailed as exc:
        db.rollback()
        major = records.get_major(db, major_id)
        values = {
            "discipline_ids": [int_or_none(v) for v in data["discipline_ids"]],
            "chain_weights": {int_or_none(k): v for k, v in data["chain_weights"].items()},
        }
        return _mapping_form(request, db, major, values, exc.errors, 422)
    return redirect(f"/education/majors?q={major.code}", f"已保存{major.name}的对应关系")


@api.put("/majors/{major_id}/mapping")
def api_major_mapping(
    major_id: int,
    body: MajorMappingIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Replace a major's CSL disciplines and chains with weights (office)."""
    major = records.update_major_mapping(db, user, major_id, body.model_dump())
    found = records.mappings(db, [major.id])[major.id]
    return {
        "id": major.id,
        "code": major.code,
        "name": major.name,
        "level": major.level,
        "disciplines": [{"id": d.id, "code": d.code, "name": d.name} for d in found["disciplines"]],
        "chains": [{"id": c.id, "name": c.name, "weight": w} for c, w in found["chains"]],
    }


# --- fit index -------------------------------------------------------------------------------


def _fit_params(request: Request) -> tuple[int | None, int | None, dict[str, str]]:
    q = request.query_params
    errors: dict[str, str] = {}
    year = chain_id = None
    if q.get("year", "").strip():
        year = int_or_none(q.get("year", "").strip())
        if year is None:
            errors["year"] = "年份应为整数，如 2026"
    raw_chain = q.get("chain_id", q.get("chain", "")).strip()
    if raw_chain:
        chain_id = int_or_none(raw_chain)
        if chain_id is None:
            errors["chain_id"] = "产业链编号应为整数"
    return year, chain_id, errors


@router.get("/education/fit")
def fit_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """The majors–industry fit index: supply against demand by chain, major and university."""
    year, chain_id, errors = _fit_params(request)
    report: dict[str, Any] | None = None
    if not errors:
        try:
            report = records.fit_report(db, year, chain_id)
        except ValidationFailed as exc:
            errors = exc.errors
    chains = _chains(db)
    by_chain = []
    if report is not None and chain_id is None:
        data = records.fit.load(db)
        for chain in chains:
            result = records.fit.compute(data, report["year"], chain.id)
            by_chain.append((chain, result))
    return render(
        request,
        "education/fit.html",
        {
            "report": report,
            "errors": errors,
            "chains": chains,
            "chain": db.get(IndustryChain, chain_id) if report and chain_id else None,
            "by_chain": by_chain,
            "year": year or clock.today().year,
        },
        422 if errors else 200,
    )


@api.get("/fit", response_model=FitOut)
def api_fit(
    year: int | None = Query(None, ge=2000, le=2100, description="年份，默认今年"),
    chain_id: int | None = Query(None, ge=1, description="产业链编号，不填为全市"),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """Majors–industry fit index (专业-产业匹配度) for a year, city-wide or for one chain."""
    return records.fit_report(db, year, chain_id)
