"""Platform pages and REST endpoints: platforms, services, the booking calendar and bookings."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.core import clock, permissions
from silian.core.errors import NotFound, ValidationFailed
from silian.core.flash import redirect
from silian.core.idempotency import idempotency_key, idempotent_create
from silian.core.views import RecordViews, api_routes, page_routes
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
from silian.demands.models import Demand
from silian.organizations.models import Organization
from silian.platforms import choices, figures, service
from silian.platforms.models import Platform, PlatformService, ServiceBooking
from silian.platforms.schemas import (
    PLATFORM_LABELS,
    BookingIn,
    BookingOut,
    CompletionIn,
    DayLoadOut,
    DecisionIn,
    MonthFigureOut,
    PlatformIn,
    PlatformOut,
    ServiceIn,
    ServiceOut,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
platforms_api = APIRouter(prefix="/api/v1/platforms", tags=["platforms"])
services_api = APIRouter(prefix="/api/v1/services", tags=["platforms"])
bookings_api = APIRouter(prefix="/api/v1/bookings", tags=["platforms"])
ACTIONS = ("approve", "decline", "complete", "cancel")
CALENDAR_DAYS = 120


# --- shaping -------------------------------------------------------------------------------


def service_out(item: PlatformService) -> dict[str, Any]:
    """A service for the API."""
    return {c.key: getattr(item, c.key) for c in PlatformService.__mapper__.column_attrs}


def platform_out(item: Platform) -> dict[str, Any]:
    """A platform with its services for the API."""
    data = {c.key: getattr(item, c.key) for c in Platform.__mapper__.column_attrs}
    data["organization_name"] = item.organization.name
    # The primary chain first, then the others by id.
    others = sorted(c.id for c in item.chains if c.id != item.chain_id)
    data["chain_ids"] = ([item.chain_id] if item.chain_id else []) + others
    data["services"] = [service_out(s) for s in item.services]
    return data


def booking_out(item: ServiceBooking) -> dict[str, Any]:
    """A booking for the API."""
    data = {c.key: getattr(item, c.key) for c in ServiceBooking.__mapper__.column_attrs}
    data["service_name"] = item.service.name
    data["platform_id"] = item.service.platform_id
    data["organization_name"] = item.organization.name
    return data


# What the booking list says after each action.
BOOKING_DONE = {
    "approve": "预约已批准",
    "decline": "预约已婉拒",
    "complete": "服务已完成，实际用量与费用已记录",
    "cancel": "预约已取消，占用的能力已释放",
}


def _act(db: Session, user: User, booking_id: int, action: str, data: dict[str, Any]) -> Any:
    if action == "approve":
        return service.approve_booking(db, user, booking_id, data)
    if action == "decline":
        return service.decline_booking(db, user, booking_id, data)
    if action == "complete":
        return service.complete_booking(db, user, booking_id, data)
    if action == "cancel":
        return service.cancel_booking(db, user, booking_id, data)
    raise NotFound("没有这个操作")


def _calendar_start(request: Request) -> date:
    raw = request.query_params.get("from", "")
    try:
        start = date.fromisoformat(raw) if raw else clock.today().replace(day=1)
    except ValueError:
        start = clock.today().replace(day=1)
    # The calendar shows CALENDAR_DAYS from start; keep it within representable dates.
    return min(start, date(9999, 1, 1))


# --- pages ---------------------------------------------------------------------------------


@router.get("/platforms")
def platforms_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Every pilot and proof-of-concept platform with its services."""
    kind = request.query_params.get("kind", "")
    kind = kind if kind in choices.PLATFORM_KINDS else ""
    items = service.list_platforms(db, user, kind)
    return render(
        request,
        "platforms/list.html",
        {
            "items": items,
            "kind": kind,
            "choices": choices,
            "can_create": permissions.can(user, "platform.create"),
        },
    )


