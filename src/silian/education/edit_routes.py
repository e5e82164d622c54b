"""Education chain editing pages and REST: consortia, industry colleges, training bases, the
majors universities run, the majors catalogue's mappings, and the majors–industry fit index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.core import clock
from silian.core.concurrency import etag, stale_context, version_from_form
from silian.core.errors import StaleEdit, ValidationFailed
from silian.core.flash import redirect
from silian.core.permissions import can, require
from silian.core.views import RecordViews, api_routes, page_routes
from silian.core.web import (
    PUT_RESPONSES,
    api_require_user,
    api_user,
    csrf_protect,
    current_user,
    form_dict,
    get_db,
    if_match_version,
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
    ConsortiumPage,
    FitOut,
    IndustryCollegeIn,
    IndustryCollegeOut,
    IndustryCollegePage,
    MajorMappingIn,
    MajorOfferingIn,
    MajorOfferingOut,
    MajorOfferingPage,
    TrainingBaseIn,
    TrainingBaseOut,
    TrainingBasePage,
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


def edu_filters(request: Request) -> service.EduFilters:
    """The filters of the overview tabs and the record lists' API: q, chain, org, year."""
    q = request.query_params
    return service.EduFilters(
        q=q.get("q", "").strip(),
        chain_id=int_or_none(q.get("chain")),
        organization_id=int_or_none(q.get("org")),
        year=int_or_none(q.get("year")),
    )


# --- consortia, colleges and training bases (office) -----------------------------------------


def _record_form(segment: str, noun: str, labels: dict[str, str]) -> Callable[..., Any]:
    """The context of the shared consortium / college / training-base form."""

    def context(db: Session, user: User) -> dict[str, Any]:
        return {
            "spec": {"segment": segment, "noun": noun},
            "labels": labels,
            "chains": _chains(db),
            "schools": _units(db, records.SCHOOL_KINDS),
            "members": _units(db, records.MEMBER_KINDS),
            "operators": _units(db, ("platform", "university", "institute", "enterprise")),
            "major_names": _major_names(db),
            "choices": choices,
        }

    return context


def _office_record(
    segment: str, noun: str, permission: str, labels: dict[str, str], **more: Any
) -> RecordViews:
    """An office-kept education record without review: its pages under /education/<segment>
    (the detail page is the feature's own) and its API under /api/v1/education/<segment>."""
    return RecordViews(
        kind=permission.removesuffix(".manage"),
        noun=noun,
        path=f"/education/{segment}",
        templates="education",
        form_template="education/record_form.html",
        labels=labels,
        can_edit=lambda user, item: can(user, permission, item),
        form_context=_record_form(segment, noun, labels),
        create_permission=permission,
        filters=edu_filters,
        list_page=False,
        detail_page=False,
        created_text=f"{noun}已创建",
        api_prefix=f"/{segment}",
        api_tag="education",
        reviewed=False,
        **more,
    )


def _out_of(convert: Callable[[Session, Any], dict[str, Any]]) -> Callable[[Any, Any], Any]:
    def out(item: Any, user: User | None) -> dict[str, Any]:
        db = object_session(item)
        assert db is not None
        return convert(db, item)

    return out


CONSORTIA = _office_record(
    "consortia",
    "产教联合体",
    "edu_consortium.manage",
    CONSORTIUM_LABELS,
    id_name="consortium_id",
    list_fields=("deputy_ids", "member_ids", "majors"),
    get=lambda db, user, item_id: service.get_consortium(db, item_id),
    list=lambda db, user, filters, page, per_page: service.list_consortia(
        db, filters, page, per_page
    ),
    create=records.create_consortium,
    update=records.update_consortium,
    out=_out_of(records.consortium_detail),
    list_out=lambda item, user: service.consortium_dict(item),
    in_schema=ConsortiumIn,
    out_schema=ConsortiumDetailOut,
    page_schema=ConsortiumPage,
    api_texts={"list": "产教联合体及其成员；筛选 q、chain、org。"},
)
COLLEGES = _office_record(
    "colleges",
    "现代产业学院",
    "industry_college.manage",
    COLLEGE_LABELS,
    id_name="college_id",
    list_fields=("majors",),
    get=lambda db, user, item_id: service.get_college(db, item_id),
    list=lambda db, user, filters, page, per_page: service.list_colleges(
        db, filters, page, per_page
    ),
    create=records.save_college,
    update=lambda db, user, item_id, data, version: records.save_college(
        db, user, data, item_id, version
    ),
    out=lambda item, user: service.college_dict(item),
    in_schema=IndustryCollegeIn,
    out_schema=IndustryCollegeOut,
    page_schema=IndustryCollegePage,
    api_texts={"list": "现代产业学院；筛选 q、chain、org。"},
)
TRAINING_BASES = _office_record(
    "training-bases",
    "公共实训基地",
    "training_base.manage",
    BASE_LABELS,
    id_name="base_id",
    get=lambda db, user, item_id: service.get_training_base(db, item_id),
    list=lambda db, user, filters, page, per_page: service.list_training_bases(
        db, filters, page, per_page
    ),
    create=records.save_training_base,
    update=lambda db, user, item_id, data, version: records.save_training_base(
        db, user, data, item_id, version
    ),
    out=lambda item, user: service.base_dict(item),
    in_schema=TrainingBaseIn,
    out_schema=TrainingBaseOut,
    page_schema=TrainingBasePage,
    api_texts={"list": "公共实训基地；筛选 q、chain、org。"},
)
OFFICE_RECORDS = (CONSORTIA, COLLEGES, TRAINING_BASES)


