"""Policy and subsidy-application pages and REST endpoints: parse, call one service, render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.core import clock, permissions
from silian.core.concurrency import etag, stale_context, version_from_etag, version_from_form
from silian.core.errors import Conflict, InvalidTransition, StaleEdit, ValidationFailed
from silian.core.flash import redirect
from silian.core.idempotency import idempotency_key, idempotent_create
from silian.core.web import (
    PUT_RESPONSES,
    api_require_user,
    api_user,
    csrf_protect,
    current_user,
    form_dict,
    get_db,
    if_match_version,
    render,
    require_user,
)
from silian.organizations.models import Organization
from silian.subsidies import choices, service
from silian.subsidies.models import Policy, SubsidyApplication
from silian.subsidies.schemas import (
    ApplicationIn,
    ApplicationOut,
    PayIn,
    PolicyIn,
    PolicyOut,
    ReviewIn,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
policies_api = APIRouter(prefix="/api/v1/policies", tags=["subsidies"])
applications_api = APIRouter(prefix="/api/v1/subsidy-applications", tags=["subsidies"])

POLICY_LABELS = {
    "title": "政策名称",
    "kind": "类别",
    "issuer": "发布部门",
    "eligibility": "申报条件",
    "eligible_kinds": "面向单位",
    "content": "政策内容",
    "formula": "计算方式",
    "fact_label": "计算基数",
    "rate": "补贴比例（%）",
    "fixed_amount": "定额（元）",
    "per_application_max": "单笔上限",
    "cap_per_org_year": "每单位每年上限",
    "valid_from": "有效期起",
    "valid_to": "有效期止",
    "is_active": "受理中",
}
LIST_FIELDS = ("eligible_kinds",)


def _act(
    db: Session, user: User, action: str, app_id: int, data: dict[str, Any], version: int | None
) -> SubsidyApplication:
    """Run one workflow action on an application (each is its own service function)."""
    if action == "submit":
        return service.submit_application(db, user, app_id, version)
    if action == "approve":
        return service.approve_application(db, user, app_id, data, version)
    if action == "return":
        return service.return_application(db, user, app_id, data, version)
    if action == "reject":
        return service.reject_application(db, user, app_id, data, version)
    if action == "pay":
        return service.pay_application(db, user, app_id, data, version)
    raise InvalidTransition(f"未知的操作：{action}")


def application_out(db: Session, item: SubsidyApplication) -> dict[str, Any]:
    """An application with the policy's cap, what the unit has used of it and the trail."""
    data = {c: getattr(item, c) for c in ApplicationOut.model_fields if hasattr(item, c)}
    data["policy_title"] = item.policy.title
    data["organization_name"] = item.organization.name
    data["cap_per_org_year"] = item.policy.cap_per_org_year
    data["cap_used"] = service.cap_used(db, item.policy_id, item.organization_id, item.year)
    data["trail"] = [
        {"at": r.created_at, "actor": r.actor_name, "action": r.action, "summary": r.summary}
        for r in service.trail(db, item)
    ]
    return data


def policy_out(item: Policy) -> dict[str, Any]:
    """A policy for the API."""
    return {c: getattr(item, c) for c in PolicyOut.model_fields}


# --- pages ---------------------------------------------------------------------------------


@router.get("/subsidies")
def index_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Policies open for applications and, for units and the office, the applications."""
    status = request.query_params.get("status", "")
    applications = service.list_applications(db, user, status or None) if user is not None else []
    return render(
        request,
        "subsidies/index.html",
        {
            "policies": service.list_policies(db, user),
            "applications": applications,
            "status": status,
            "choices": choices,
        },
    )


def _policy_form(
    request: Request,
    item: Policy | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    stale: dict[str, Any] | None = None,
) -> Response:
    ctx = {"item": item, "values": values, "errors": errors, "choices": choices, "stale": stale}
    return render(request, "subsidies/policy_form.html", ctx, status_code)


@router.get("/subsidies/policies/new")
def new_policy_page(request: Request, user: User = Depends(require_user)) -> Response:
    """Blank policy form (the office)."""
    permissions.require(user, "policy.edit")
    return _policy_form(request, None, {"formula": "percentage", "is_active": True}, {})


@router.post("/subsidies/policies/new")
async def create_policy(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Record a policy, or show the form again with messages."""
    data = await form_dict(request, LIST_FIELDS)
    data["is_active"] = bool(data.get("is_active"))
    try:
        item = service.create_policy(db, user, data)
    except ValidationFailed as exc:
        db.rollback()
        return _policy_form(request, None, data, exc.errors, 422)
    return redirect(f"/subsidies/policies/{item.id}", "补贴政策已创建")