def _platform_context(
    db: Session, user: User | None, platform: Platform, request: Request
) -> dict[str, Any]:
    start = _calendar_start(request)
    end = start + timedelta(days=CALENDAR_DAYS - 1)
    year = int_or_none(request.query_params.get("year")) or clock.today().year
    year = year if 2000 <= year <= 2100 else clock.today().year
    operates = service.operates(user, platform)
    months = figures.monthly(db, platform, year)
    calendars = [
        {
            "service": s,
            "data": figures.service_calendar(db, s, start, end),
        }
        for s in platform.services
    ]
    return {
        "platform": platform,
        "operates": operates,
        "can_edit": permissions.can(user, "platform.edit", platform),
        "can_book": permissions.can(user, "booking.request"),
        "calendars": calendars,
        "calendar_range": [start.isoformat(), end.isoformat()],
        "months": months,
        "year": year,
        "bookings": service.list_bookings(db, user, platform_id=platform.id) if user else [],
        "choices": choices,
        "values": {},
        "errors": {},
    }


def platform_data(form: dict[str, Any]) -> dict[str, Any]:
    """The platform form as PlatformIn data: the primary chain first, then the others ticked."""
    data = {
        k: form.get(k, "")
        for k in ("name", "kind", "organization_id", "description", "capabilities",
                  "equipment", "support_amount", "status")
    }  # fmt: skip
    data = {k: v for k, v in data.items() if not (k == "support_amount" and not str(v).strip())}
    primary = str(form.get("primary_chain_id") or "").strip()
    others = [c for c in form.get("chain_ids", []) if c and c != primary]
    data["chain_ids"] = ([primary] if primary else []) + others
    return data


def _platform_form_context(db: Session, user: User) -> dict[str, Any]:
    operators = db.scalars(
        select(Organization)
        .where(Organization.kind.in_(service.OPERATOR_KINDS), Organization.is_active.is_(True))
        .order_by(Organization.kind.desc(), Organization.name)
    )
    return {
        "choices": choices,
        "operators": list(operators),
        "chains": list(db.scalars(select(IndustryChain).order_by(IndustryChain.id))),
        "may_move": permissions.sees_everything(user, "platform.edit"),
    }


def _platform_values(item: Platform, user: User | None) -> dict[str, Any]:
    return {
        "name": item.name,
        "kind": item.kind,
        "organization_id": item.organization_id,
        "primary_chain_id": item.chain_id or "",
        "chain_ids": [str(c.id) for c in item.chains if c.id != item.chain_id],
        "description": item.description,
        "capabilities": "、".join(item.capabilities),
        "equipment": "、".join(item.equipment),
        "support_amount": item.support_amount,
        "status": item.status,
    }


# Registration and editing (pages and API) are the shared record views; the list, the detail
# page with its calendars and the bookings are this feature's own.
VIEWS = RecordViews(
    kind="platform",
    noun="平台",
    path="/platforms",
    id_name="platform_id",
    templates="platforms",
    labels=PLATFORM_LABELS,
    get=lambda db, user, platform_id: service.get_platform(db, platform_id),
    create=service.create_platform,
    update=service.update_platform,
    can_edit=lambda user, item: permissions.can(user, "platform.edit", item),
    out=lambda item, user: platform_out(item),
    form_context=_platform_form_context,
    form_values=_platform_values,
    choice_fields={"kind": choices.PLATFORM_KINDS, "status": choices.PLATFORM_STATUS},
    list_fields=("chain_ids",),
    new_values=lambda request: {
        "kind": request.query_params.get("kind", "pilot"),
        "status": "active",
    },
    from_form=platform_data,
    list_page=False,
    detail_page=False,
    created_text="平台“{item.name}”已登记",
    api_prefix="/api/v1/platforms",
    api_tag="platforms",
    in_schema=PlatformIn,
    out_schema=PlatformOut,
    api_texts={
        "create": "政府部门登记平台；chain_ids 为其服务的产业链，第一个为主产业链。",
        "update": "政府部门或运营单位修改平台（只有政府部门可变更运营单位）。",
    },
    reviewed=False,
)
# Before the detail page, whose /platforms/{platform_id} would also match /platforms/new.
router.include_router(page_routes(VIEWS))


