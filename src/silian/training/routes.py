"""Training programme, enrolment and utilisation pages and REST endpoints: parse, call one
service, render."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.core import clock, permissions
from silian.core.concurrency import etag, stale_context, version_from_form
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
    int_or_none,
    render,
    require_user,
)
from silian.training import choices, service
from silian.training.models import Enrolment, TrainingProgramme
from silian.training.schemas import (
    BaseUseOut,
    CompletionIn,
    EnrolIn,
    EnrolmentOut,
    ProgrammeIn,
    ProgrammeOut,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
programmes_api = APIRouter(prefix="/api/v1/training-programmes", tags=["training"])
enrolments_api = APIRouter(prefix="/api/v1/enrolments", tags=["training"])
training_api = APIRouter(prefix="/api/v1/training", tags=["training"])

LABELS = {
    "base_id": "实训基地",
    "name": "项目名称",
    "chain_id": "产业链",
    "skills": "技能方向",
    "hours": "学时",
    "starts_on": "开班日期",
    "ends_on": "结业日期",
    "seats": "名额",
    "description": "项目介绍",
    "status": "状态",
}


def programme_out(item: TrainingProgramme) -> dict[str, Any]:
    """A programme for the API."""
    data = {c: getattr(item, c) for c in ProgrammeOut.model_fields if hasattr(item, c)}
    data["base_name"] = item.base.name
    return data


def enrolment_out(item: Enrolment) -> dict[str, Any]:
    """An enrolment for the API."""
    data = {c: getattr(item, c) for c in EnrolmentOut.model_fields if hasattr(item, c)}
    data["programme_name"] = item.programme.name
    data["person"] = item.user.display_name or item.user.username
    return data


def _year(request: Request) -> int:
    return int_or_none(request.query_params.get("year")) or clock.today().year


# --- pages ---------------------------------------------------------------------------------


@router.get("/training")
def index_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Programmes open for enrolment and past ones, and the user's own enrolments."""
    return render(
        request,
        "training/index.html",
        {
            "programmes": service.list_programmes(
                db, user, int_or_none(request.query_params.get("base"))
            ),
            "mine": service.my_enrolments(db, user) if user is not None else [],
            "can_publish": user is not None
            and permissions.can(user, "training_programme.create")
            and bool(service.manageable_bases(db, user)),
            "today": clock.today(),
        },
    )


@router.get("/training/report")
def report_page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Each base's yearly capacity, seats planned, trainees and utilisation."""
    permissions.require(user, "training.report")
    year = _year(request)
    uses = service.utilisation(db, year)
    capacity = sum(u.capacity for u in uses)
    trainees = sum(u.trainees for u in uses)
    return render(
        request,
        "training/report.html",
        {
            "uses": uses,
            "year": year,
            "capacity": capacity,
            "seats": sum(u.seats for u in uses),
            "trainees": trainees,
            "completions": sum(u.completions for u in uses),
            "certificates": sum(u.certificates for u in uses),
            "utilisation": round(trainees / capacity, 4) if capacity else None,
        },
    )


def _form(
    request: Request,
    db: Session,
    user: User,
    item: TrainingProgramme | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    stale: dict[str, Any] | None = None,
) -> Response:
    ctx = {
        "item": item,
        "values": values,
        "errors": errors,
        "stale": stale,
        "bases": service.manageable_bases(db, user),
        "chains": list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order))),
        "choices": choices,
    }
    return render(request, "training/form.html", ctx, status_code)