@router.get("/subsidies/policies/{policy_id}")
def policy_page(
    policy_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """One policy: terms, formula and cap, and how much of the cap the user's unit has used."""
    item = service.get_policy(db, user, policy_id)
    used = None
    if user is not None and user.organization_id is not None:
        used = service.cap_used(db, item.id, user.organization_id, clock.today().year)
    return render(
        request,
        "subsidies/policy.html",
        {"item": item, "choices": choices, "used": used, "year": clock.today().year},
    )


@router.get("/subsidies/policies/{policy_id}/edit")
def edit_policy_page(
    policy_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Policy form with its values."""
    item = service.get_policy(db, user, policy_id)
    permissions.require(user, "policy.edit", item)
    return _policy_form(request, item, policy_out(item), {})


@router.post("/subsidies/policies/{policy_id}/edit")
async def update_policy(
    policy_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Save a policy's edits, or show the form again with messages."""
    data = await form_dict(request, LIST_FIELDS)
    data["is_active"] = bool(data.get("is_active"))
    loaded = version_from_form(data.pop("version", None))
    try:
        item = service.update_policy(db, user, policy_id, data, loaded)
    except ValidationFailed as exc:
        db.rollback()
        return _policy_form(request, service.get_policy(db, user, policy_id), data, exc.errors, 422)
    except StaleEdit:
        item = service.get_policy(db, user, policy_id)
        stale = stale_context(db, item, loaded, POLICY_LABELS)
        return _policy_form(request, item, data, {}, 409, stale)
    return redirect(f"/subsidies/policies/{item.id}", "补贴政策已保存")


def _application_form(
    request: Request,
    db: Session,
    user: User,
    item: SubsidyApplication | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    units: list[Organization] = []
    if permissions.can(user, "record.enter_for_any_unit"):
        units = list(
            db.scalars(
                select(Organization)
                .where(Organization.kind.in_(choices.ORG_KINDS.values))
                .order_by(Organization.kind, Organization.name)
            )
        )
    ctx = {
        "item": item,
        "values": values,
        "errors": errors,
        "policies": service.list_policies(db, user),
        "units": units,
    }
    return render(request, "subsidies/application_form.html", ctx, status_code)


@router.get("/subsidies/apply")
def apply_page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Application form (?policy=ID preselects the policy)."""
    permissions.require(user, "subsidy.apply")
    values = {"policy_id": request.query_params.get("policy", ""), "year": clock.today().year}
    return _application_form(request, db, user, None, values, {})


@router.post("/subsidies/apply")
async def apply(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Draft the application with its computed amount, or show the form again."""
    data = await form_dict(request)
    try:
        item = service.create_application(db, user, data)
    except ValidationFailed as exc:
        db.rollback()
        return _application_form(request, db, user, None, data, exc.errors, 422)
    return redirect(f"/subsidies/applications/{item.id}", "补贴申请已保存为草稿，核对金额后提交")


def _detail(
    request: Request,
    db: Session,
    user: User,
    item: SubsidyApplication,
    error: str = "",
    status_code: int = 200,
) -> Response:
    editable = item.status in service.EDITABLE
    return render(
        request,
        "subsidies/application.html",
        {
            "item": item,
            "used": service.cap_used(db, item.policy_id, item.organization_id, item.year),
            "trail": service.trail(db, item),
            "can_edit": editable and permissions.can(user, "subsidy.edit", item),
            "can_submit": editable and permissions.can(user, "subsidy.submit", item),
            "can_review": item.status == "submitted"
            and permissions.can(user, "subsidy.review", item),
            "can_pay": item.status == "approved" and permissions.can(user, "subsidy.pay", item),
            "error": error,
            "today": clock.today().isoformat(),
        },
        status_code,
    )


@router.get("/subsidies/applications/{app_id}")
def application_page(
    app_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """One application: facts, computation, the unit's cap for the year, actions and trail."""
    return _detail(request, db, user, service.get_application(db, user, app_id))


@router.get("/subsidies/applications/{app_id}/edit")
def edit_application_page(
    app_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Form to change a draft or returned application."""
    item = service.get_application(db, user, app_id)
    permissions.require(user, "subsidy.edit", item)
    values = {
        "policy_id": item.policy_id,
        "organization_id": item.organization_id,
        "year": item.year,
        "fact_amount": item.fact_amount,
        "persons": item.persons,
        "reason": item.reason,
    }
    return _application_form(request, db, user, item, values, {})


@router.post("/subsidies/applications/{app_id}/edit")
async def update_application(
    app_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Save the application's changes (the amount is computed again)."""
    data = await form_dict(request)
    loaded = version_from_form(data.pop("version", None))
    try:
        item = service.update_application(db, user, app_id, data, loaded)
    except ValidationFailed as exc:
        db.rollback()
        item = service.get_application(db, user, app_id)
        return _application_form(request, db, user, item, data, exc.errors, 422)
    return redirect(f"/subsidies/applications/{item.id}", "补贴申请已保存")


@router.post("/subsidies/applications/{app_id}/{action}")
async def application_action(
    app_id: int,
    action: str,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Submit, approve, return, reject or pay; a refusal (cap, status) is shown on the page."""
    form = await form_dict(request)
    loaded = version_from_form(form.pop("version", None))
    try:
        item = _act(db, user, action, app_id, form, loaded)
    except (Conflict, InvalidTransition, ValidationFailed) as exc:
        db.rollback()
        message = exc.message
        if isinstance(exc, ValidationFailed):
            message = "；".join(exc.errors.values()) or exc.message
        code = exc.status_code
        return _detail(request, db, user, service.get_application(db, user, app_id), message, code)
    return redirect(f"/subsidies/applications/{item.id}", f"补贴申请{item.status_label}")


# --- REST ----------------------------------------------------------------------------------


@policies_api.get("", response_model=list[PolicyOut])
def api_policies(
    db: Session = Depends(get_db), user: User | None = Depends(api_user)
) -> list[dict[str, Any]]:
    """Policies (inactive ones only for the office)."""
    return [policy_out(p) for p in service.list_policies(db, user)]


@policies_api.get("/{policy_id}", response_model=PolicyOut)
def api_policy(
    policy_id: int,
    response: Response,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """One policy; its ETag is what a PUT sends back in If-Match."""
    item = service.get_policy(db, user, policy_id)
    response.headers["ETag"] = etag(item)
    return policy_out(item)


@policies_api.post("", response_model=PolicyOut, status_code=201)
def api_create_policy(
    body: PolicyIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Record a policy (the office; retry safely with an Idempotency-Key)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.create_policy(db, user, body.model_dump(mode="json")),
        lambda item: PolicyOut.model_validate(policy_out(item)),
    )


@policies_api.put("/{policy_id}", response_model=PolicyOut, responses=PUT_RESPONSES)
def api_update_policy(
    policy_id: int,
    body: PolicyIn,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    version: int = Depends(if_match_version),
) -> dict[str, Any]:
    """Replace a policy's terms; If-Match must carry the ETag last read."""
    item = service.update_policy(db, user, policy_id, body.model_dump(mode="json"), version)
    response.headers["ETag"] = etag(item)
    return policy_out(item)


@applications_api.get("", response_model=list[ApplicationOut])
def api_applications(
    status: str | None = None,
    policy: int | None = None,
    year: int | None = None,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> list[dict[str, Any]]:
    """Applications the caller may see (the office: all; a unit: its own)."""
    items = service.list_applications(db, user, status, policy, year)
    return [application_out(db, i) for i in items]


@applications_api.get("/{app_id}", response_model=ApplicationOut)
def api_application(
    app_id: int,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """One application with its computation, the unit's cap usage and the trail."""
    item = service.get_application(db, user, app_id)
    response.headers["ETag"] = etag(item)
    return application_out(db, item)


@applications_api.post("", response_model=ApplicationOut, status_code=201)
def api_apply(
    body: ApplicationIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Draft an application; the amount is computed (retry safely with an Idempotency-Key)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.create_application(db, user, body.model_dump(mode="json")),
        lambda item: ApplicationOut.model_validate(application_out(db, item)),
    )


@applications_api.put("/{app_id}", response_model=ApplicationOut, responses=PUT_RESPONSES)
def api_update_application(
    app_id: int,
    body: ApplicationIn,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    version: int = Depends(if_match_version),
) -> dict[str, Any]:
    """Change a draft or returned application; If-Match must carry the ETag last read."""
    item = service.update_application(db, user, app_id, body.model_dump(mode="json"), version)
    response.headers["ETag"] = etag(item)
    return application_out(db, item)


@applications_api.post("/{app_id}/submit", response_model=ApplicationOut)
def api_submit(
    app_id: int,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The unit submits a draft or returned application to the office."""
    item = service.submit_application(db, user, app_id, version_from_etag(if_match))
    return application_out(db, item)


@applications_api.post("/{app_id}/approve", response_model=ApplicationOut)
def api_approve(
    app_id: int,
    body: ReviewIn | None = None,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The office approves; 409 with the cap, what is used and what is left if it would pass
    the unit's cap for the year."""
    data = body.model_dump() if body else {}
    item = service.approve_application(db, user, app_id, data, version_from_etag(if_match))
    return application_out(db, item)


@applications_api.post("/{app_id}/return", response_model=ApplicationOut)
def api_return(
    app_id: int,
    body: ReviewIn,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The office returns the application for changes (remarks required)."""
    data = body.model_dump()
    item = service.return_application(db, user, app_id, data, version_from_etag(if_match))
    return application_out(db, item)


@applications_api.post("/{app_id}/reject", response_model=ApplicationOut)
def api_reject(
    app_id: int,
    body: ReviewIn,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The office rejects the application (remarks required)."""
    data = body.model_dump()
    item = service.reject_application(db, user, app_id, data, version_from_etag(if_match))
    return application_out(db, item)


@applications_api.post("/{app_id}/pay", response_model=ApplicationOut)
def api_pay(
    app_id: int,
    body: PayIn | None = None,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The office records the payment of an approved application."""
    data = body.model_dump(mode="json") if body else {}
    item = service.pay_application(db, user, app_id, data, version_from_etag(if_match))
    return application_out(db, item)


# One REST router for the app.
api = APIRouter()
for _sub in (policies_api, applications_api):
    api.include_router(_sub)