@router.get("/platforms/{platform_id}")
def platform_page(
    platform_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """A platform: its services, each service's load calendar, utilisation and income by month,
    and (for its operator) the bookings to decide."""
    platform = service.get_platform(db, platform_id)
    return render(request, "platforms/detail.html", _platform_context(db, user, platform, request))


@router.post("/platforms/{platform_id}/services")
async def create_service(
    platform_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """The operator publishes a service."""
    form = await form_dict(request)
    try:
        service.create_service(db, user, platform_id, form)
    except ValidationFailed as exc:
        db.rollback()
        platform = service.get_platform(db, platform_id)
        context = _platform_context(db, user, platform, request)
        context |= {"values": form, "errors": exc.errors}
        return render(request, "platforms/detail.html", context, 422)
    return redirect(f"/platforms/{platform_id}", "服务已发布")


def _book_context(
    db: Session, platform: Platform, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    demand_id = int_or_none(str(values.get("demand_id") or ""))
    return {
        "platform": platform,
        "services": [s for s in platform.services if s.is_active],
        "demand": db.get(Demand, demand_id) if demand_id else None,
        "values": values,
        "errors": errors,
        "min_date": clock.today().isoformat(),
    }


@router.get("/platforms/{platform_id}/book")
def book_page(
    platform_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """The booking form (?service=ID preselects one; ?demand=ID when coming from a suggestion)."""
    permissions.require(user, "booking.request")
    platform = service.get_platform(db, platform_id)
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    values = {
        "service_id": request.query_params.get("service", ""),
        "demand_id": request.query_params.get("demand", ""),
        "start_date": tomorrow,
        "end_date": tomorrow,
        "quantity": 1,
    }
    return render(request, "platforms/book.html", _book_context(db, platform, values, {}))


@router.post("/platforms/{platform_id}/book")
async def book(
    platform_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Send a booking request."""
    permissions.require(user, "booking.request")
    platform = service.get_platform(db, platform_id)
    form = await form_dict(request)
    data = {k: (v if v != "" else None) for k, v in form.items()}
    data["team_name"] = form.get("team_name", "")
    data["remarks"] = form.get("remarks", "")
    ids = {s.id for s in platform.services}
    try:
        if int_or_none(str(form.get("service_id") or "")) not in ids:
            raise ValidationFailed({"service_id": "请选择本平台的一项服务"})
        booking = service.request_booking(db, user, data)
    except ValidationFailed as exc:
        db.rollback()
        platform = service.get_platform(db, platform_id)
        return render(
            request, "platforms/book.html", _book_context(db, platform, form, exc.errors), 422
        )
    return redirect(f"/bookings#booking-{booking.id}", "预约申请已提交，等待平台审核")


@router.get("/bookings")
def bookings_page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """The bookings the user's unit made, and those of the platforms it operates."""
    status = request.query_params.get("status", "")
    status = status if status in choices.BOOKING_STATUS else ""
    items = service.list_bookings(db, user, status=status)
    return render(
        request,
        "platforms/bookings.html",
        {
            "items": items,
            "status": status,
            "choices": choices,
            "operates": lambda b: service.operates(user, b.service.platform),
            "today": clock.today(),
        },
    )


@router.post("/bookings/{booking_id}/{action}")
async def booking_action(
    booking_id: int,
    action: str,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Approve, decline (with a reason), complete (actual quantity and fee) or cancel."""
    form = await form_dict(request)
    _act(db, user, booking_id, action, form)
    back = form.get("next") or "/bookings"
    back = back if str(back).startswith("/") and not str(back).startswith("//") else "/bookings"
    return redirect(back, BOOKING_DONE.get(action, "已保存"))


# --- REST ----------------------------------------------------------------------------------


@platforms_api.get("", response_model=list[PlatformOut])
def api_platforms(
    kind: str = "", db: Session = Depends(get_db), user: User | None = Depends(api_user)
) -> list[dict[str, Any]]:
    """Every platform (pilot 中试 or PoC 概念验证) with its services."""
    return [platform_out(p) for p in service.list_platforms(db, user, kind)]


@platforms_api.get("/{platform_id}/utilisation", response_model=list[MonthFigureOut])
def api_utilisation(
    platform_id: int,
    year: int = Query(default_factory=lambda: clock.today().year, ge=2000, le=2100),
    db: Session = Depends(get_db),
) -> list[dict[str, Any]]:
    """Twelve months of a year: available and booked unit-days, utilisation (booked ÷
    available) and income (fees of the bookings completed in the month)."""
    platform = service.get_platform(db, platform_id)
    return [asdict(m) for m in figures.monthly(db, platform, year)]


@platforms_api.post("/{platform_id}/services", response_model=ServiceOut, status_code=201)
def api_create_service(
    platform_id: int,
    body: ServiceIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """The operator publishes a service (retry safely with an Idempotency-Key)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.create_service(db, user, platform_id, body.model_dump(mode="json")),
        service_out,
    )


@services_api.get("/{service_id}/calendar", response_model=list[DayLoadOut])
def api_calendar(
    service_id: int,
    start: date | None = None,
    end: date | None = None,
    db: Session = Depends(get_db),
) -> list[dict[str, Any]]:
    """Units held on each day (approved and completed bookings) against the capacity;
    at most 366 days, from the first of this month by default."""
    item = service.get_service(db, service_id)
    start = start or clock.today().replace(day=1)
    if end is None:
        end = start + timedelta(days=min(CALENDAR_DAYS - 1, (date.max - start).days))
    if end < start or (end - start).days >= service.MAX_BOOKING_DAYS:
        raise ValidationFailed({"end": "日期范围须在 1 至 366 天之间"})
    load = service.daily_load(db, item.id, start, end)
    return [
        {"day": d, "booked": n, "capacity": item.capacity_per_day} for d, n in sorted(load.items())
    ]


@bookings_api.get("", response_model=list[BookingOut])
def api_bookings(
    status: str = "",
    platform_id: int | None = None,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> list[dict[str, Any]]:
    """Bookings the caller may see: their unit's, and those of platforms their unit operates."""
    items = service.list_bookings(db, user, platform_id=platform_id, status=status)
    return [booking_out(b) for b in items]


@bookings_api.post("", response_model=BookingOut, status_code=201)
def api_book(
    body: BookingIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Request units of a service per day over a date range (retry safely with an
    Idempotency-Key). Refused (422) for zero or negative quantities, dates outside the
    service's, or a day without enough capacity left (the message names the day)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.request_booking(db, user, body.model_dump(mode="json")),
        booking_out,
    )


@bookings_api.get("/{booking_id}", response_model=BookingOut)
def api_booking(
    booking_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """One booking."""
    return booking_out(service.get_booking(db, user, booking_id))


@bookings_api.post("/{booking_id}/approve", response_model=BookingOut)
def api_approve(
    booking_id: int,
    body: DecisionIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The platform approves; refused (422, naming the day) when a day would exceed capacity."""
    return booking_out(service.approve_booking(db, user, booking_id, body.model_dump()))


@bookings_api.post("/{booking_id}/decline", response_model=BookingOut)
def api_decline(
    booking_id: int,
    body: DecisionIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The platform declines with a reason."""
    return booking_out(service.decline_booking(db, user, booking_id, body.model_dump()))


@bookings_api.post("/{booking_id}/complete", response_model=BookingOut)
def api_complete(
    booking_id: int,
    body: CompletionIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The platform records the actual quantity per day and the fee."""
    data = body.model_dump(mode="json")
    return booking_out(service.complete_booking(db, user, booking_id, data))


@bookings_api.post("/{booking_id}/cancel", response_model=BookingOut)
def api_cancel(
    booking_id: int,
    body: DecisionIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The requester or the platform cancels; the capacity is free again."""
    return booking_out(service.cancel_booking(db, user, booking_id, body.model_dump()))


# One REST router for the app.
api = APIRouter()
for _sub in (platforms_api, api_routes(VIEWS), services_api, bookings_api):
    api.include_router(_sub)