@router.get("/training/programmes/new")
def new_page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Blank programme form (a base's unit or the office)."""
    permissions.require(user, "training_programme.create")
    values = {"base_id": request.query_params.get("base", ""), "status": "open"}
    return _form(request, db, user, None, values, {})


@router.post("/training/programmes/new")
async def create(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Publish the programme, or show the form again with messages."""
    data = await form_dict(request)
    try:
        item = service.create_programme(db, user, data)
    except ValidationFailed as exc:
        db.rollback()
        return _form(request, db, user, None, data, exc.errors, 422)
    return redirect(f"/training/programmes/{item.id}", "实训项目已创建")


def _detail(
    request: Request,
    db: Session,
    user: User | None,
    item: TrainingProgramme,
    error: str = "",
    status_code: int = 200,
) -> Response:
    manages = user is not None and permissions.can(user, "training_programme.edit", item)
    return render(
        request,
        "training/programme.html",
        {
            "item": item,
            "mine": service.my_enrolment(db, user, item.id),
            "roster": service.enrolments(db, item) if manages else [],
            "manages": manages,
            "error": error,
            "today": clock.today().isoformat(),
        },
        status_code,
    )


@router.get("/training/programmes/{programme_id}")
def programme_page(
    programme_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """One programme: seats left, enrol or withdraw; for its base, the roster."""
    return _detail(request, db, user, service.get_programme(db, user, programme_id))


@router.get("/training/programmes/{programme_id}/edit")
def edit_page(
    programme_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Programme form with its values."""
    item = service.get_programme(db, user, programme_id)
    permissions.require(user, "training_programme.edit", item)
    return _form(request, db, user, item, programme_out(item), {})


@router.post("/training/programmes/{programme_id}/edit")
async def update(
    programme_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Save the programme's edits, or show the form again with messages."""
    data = await form_dict(request)
    loaded = version_from_form(data.pop("version", None))
    try:
        item = service.update_programme(db, user, programme_id, data, loaded)
    except ValidationFailed as exc:
        db.rollback()
        item = service.get_programme(db, user, programme_id)
        return _form(request, db, user, item, data, exc.errors, 422)
    except StaleEdit:
        item = service.get_programme(db, user, programme_id)
        stale = stale_context(db, item, loaded, LABELS)
        return _form(request, db, user, item, data, {}, 409, stale)
    return redirect(f"/training/programmes/{item.id}", "实训项目已保存")


@router.post("/training/programmes/{programme_id}/enrol")
async def enrol(
    programme_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Enrol the signed-in user; a full programme is shown with the seats and those taken."""
    await form_dict(request)
    try:
        service.enrol(db, user, programme_id)
    except (Conflict, InvalidTransition) as exc:
        db.rollback()
        item = service.get_programme(db, user, programme_id)
        return _detail(request, db, user, item, exc.message, exc.status_code)
    return RedirectResponse(f"/training/programmes/{programme_id}?enrolled=1", status_code=303)


@router.post("/training/enrolments/{enrolment_id}/withdraw")
async def withdraw(
    enrolment_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Withdraw an enrolment (the seat is freed)."""
    await form_dict(request)
    item = service.withdraw(db, user, enrolment_id)
    return redirect(f"/training/programmes/{item.programme_id}", "已退出报名")


@router.post("/training/enrolments/{enrolment_id}/complete")
async def complete(
    enrolment_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Record a trainee's completion and certificate number."""
    form = await form_dict(request)
    try:
        item = service.complete(db, user, enrolment_id, form)
    except (ValidationFailed, InvalidTransition) as exc:
        db.rollback()
        enrolment = service.get_enrolment(db, user, enrolment_id)
        message = exc.message
        if isinstance(exc, ValidationFailed):
            message = "；".join(exc.errors.values()) or exc.message
        return _detail(request, db, user, enrolment.programme, message, exc.status_code)
    return redirect(f"/training/programmes/{item.programme_id}", "结业情况已记录")


# --- REST ----------------------------------------------------------------------------------


@programmes_api.get("", response_model=list[ProgrammeOut])
def api_programmes(
    base: int | None = None,
    chain: int | None = None,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> list[dict[str, Any]]:
    """Programmes (optionally of one base or chain)."""
    return [programme_out(p) for p in service.list_programmes(db, user, base, chain)]


@programmes_api.get("/{programme_id}", response_model=ProgrammeOut)
def api_programme(
    programme_id: int,
    response: Response,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """One programme; its ETag is what a PUT sends back in If-Match."""
    item = service.get_programme(db, user, programme_id)
    response.headers["ETag"] = etag(item)
    return programme_out(item)


@programmes_api.post("", response_model=ProgrammeOut, status_code=201)
def api_create(
    body: ProgrammeIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Publish a programme for a base (retry safely with an Idempotency-Key)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.create_programme(db, user, body.model_dump(mode="json")),
        lambda item: ProgrammeOut.model_validate(programme_out(item)),
    )


@programmes_api.put("/{programme_id}", response_model=ProgrammeOut, responses=PUT_RESPONSES)
def api_update(
    programme_id: int,
    body: ProgrammeIn,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    version: int = Depends(if_match_version),
) -> dict[str, Any]:
    """Replace a programme's terms; If-Match must carry the ETag last read."""
    item = service.update_programme(db, user, programme_id, body.model_dump(mode="json"), version)
    response.headers["ETag"] = etag(item)
    return programme_out(item)


@programmes_api.get("/{programme_id}/enrolments", response_model=list[EnrolmentOut])
def api_roster(
    programme_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> list[dict[str, Any]]:
    """Everyone enrolled (the programme's base and the office)."""
    item = service.get_programme(db, user, programme_id)
    permissions.require(user, "training_programme.edit", item)
    return [enrolment_out(e) for e in service.enrolments(db, item)]


@programmes_api.post("/{programme_id}/enrolments", response_model=EnrolmentOut, status_code=201)
def api_enrol(
    programme_id: int,
    request: Request,
    body: EnrolIn | None = None,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Enrol the caller; 409 with the seats and those taken when full."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body or EnrolIn(),
        lambda: service.enrol(db, user, programme_id),
        lambda item: EnrolmentOut.model_validate(enrolment_out(item)),
    )


@enrolments_api.get("", response_model=list[EnrolmentOut])
def api_my_enrolments(
    db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> list[dict[str, Any]]:
    """The caller's own enrolments."""
    return [enrolment_out(e) for e in service.my_enrolments(db, user)]


@enrolments_api.post("/{enrolment_id}/withdraw", response_model=EnrolmentOut)
def api_withdraw(
    enrolment_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """Withdraw an enrolment (the seat is freed)."""
    return enrolment_out(service.withdraw(db, user, enrolment_id))


@enrolments_api.post("/{enrolment_id}/complete", response_model=EnrolmentOut)
def api_complete(
    enrolment_id: int,
    body: CompletionIn | None = None,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Record a completion and certificate (the programme's base or the office)."""
    data = body.model_dump(mode="json") if body else {}
    return enrolment_out(service.complete(db, user, enrolment_id, data))


@training_api.get("/utilisation", response_model=list[BaseUseOut])
def api_utilisation(
    request: Request, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> list[dict[str, Any]]:
    """Each base's capacity, seats, trainees and utilisation for ?year= (default this year)."""
    permissions.require(user, "training.report")
    return [
        asdict(u) | {"utilisation": u.utilisation} for u in service.utilisation(db, _year(request))
    ]


# One REST router for the app.
api = APIRouter()
for _sub in (programmes_api, enrolments_api, training_api):
    api.include_router(_sub)