@api.get("/consortia/{consortium_id}/members", response_model=ConsortiumDetailOut)
def api_consortium_members(
    consortium_id: int, db: Session = Depends(get_db), user: User | None = Depends(api_user)
) -> dict[str, Any]:
    """One consortium with its members' roles, majors, programmes and yearly intake."""
    return records.consortium_detail(db, service.get_consortium(db, consortium_id))


# --- majors universities run -----------------------------------------------------------------


def _offering_filters(request: Request) -> records.OfferingFilters:
    q = request.query_params
    return records.OfferingFilters(
        q=q.get("q", "").strip(),
        university_id=int_or_none(q.get("org")),
        chain_id=int_or_none(q.get("chain")),
        new_since=int_or_none(q.get("since")),
    )


def _offering_form(db: Session, user: User) -> dict[str, Any]:
    return {
        "labels": OFFERING_LABELS,
        "schools": _units(db, records.SCHOOL_KINDS)
        if can(user, "record.enter_for_any_unit")
        else [],
        "majors": list(db.scalars(select(Major).order_by(Major.level.desc(), Major.code))),
        "chains": _chains(db),
        "level_labels": choices.MAJOR_LEVELS,
    }


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


OFFERINGS = RecordViews(
    kind="major_offering",
    noun="开设专业记录",
    path="/education/offerings",
    id_name="offering_id",
    templates="education",
    form_template="education/offering_form.html",
    labels=OFFERING_LABELS,
    filters=_offering_filters,
    list=records.list_offerings,
    get=lambda db, user, item_id: records.get_offering(db, item_id),
    create=records.create_offering,
    update=records.update_offering,
    can_edit=lambda user, item: can(user, "major_offering.edit", item),
    out=lambda item, user: records.offering_dict(item),
    form_context=_offering_form,
    new_values=lambda request: {"duration_years": 4, "first_year": clock.today().year},
    list_page=False,
    detail_page=False,
    # The offerings have no page of their own: a save shows the university's list.
    saved_url=lambda item: f"/education/offerings?org={item.university_id}",
    created_text="已登记：{item.university.name} 开设{item.major.name}专业",
    api_prefix="/offerings",
    api_tag="education",
    in_schema=MajorOfferingIn,
    out_schema=MajorOfferingOut,
    page_schema=MajorOfferingPage,
    api_texts={
        "list": "高校开设的专业；筛选 q、org（院校）、chain、since（该年及以后首次招生）。",
        "create": "高校登记本校开设的专业，政府部门可为任何院校登记。",
    },
    reviewed=False,
)


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
    stale: dict[str, Any] | None = None,
) -> Response:
    ctx = {
        "major": major,
        "item": major,
        "stale": stale,
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


def _mapping_values(data: dict[str, Any]) -> dict[str, Any]:
    """Posted mappings as the form shows them again."""
    return {
        "discipline_ids": [int_or_none(v) for v in data["discipline_ids"]],
        "chain_weights": {int_or_none(k): v for k, v in data["chain_weights"].items()},
    }


MAPPING_LABELS = {"disciplines": "对应学科", "chains": "对应产业链及权重"}


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
    """Save a major's mappings, or show the form again with messages (or, when another office
    saved them since the form was loaded, with what it changed)."""
    form = await form_dict(request, ("discipline_ids",))
    loaded = version_from_form(form.pop("version", None))
    data = _mapping_form_data(form)
    try:
        major = records.update_major_mapping(db, user, major_id, data, loaded)
    except ValidationFailed as exc:
        db.rollback()
        major = records.get_major(db, major_id)
        return _mapping_form(request, db, major, _mapping_values(data), exc.errors, 422)
    except StaleEdit:
        major = records.get_major(db, major_id)
        stale = stale_context(db, major, loaded, MAPPING_LABELS)
        return _mapping_form(request, db, major, _mapping_values(data), {}, 409, stale)
    return redirect(f"/education/majors?q={major.code}", f"已保存{major.name}的对应关系")


def _mapping_out(db: Session, major: Major) -> dict[str, Any]:
    found = records.mappings(db, [major.id])[major.id]
    return {
        "id": major.id,
        "code": major.code,
        "name": major.name,
        "level": major.level,
        "disciplines": [{"id": d.id, "code": d.code, "name": d.name} for d in found["disciplines"]],
        "chains": [{"id": c.id, "name": c.name, "weight": w} for c, w in found["chains"]],
    }


@api.get("/majors/{major_id}/mapping")
def api_major_mapping(
    major_id: int,
    response: Response,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """A major's CSL disciplines and chains with weights; its ETag is what a PUT sends back in
    If-Match."""
    major = records.get_major(db, major_id)
    response.headers["ETag"] = etag(major)
    return _mapping_out(db, major)


@api.put("/majors/{major_id}/mapping", responses=PUT_RESPONSES)
def api_major_mapping_update(
    major_id: int,
    body: MajorMappingIn,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    version: int = Depends(if_match_version),
) -> dict[str, Any]:
    """Replace a major's CSL disciplines and chains with weights (office); If-Match must carry
    the ETag last read."""
    major = records.update_major_mapping(db, user, major_id, body.model_dump(), version)
    response.headers["ETag"] = etag(major)
    return _mapping_out(db, major)


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


for _views in (*OFFICE_RECORDS, OFFERINGS):
    router.include_router(page_routes(_views))
    api.include_router(api_routes(_views))
