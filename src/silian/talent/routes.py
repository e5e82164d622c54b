"""Talent chain pages and REST endpoints: experts, talent needs, talent projects, 按薪定才."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import WithJsonSchema
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.core.concurrency import etag, stale_context, version_from_form
from silian.core.errors import NotFound, StaleEdit, ValidationFailed
from silian.core.flash import redirect
from silian.core.idempotency import idempotency_key, idempotent_create
from silian.core.money import MoneyError, parse_money
from silian.core.permissions import can, require
from silian.core.web import (
    PUT_RESPONSES,
    api_require_user,
    api_user,
    csrf_protect,
    current_user,
    form_dict,
    get_db,
    if_match,
    if_match_version,
    int_or_none,
    render,
    require_permission,
    require_user,
)
from silian.organizations.models import Organization
from silian.talent import choices, service
from silian.talent.schemas import (
    GRADE_FIELDS,
    MONEY_CAP,
    NEED_LABELS,
    PROFILE_LABELS,
    GradeOut,
    SalaryRuleRow,
    SalaryRulesIn,
    TalentNeedIn,
    TalentNeedOut,
    TalentNeedPage,
    TalentOut,
    TalentPage,
    TalentProfileIn,
    TalentProjectOut,
    TalentProjectPage,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["talent"])


def _chains(db: Session) -> list[IndustryChain]:
    return list(
        db.scalars(
            select(IndustryChain)
            .where(IndustryChain.is_active.is_(True))
            .order_by(IndustryChain.sort_order)
        )
    )


def _page_number(request: Request) -> int:
    return int_or_none(request.query_params.get("page")) or 1


# --- talents ---------------------------------------------------------------------------------


def _talent_filters(request: Request) -> service.TalentFilters:
    q = request.query_params
    grade = q.get("grade", "")
    return service.TalentFilters(
        q=q.get("q", "").strip(),
        discipline=q.get("discipline", "").strip(),
        grade=grade if grade in choices.TALENT_GRADES else "",
        organization_id=int_or_none(q.get("org")),
    )


@router.get("/talents")
def talents_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Expert and talent library (专家人才库): consenting profiles, filterable."""
    filters = _talent_filters(request)
    page = service.list_talents(db, user, filters, _page_number(request), 20)
    org = db.get(Organization, filters.organization_id) if filters.organization_id else None
    own = service.own_talent(db, user) if user and can(user, "talent.keep_profile") else None
    return render(
        request,
        "talent/list.html",
        {"page": page, "filters": filters, "choices": choices, "org": org, "own": own},
    )


def _profile_form(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    item: Any,
    status: int = 200,
    stale: dict[str, Any] | None = None,
) -> Response:
    ctx = {"values": values, "errors": errors, "labels": PROFILE_LABELS, "item": item}
    return render(request, "talent/profile_form.html", ctx | {"stale": stale}, status)


@router.get("/talents/me/edit")
def my_profile_form(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Form for the signed-in expert's own profile."""
    require(user, "talent.keep_profile")
    item = service.own_talent(db, user)
    values = service.talent_dict(item) if item else {"name": user.name, "consent_public": True}
    return _profile_form(request, values, {}, item)


@router.post("/talents/me/edit")
async def my_profile_save(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Save the expert's own profile, or show the form again with messages."""
    data = await form_dict(request)
    data["consent_public"] = bool(data.get("consent_public"))
    loaded = version_from_form(data.pop("version", None))
    try:
        item = service.update_own_profile(db, user, data, loaded)
    except ValidationFailed as exc:
        db.rollback()
        return _profile_form(request, data, exc.errors, service.own_talent(db, user), 422)
    except StaleEdit:
        current = service.own_talent(db, user)
        stale = stale_context(db, current, loaded, PROFILE_LABELS)
        return _profile_form(request, data, {}, current, 409, stale)
    return redirect(f"/talents/{item.id}", "人才档案已保存")


@router.get("/talents/{talent_id}")
def talent_page(
    talent_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """One expert's profile with matching open talent needs."""
    item = service.get_talent(db, user, talent_id)
    return render(
        request,
        "talent/detail.html",
        {
            "item": item,
            "needs": service.related_needs(db, item),
            "is_self": user is not None and item.user_id == user.id,
        },
    )


@api.get("/talents", response_model=TalentPage, tags=["talent"])
def api_talents(
    request: Request,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=100),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """Talents visible to the caller; filters q, discipline, grade, org."""
    result = service.list_talents(db, user, _talent_filters(request), page, per_page)
    return {
        "items": [service.talent_dict(t) for t in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
    }


@api.get("/talents/me", response_model=TalentOut)
def api_my_profile(
    response: Response, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> Any:
    """The caller's own talent profile; its ETag is what a PUT sends back in If-Match."""
    item = service.own_talent(db, user)
    if item is None:
        raise NotFound("尚未建立专家档案")
    response.headers["ETag"] = etag(item)
    return service.talent_dict(item)


@api.put("/talents/me", response_model=TalentOut, responses=PUT_RESPONSES)
def api_update_my_profile(
    body: TalentProfileIn,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    version: int = Depends(if_match_version),
) -> dict[str, Any]:
    """Create or replace the caller's own profile (expert accounts). Replacing needs If-Match
    with the profile's ETag; creating the first profile needs none."""
    item = service.update_own_profile(db, user, body.model_dump(), version)
    response.headers["ETag"] = etag(item)
    return service.talent_dict(item)


@api.get("/talents/{talent_id}", response_model=TalentOut)
def api_talent(
    talent_id: int,
    response: Response,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """One talent."""
    item = service.get_talent(db, user, talent_id)
    response.headers["ETag"] = etag(item)
    return service.talent_dict(item)


# --- talent needs ----------------------------------------------------------------------------


def _need_filters(request: Request) -> service.NeedFilters:
    q = request.query_params
    shared = q.get("co_shared", "")
    status = q.get("status", "")
    return service.NeedFilters(
        q=q.get("q", "").strip(),
        chain_id=int_or_none(q.get("chain")),
        co_shared={"1": True, "0": False}.get(shared),
        status=status if status in choices.TALENT_NEED_STATUS else "",
        organization_id=int_or_none(q.get("org")),
    )


def _need_form(
    request: Request,
    db: Session,
    user: User,
    item: Any,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    stale: dict[str, Any] | None = None,
) -> Response:
    orgs: list[Organization] = []
    if service.enters_for_any_unit(user):
        orgs = list(
            db.scalars(
                select(Organization)
                .where(Organization.kind.in_(("enterprise", "university", "institute")))
                .order_by(Organization.kind, Organization.name)
            )
        )
    partners = list(
        db.scalars(
            select(Organization)
            .where(Organization.kind.in_(service.HOST_KINDS + service.SCENE_KINDS))
            .where(Organization.is_active.is_(True))
            .order_by(Organization.kind, Organization.name)
        )
    )
    ctx = {
        "item": item,
        "values": values,
        "errors": errors,
        "labels": NEED_LABELS,
        "chains": _chains(db),
        "organizations": orgs,
        "hosts": [o for o in partners if o.kind in service.HOST_KINDS],
        "scenes": [o for o in partners if o.kind in service.SCENE_KINDS],
        "stale": stale,
    }
    return render(request, "talent/need_form.html", ctx, status)


@router.get("/talent-needs")
def needs_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Talent needs (人才需求), including co-shared posts (共引共享)."""
    filters = _need_filters(request)
    page = service.list_needs(db, user, filters, _page_number(request), 20)
    return render(
        request,
        "talent/need_list.html",
        {"page": page, "filters": filters, "choices": choices, "chains": _chains(db)},
    )


@router.get("/talent-needs/new")
def need_new(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Blank form for a new talent need."""
    require(user, "talent_need.create")
    return _need_form(request, db, user, None, {"headcount": 1}, {})


@router.post("/talent-needs/new")
async def need_create(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Post a talent need, or show the form again with messages."""
    data = await form_dict(request)
    data["co_shared"] = bool(data.get("co_shared"))
    try:
        item = service.create_need(db, user, data)
    except ValidationFailed as exc:
        db.rollback()
        return _need_form(request, db, user, None, data, exc.errors, 422)
    return redirect(f"/talent-needs/{item.id}", "人才需求已创建")


@router.get("/talent-needs/{need_id}")
def need_page(
    need_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """One talent need."""
    item = service.get_need(db, user, need_id)
    return render(
        request,
        "talent/need_detail.html",
        {
            "item": item,
            "choices": choices,
            "can_manage": service.can_manage_need(user, item),
            "actions": service.need_actions(user, item),
            "action_labels": {k: v[2] for k, v in service.NEED_ACTIONS.items()},
            "chain": db.get(IndustryChain, item.chain_id) if item.chain_id else None,
        },
    )


@router.get("/talent-needs/{need_id}/edit")
def need_edit(
    need_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Edit form of a talent need."""
    item = service.get_need(db, user, need_id)
    require(user, "talent_need.edit", item)
    return _need_form(request, db, user, item, service.need_dict(item), {})


@router.post("/talent-needs/{need_id}/edit")
async def need_update(
    need_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Save a talent need, or show the form again with messages."""
    data = await form_dict(request)
    data["co_shared"] = bool(data.get("co_shared"))
    loaded = version_from_form(data.pop("version", None))
    try:
        item = service.update_need(db, user, need_id, data, loaded)
    except ValidationFailed as exc:
        db.rollback()
        item = service.get_need(db, user, need_id)
        return _need_form(request, db, user, item, data, exc.errors, 422)
    except StaleEdit:
        item = service.get_need(db, user, need_id)
        stale = stale_context(db, item, loaded, NEED_LABELS)
        return _need_form(request, db, user, item, data, {}, 409, stale)
    return redirect(f"/talent-needs/{item.id}", "人才需求已保存")


NEED_DONE = {
    "fill": "人才需求已标记为已满足",
    "close": "人才需求已关闭",
    "reopen": "人才需求已重新开放",
}


@router.post("/talent-needs/{need_id}/{action}")
def need_action(
    need_id: int, action: str, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Mark filled, close or reopen a talent need."""
    service.change_need_status(db, user, need_id, action)
    return redirect(f"/talent-needs/{need_id}", NEED_DONE.get(action, "操作已完成"))


@api.get("/talent-needs", response_model=TalentNeedPage)
def api_needs(
    request: Request,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=100),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """Talent needs; filters q, chain, co_shared=1|0, status, org."""
    result = service.list_needs(db, user, _need_filters(request), page, per_page)
    return {
        "items": [service.need_dict(n) for n in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
    }


@api.get("/talent-needs/{need_id}", response_model=TalentNeedOut)
def api_need(
    need_id: int,
    response: Response,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """One talent need; its ETag is what a PUT sends back in If-Match."""
    item = service.get_need(db, user, need_id)
    response.headers["ETag"] = etag(item)
    return service.need_dict(item)


@api.post("/talent-needs", response_model=TalentNeedOut, status_code=201)
def api_need_create(
    body: TalentNeedIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Post a talent need for the caller's unit (retry safely with an Idempotency-Key)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.create_need(db, user, body.model_dump()),
        lambda item: TalentNeedOut.model_validate(service.need_dict(item)),
    )


@api.put("/talent-needs/{need_id}", response_model=TalentNeedOut, responses=PUT_RESPONSES)
def api_need_update(
    need_id: int,
    body: TalentNeedIn,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    version: int = Depends(if_match_version),
) -> dict[str, Any]:
    """Replace a talent need's fields; If-Match must carry the ETag last read."""
    item = service.update_need(db, user, need_id, body.model_dump(), version)
    response.headers["ETag"] = etag(item)
    return service.need_dict(item)


@api.post("/talent-needs/{need_id}/{action}", response_model=TalentNeedOut)
def api_need_action(
    need_id: int,
    action: str,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Status action: fill, close or reopen."""
    item = service.change_need_status(db, user, need_id, action)
    return service.need_dict(item)


# --- talent projects -------------------------------------------------------------------------


def _project_filters(request: Request) -> service.ProjectFilters:
    q = request.query_params
    status = q.get("status", "")
    right = q.get("right", "")
    return service.ProjectFilters(
        q=q.get("q", "").strip(),
        chain_id=int_or_none(q.get("chain")),
        status=status if status in choices.TALENT_PROJECT_STATUS else "",
        right=right if right in choices.TALENT_RIGHTS else "",
        year=int_or_none(q.get("year")),
    )


@router.get("/talent-projects")
def projects_page(
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("talent_project.list")),
) -> Response:
    """Industry–talent projects (产才融合项目) with rights and subsidies, for offices."""
    filters = _project_filters(request)
    page = service.list_projects(db, user, filters, _page_number(request), 20)
    return render(
        request,
        "talent/project_list.html",
        {
            "page": page,
            "filters": filters,
            "choices": choices,
            "chains": _chains(db),
            "totals": service.project_totals(db, user),
        },
    )


@router.get("/talent-projects/{project_id}")
def project_page(
    project_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("talent_project.list")),
) -> Response:
    """One industry–talent project."""
    item = service.get_project(db, user, project_id)
    chain = db.get(IndustryChain, item.chain_id) if item.chain_id else None
    return render(
        request, "talent/project_detail.html", {"item": item, "choices": choices, "chain": chain}
    )


@api.get("/talent-projects", response_model=TalentProjectPage)
def api_projects(
    request: Request,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=100),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Talent projects (offices only); filters q, chain, status, right, year."""
    result = service.list_projects(db, user, _project_filters(request), page, per_page)
    return {
        "items": [service.project_dict(p) for p in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
    }


@api.get("/talent-projects/{project_id}", response_model=TalentProjectOut)
def api_project(
    project_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """One talent project (offices only)."""
    return service.project_dict(service.get_project(db, user, project_id))


# --- 按薪定才 rules ---------------------------------------------------------------------------


def _salary(value: str | None) -> Decimal | None:
    try:
        amount = parse_money(value)
    except MoneyError:
        return None
    return amount if amount is not None and amount.is_finite() and amount >= 0 else None


@router.get("/salary-grade-rules")
def rules_page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """按薪定才 thresholds by chain (the standing set, or a year's own set with ?year=), with a
    calculator; offices may edit."""
    q = request.query_params
    year = _rule_year(q.get("year"))
    rows = service.salary_rule_table(db, user, year)
    salary = _salary(q.get("salary"))
    chain_id = int_or_none(q.get("chain"))
    result = None
    if salary is not None:
        grade, source = service.grade_for_salary(db, chain_id, salary)
        result = {"salary": salary, "grade": grade, "source": source}
    return render(
        request,
        "talent/salary_rules.html",
        {
            "rows": rows,
            "choices": choices,
            "chains": _chains(db),
            "result": result,
            "salary_text": q.get("salary", ""),
            "chain_id": chain_id,
            "year": year,
            "years": service.salary_rule_years(db),
        },
    )


def _rule_year(value: str | None) -> int | None:
    """A year's own rule set from the query (None: the standing set; nonsense is ignored)."""
    year = int_or_none(value)
    return year if year is not None and 2000 <= year <= 2100 else None


def _rules_form(
    request: Request,
    db: Session,
    chain_id: int | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    stale: dict[str, Any] | None = None,
    year: int | None = None,
) -> Response:
    chain = db.get(IndustryChain, chain_id) if chain_id else None
    ctx = {
        "stale": stale,
        "form_version": service.rules_etag(db, chain_id, year),
        "loaded": service.rules_for(db, chain_id, year),
        "chain": chain,
        "year": year,
        "values": values,
        "errors": errors,
        "choices": choices,
        "grade_fields": GRADE_FIELDS,
    }
    return render(request, "talent/salary_form.html", ctx, status)


@router.get("/salary-grade-rules/edit")
def rules_edit(
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("salary_rule.edit")),
) -> Response:
    """Office form for one chain's thresholds (no chain: the city-wide default), standing or of
    one year (?year=; a year without its own set yet starts from the standing thresholds)."""
    chain_id = int_or_none(request.query_params.get("chain"))
    year = _rule_year(request.query_params.get("year"))
    current = service.rules_for(db, chain_id, year)
    if year is not None and not any(v is not None for v in current.values()):
        current = service.rules_for(db, chain_id)
    values: dict[str, Any] = {f"grade_{g}": v for g, v in current.items()}
    values["chain_id"] = chain_id
    values["year"] = year
    return _rules_form(request, db, chain_id, values, {}, year=year)


@router.post("/salary-grade-rules/edit")
async def rules_save(
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("salary_rule.edit")),
) -> Response:
    """Save thresholds, or show the form again with messages (also when another office
    changed the same chain's thresholds since the form was loaded)."""
    data = await form_dict(request)
    loaded = data.pop("version", None) or None
    loaded_values = {k: data.pop(k) for k in list(data) if k.startswith("loaded_grade_")}
    chain_id = int_or_none(data.get("chain_id"))
    year = _rule_year(data.get("year"))
    try:
        service.set_salary_rules(db, user, data, loaded)
    except ValidationFailed as exc:
        db.rollback()
        return _rules_form(request, db, chain_id, data, exc.errors, 422, year=year)
    except StaleEdit:
        # The form carried the thresholds it was loaded with: show which another office changed.
        current = service.rules_for(db, chain_id, year)
        changes = [
            {
                "label": choices.TALENT_GRADES.label(grade),
                "old": loaded_values.get(f"loaded_grade_{grade}") or None,
                "new": value,
                "by": "",
                "at": None,
            }
            for grade, value in current.items()
            if _salary(loaded_values.get(f"loaded_grade_{grade}")) != value
        ]
        stale = stale_context(db, None, None) | {"changes": changes}
        return _rules_form(request, db, chain_id, data, {}, 409, stale, year)
    back = f"/salary-grade-rules?year={year}" if year is not None else "/salary-grade-rules"
    return redirect(back, f"已保存{f'{year}年度' if year is not None else '常设'}按薪定才标准")


@api.get("/salary-grade-rules", response_model=list[SalaryRuleRow])
def api_rules(
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> list[dict[str, Any]]:
    """按薪定才 thresholds by chain; the city-wide default has chain_id null. Without year the
    standing set; with year that year's own set (projects of that year are graded by it)."""
    return [
        {
            "chain_id": r.chain.id if r.chain else None,
            "chain_name": r.chain_name,
            "year": year,
            "thresholds": r.thresholds,
            "etag": service.rules_etag(db, r.chain.id if r.chain else None, year),
        }
        for r in service.salary_rule_table(db, user, year)
    ]


@api.put("/salary-grade-rules", response_model=SalaryRuleRow, responses=PUT_RESPONSES)
def api_set_rules(
    body: SalaryRulesIn,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    tag: str = Depends(if_match),
) -> dict[str, Any]:
    """Set one chain's thresholds (offices only); null grades are removed. If-Match carries
    the set's ETag (the etag of its row in GET /salary-grade-rules)."""
    service.set_salary_rules(db, user, body.model_dump(), tag)
    chain = db.get(IndustryChain, body.chain_id) if body.chain_id else None
    tag = service.rules_etag(db, body.chain_id, body.year)
    response.headers["ETag"] = tag
    return {
        "chain_id": body.chain_id,
        "chain_name": chain.name if chain else service.CITY_WIDE,
        "year": body.year,
        "thresholds": service.rules_for(db, body.chain_id, body.year),
        "etag": tag,
    }


# The rule (a decimal between 0 and MONEY_CAP, never NaN) stated as the document states it.
GRADE_SALARY_SCHEMA = WithJsonSchema(
    {"type": "number", "minimum": 0, "maximum": float(MONEY_CAP), "description": "年薪（元）"}
)


@api.get("/salary-grade-rules/grade", response_model=GradeOut)
def api_grade(
    salary: Annotated[Decimal, Query(ge=0, le=MONEY_CAP), GRADE_SALARY_SCHEMA],
    chain_id: int | None = Query(None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The grade an annual salary earns in a chain (falls back to the city-wide rules)."""
    grade, source = service.grade_for_salary(db, chain_id, salary)
    return {
        "chain_id": chain_id,
        "salary": salary,
        "grade": grade,
        "grade_label": choices.TALENT_GRADES.label(grade) if grade else "未达到认定标准",
        "rule_source": source,
    }
