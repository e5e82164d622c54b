"""Platform services: publishing services, booking them within capacity, deciding, completing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select, true, update
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.core import audit, clock, permissions
from silian.core.concurrency import check_version, saving, touch
from silian.core.db import utcnow
from silian.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from silian.core.transactions import commit
from silian.core.validation import parse
from silian.demands.models import Demand
from silian.organizations.models import Organization
from silian.platforms.choices import HOLDING_STATUSES, OPEN_STATUSES
from silian.platforms.models import Platform, PlatformService, ServiceBooking
from silian.platforms.schemas import BookingIn, CompletionIn, DecisionIn, PlatformIn, ServiceIn

# A booking may not reach further ahead than this: keeps the day-by-day capacity check bounded.
MAX_BOOKING_DAYS = 366
# The largest amount a booking row stores (Numeric(14, 2)).
MAX_AMOUNT = Decimal("999999999999.99")


def today() -> date:
    """Today's date (one place, so tests and the demo agree)."""
    return clock.today()


# --- reading ---------------------------------------------------------------------------------


def visible_query(user: User | None) -> Select[Platform]:
    """Platforms user may see: every platform is a public listing, whatever its status."""
    return select(Platform)


def visible_bookings(user: User | None) -> Select[ServiceBooking]:
    """Bookings user may see: the office all; a unit its own and its platforms' bookings."""
    if permissions.sees_everything(user, "booking.view"):
        return select(ServiceBooking).where(true())
    if user is None or user.organization_id is None:
        return select(ServiceBooking).where(
            ServiceBooking.requested_by_id == (user.id if user else -1)
        )
    operated = (
        select(PlatformService.id)
        .join(Platform)
        .where(Platform.organization_id == user.organization_id)
    )
    return select(ServiceBooking).where(
        or_(
            ServiceBooking.organization_id == user.organization_id,
            ServiceBooking.requested_by_id == user.id,
            ServiceBooking.service_id.in_(operated),
        )
    )


def list_platforms(session: Session, user: User | None, kind: str = "") -> list[Platform]:
    """Platforms by name, optionally of one kind."""
    stmt = visible_query(user).order_by(Platform.name)
    if kind:
        stmt = stmt.where(Platform.kind == kind)
    return list(session.scalars(stmt).unique())


def get_platform(session: Session, platform_id: int) -> Platform:
    """A platform or NotFound."""
    platform = session.get(Platform, platform_id)
    if platform is None:
        raise NotFound("平台不存在")
    return platform


def get_service(session: Session, service_id: int) -> PlatformService:
    """A service or NotFound."""
    service = session.get(PlatformService, service_id)
    if service is None:
        raise NotFound("服务不存在")
    return service


def get_booking(session: Session, user: User | None, booking_id: int) -> ServiceBooking:
    """A booking user may see, or NotFound (also when they may not see it)."""
    booking = session.scalar(visible_bookings(user).where(ServiceBooking.id == booking_id))
    if booking is None:
        raise NotFound("预约不存在")
    return booking


def list_bookings(
    session: Session,
    user: User | None,
    *,
    platform_id: int | None = None,
    service_id: int | None = None,
    status: str = "",
) -> list[ServiceBooking]:
    """Bookings user may see, newest dates first; filters by platform, service, status."""
    stmt = visible_bookings(user)
    if service_id is not None:
        stmt = stmt.where(ServiceBooking.service_id == service_id)
    if platform_id is not None:
        stmt = stmt.where(
            ServiceBooking.service_id.in_(
                select(PlatformService.id).where(PlatformService.platform_id == platform_id)
            )
        )
    if status:
        stmt = stmt.where(ServiceBooking.status == status)
    stmt = stmt.order_by(ServiceBooking.start_date.desc(), ServiceBooking.id.desc())
    return list(session.scalars(stmt).unique())


def bookings_to_decide(session: Session, user: User | None) -> list[ServiceBooking]:
    """Requested bookings of the platforms user's unit operates, earliest first: what waits
    for the unit's decision (approve or decline) on its workspace."""
    if user is None or user.organization_id is None:
        return []
    stmt = (
        select(ServiceBooking)
        .join(PlatformService, PlatformService.id == ServiceBooking.service_id)
        .join(Platform, Platform.id == PlatformService.platform_id)
        .where(
            Platform.organization_id == user.organization_id,
            ServiceBooking.status == "requested",
        )
        .order_by(ServiceBooking.start_date, ServiceBooking.id)
    )
    return [b for b in session.scalars(stmt).unique() if operates(user, b.service.platform)]


def operates(user: User | None, platform: Platform) -> bool:
    """Whether user decides on this platform's bookings (its operator's staff, or the office)."""
    return permissions.can(user, "booking.decide", platform)


# --- capacity --------------------------------------------------------------------------------


def days_between(start: date, end: date) -> list[date]:
    """Every day from start to end, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def overlap_days(start: date, end: date, lo: date | None, hi: date | None) -> int:
    """Days of [start, end] that fall inside [lo, hi] (None: open on that side)."""
    first = max(start, lo) if lo else start
    last = min(end, hi) if hi else end
    return max(0, (last - first).days + 1)


def held_units(booking: ServiceBooking) -> int:
    """Units per day a booking holds: the actual quantity once completed, else the quantity."""
    if booking.status == "completed" and booking.actual_quantity is not None:
        return booking.actual_quantity
    return booking.quantity


def daily_load(
    session: Session,
    service_id: int,
    start: date,
    end: date,
    exclude_id: int | None = None,
) -> dict[date, int]:
    """Units held on each day of [start, end] by the service's approved and completed bookings."""
    stmt = select(ServiceBooking).where(
        ServiceBooking.service_id == service_id,
        ServiceBooking.status.in_(HOLDING_STATUSES),
        ServiceBooking.start_date <= end,
        ServiceBooking.end_date >= start,
    )
    if exclude_id is not None:
        stmt = stmt.where(ServiceBooking.id != exclude_id)
    return load_by_day(session.scalars(stmt), start, end)


def load_by_day(bookings: Iterable[ServiceBooking], start: date, end: date) -> dict[date, int]:
    """Sum of units held per day of [start, end] by the given (holding) bookings."""
    load = dict.fromkeys(days_between(start, end), 0)
    for booking in bookings:
        units = held_units(booking)
        for day in days_between(max(start, booking.start_date), min(end, booking.end_date)):
            load[day] += units
    return load


def first_full_day(load: dict[date, int], capacity: int, quantity: int) -> tuple[date, int] | None:
    """The first day on which quantity more units would exceed capacity, with what is left then."""
    for day in sorted(load):
        if load[day] + quantity > capacity:
            return day, max(0, capacity - load[day])
    return None


def _capacity_error(
    service: PlatformService, day: date, left: int, quantity: int
) -> ValidationFailed:
    unit = service.unit
    if left == 0:
        text = (
            f"{day.isoformat()} 已约满：该服务每天可提供 {service.capacity_per_day} {unit}，"
            "已全部确认预约"
        )
    else:
        text = (
            f"{day.isoformat()} 容量不足：该服务每天可提供 {service.capacity_per_day} {unit}，"
            f"当天仅余 {left} {unit}，申请 {quantity} {unit}"
        )
    return ValidationFailed({"quantity": text}, text)


def check_dates(service: PlatformService, start: date, end: date, quantity: int) -> None:
    """Refuse a quantity below one, reversed dates, dates outside the service's, too long a span."""
    errors: dict[str, str] = {}
    if quantity <= 0:
        errors["quantity"] = "数量须为正整数（每天的预约量至少为 1）"
    if end < start:
        errors["end_date"] = "结束日期不能早于开始日期"
    elif (end - start).days + 1 > MAX_BOOKING_DAYS:
        errors["end_date"] = f"一次预约最长 {MAX_BOOKING_DAYS} 天"
    if service.available_from and start < service.available_from:
        errors["start_date"] = (
            f"该服务自 {service.available_from.isoformat()} 起开放，"
            f"{start.isoformat()} 不在开放日期内"
        )
    if service.available_to and end > service.available_to:
        errors["end_date"] = (
            f"该服务开放至 {service.available_to.isoformat()}，{end.isoformat()} 不在开放日期内"
        )
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))


# --- state changes ---------------------------------------------------------------------------

# Units that may operate a platform.
OPERATOR_KINDS = ("platform", "enterprise", "university", "institute")


def _check_platform(session: Session, clean: PlatformIn, own_id: int | None) -> None:
    errors: dict[str, str] = {}
    taken = select(Platform.id).where(Platform.name == clean.name)
    if own_id is not None:
        taken = taken.where(Platform.id != own_id)
    if session.scalar(taken) is not None:
        errors["name"] = f"已有名为“{clean.name}”的平台"
    org = session.get(Organization, clean.organization_id)
    if org is None:
        errors["organization_id"] = "运营单位不存在"
    elif org.kind not in OPERATOR_KINDS:
        errors["organization_id"] = f"“{org.name}”是{org.kind_label}，不能作为平台运营单位"
    if len(set(clean.chain_ids)) != len(clean.chain_ids):
        errors["chain_ids"] = "服务的产业链重复"
    else:
        for chain_id in clean.chain_ids:
            if session.get(IndustryChain, chain_id) is None:
                errors["chain_ids"] = f"产业链 {chain_id} 不存在"
                break
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))


def _platform_snapshot(platform: Platform) -> dict[str, Any]:
    return audit.snapshot(platform) | {"chain_ids": [c.id for c in platform.chains]}


def _apply_platform(session: Session, platform: Platform, clean: PlatformIn) -> None:
    for key, value in clean.model_dump(exclude={"chain_ids"}).items():
        setattr(platform, key, value)
    # The first chain listed is the primary one (kept in chain_id for per-chain figures).
    platform.chain_id = clean.chain_ids[0] if clean.chain_ids else None
    platform.chains = [session.get_one(IndustryChain, cid) for cid in clean.chain_ids]


def create_platform(session: Session, user: User, data: dict[str, Any]) -> Platform:
    """The office registers a pilot or proof-of-concept platform and the chains it serves."""
    permissions.require(user, "platform.create")
    clean = parse(PlatformIn, data)
    _check_platform(session, clean, None)
    platform = Platform(name=clean.name, kind=clean.kind, organization_id=clean.organization_id)
    _apply_platform(session, platform, clean)
    session.add(platform)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="create",
        entity=platform,
        changes=_platform_snapshot(platform),
        summary=f"登记平台：{platform.name}",
    )
    commit(session)
    return platform


def update_platform(
    session: Session,
    user: User,
    platform_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Platform:
    """The office or the operating unit edits a platform loaded at expected_version (StaleEdit
    if it changed since); only the office moves it to another operating unit."""
    platform = get_platform(session, platform_id)
    permissions.require(user, "platform.edit", platform)
    clean = parse(PlatformIn, data)
    if clean.organization_id != platform.organization_id and not permissions.sees_everything(
        user, "platform.edit"
    ):
        raise ValidationFailed({"organization_id": "运营单位只能由政府部门变更"})
    _check_platform(session, clean, platform.id)
    check_version(platform, expected_version)
    with saving(session):
        before = _platform_snapshot(platform)
        _apply_platform(session, platform, clean)
        touch(platform)
        session.flush()
        audit.record(
            session,
            actor=user,
            action="update",
            entity=platform,
            changes=audit.diff(before, _platform_snapshot(platform)),
            summary=f"修改平台信息：{platform.name}",
        )
        commit(session)
    return platform


def create_service(
    session: Session, user: User, platform_id: int, data: dict[str, Any]
) -> PlatformService:
    """The platform publishes a bookable service."""
    platform = get_platform(session, platform_id)
    permissions.require(user, "platform_service.create", platform)
    clean = parse(ServiceIn, data)
    if clean.available_from and clean.available_to and clean.available_to < clean.available_from:
        raise ValidationFailed({"available_to": "开放截止日期不能早于开放起始日期"})
    if session.scalar(
        select(PlatformService.id).where(
            PlatformService.platform_id == platform.id, PlatformService.name == clean.name
        )
    ):
        raise ValidationFailed({"name": f"本平台已有名为“{clean.name}”的服务"})
    service = PlatformService(platform_id=platform.id, **clean.model_dump())
    session.add(service)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="create",
        entity=service,
        changes=audit.snapshot(service),
        summary=f"发布平台服务：{platform.name} · {service.name}",
    )
    commit(session)
    return service


def request_booking(session: Session, user: User, data: dict[str, Any]) -> ServiceBooking:
    """An enterprise or team asks for units of a service on a range of dates."""
    permissions.require(user, "booking.request")
    clean = parse(BookingIn, data)
    service = session.get(PlatformService, clean.service_id)
    if service is None:
        raise ValidationFailed({"service_id": "服务不存在"})
    if not service.is_active or service.platform.status != "active":
        raise ValidationFailed({"service_id": f"“{service.name}”当前不接受预约"})
    if clean.start_date < today():
        raise ValidationFailed({"start_date": "开始日期不能早于今天"})
    check_dates(service, clean.start_date, clean.end_date, clean.quantity)
    org_id = user.organization_id
    if org_id is None:
        raise PermissionDenied("您的账号未关联单位，不能预约平台服务")
    if clean.demand_id is not None and session.get(Demand, clean.demand_id) is None:
        raise ValidationFailed({"demand_id": "关联的需求不存在"})
    full = first_full_day(
        daily_load(session, service.id, clean.start_date, clean.end_date),
        service.capacity_per_day,
        clean.quantity,
    )
    if full is not None:
        raise _capacity_error(service, full[0], full[1], clean.quantity)
    days = (clean.end_date - clean.start_date).days + 1
    amount = (service.unit_price * clean.quantity * days).quantize(Decimal("0.01"))
    if amount > MAX_AMOUNT:
        raise ValidationFailed({"quantity": "预计费用超出系统上限，请分次预约"})
    booking = ServiceBooking(
        service_id=service.id,
        organization_id=org_id,
        requested_by_id=user.id,
        start_date=clean.start_date,
        end_date=clean.end_date,
        quantity=clean.quantity,
        amount=amount,
        status="requested",
        remarks=clean.remarks,
        team_name=clean.team_name,
        demand_id=clean.demand_id,
    )
    session.add(booking)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="create",
        entity=booking,
        changes=audit.snapshot(booking),
        summary=(
            f"预约{service.name}：{clean.start_date}～{clean.end_date}，"
            f"每天 {clean.quantity} {service.unit}"
        ),
    )
    commit(session)
    return booking


def _locked(
    session: Session, user: User, booking_id: int
) -> tuple[ServiceBooking, PlatformService]:
    """The booking and its service, the service row locked for the rest of the transaction.

    Every decision that changes what a service holds takes the service's row lock first
    (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers anyway), so two approvals
    for the last slot are checked one after the other and the second sees the first.
    """
    booking = get_booking(session, user, booking_id)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a first write takes the database's write lock, so a racing
        # decision waits for this transaction and then reads what it committed.
        session.execute(
            update(PlatformService)
            .where(PlatformService.id == booking.service_id)
            .values(capacity_per_day=PlatformService.capacity_per_day)
            .execution_options(synchronize_session=False)
        )
    service = session.scalars(
        select(PlatformService)
        .where(PlatformService.id == booking.service_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    booking = session.scalars(
        select(ServiceBooking)
        .where(ServiceBooking.id == booking_id)
        .execution_options(populate_existing=True)
    ).one()
    return booking, service


def _decide(
    session: Session, user: User, booking_id: int, data: dict[str, Any], approve: bool
) -> ServiceBooking:
    booking, service = _locked(session, user, booking_id)
    permissions.require(user, "booking.decide", service.platform)
    clean = parse(DecisionIn, data)
    if booking.status != "requested":
        raise InvalidTransition(f"此预约当前为“{booking.status_label}”，不能再确认或拒绝")
    if approve:
        check_dates(service, booking.start_date, booking.end_date, booking.quantity)
        full = first_full_day(
            daily_load(session, service.id, booking.start_date, booking.end_date, booking.id),
            service.capacity_per_day,
            booking.quantity,
        )
        if full is not None:
            raise _capacity_error(service, full[0], full[1], booking.quantity)
    elif not clean.reason.strip():
        raise ValidationFailed({"reason": "拒绝预约须说明理由"})
    before = booking.status
    booking.status = "approved" if approve else "rejected"
    booking.decision_reason = clean.reason.strip()
    booking.decided_by_id = user.id
    booking.decided_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=user,
        action="approve" if approve else "reject",
        entity=booking,
        changes={
            "status": [before, booking.status],
            "decision_reason": ["", booking.decision_reason],
        },
        summary=f"{'确认' if approve else '拒绝'}预约：{service.name}",
    )
    commit(session)
    return booking


def approve_booking(
    session: Session, user: User, booking_id: int, data: dict[str, Any] | None = None
) -> ServiceBooking:
    """The platform confirms a request, never beyond the service's capacity on any day."""
    return _decide(session, user, booking_id, data or {}, approve=True)


def decline_booking(
    session: Session, user: User, booking_id: int, data: dict[str, Any]
) -> ServiceBooking:
    """The platform declines a request with a reason."""
    return _decide(session, user, booking_id, data, approve=False)


def complete_booking(
    session: Session, user: User, booking_id: int, data: dict[str, Any]
) -> ServiceBooking:
    """The platform records what was delivered: actual units per day and the fee."""
    booking, service = _locked(session, user, booking_id)
    permissions.require(user, "booking.complete", service.platform)
    clean = parse(CompletionIn, data)
    if booking.status != "approved":
        raise InvalidTransition(f"只有已确认的预约可以登记完成（当前：{booking.status_label}）")
    if today() < booking.start_date:
        raise InvalidTransition(
            f"预约自 {booking.start_date.isoformat()} 开始，尚未开始不能登记完成"
        )
    if clean.actual_quantity > booking.quantity:
        raise ValidationFailed(
            {"actual_quantity": f"实际用量不能超过确认的每天 {booking.quantity} {service.unit}"}
        )
    before = audit.snapshot(booking)
    booking.status = "completed"
    booking.actual_quantity = clean.actual_quantity
    booking.fee = clean.fee
    booking.completed_on = today()
    session.flush()
    audit.record(
        session,
        actor=user,
        action="complete",
        entity=booking,
        changes=audit.diff(before, audit.snapshot(booking)),
        summary=f"预约完成：{service.name}，费用 {clean.fee} 元",
    )
    commit(session)
    return booking


def cancel_booking(
    session: Session, user: User, booking_id: int, data: dict[str, Any] | None = None
) -> ServiceBooking:
    """The requester (or the platform, or the office) cancels; the capacity is free again."""
    booking, service = _locked(session, user, booking_id)
    if not (permissions.can(user, "booking.cancel", booking) or operates(user, service.platform)):
        raise permissions.denied("booking.cancel")
    clean = parse(DecisionIn, data or {})
    if booking.status not in OPEN_STATUSES:
        raise InvalidTransition(f"此预约当前为“{booking.status_label}”，不能取消")
    before = booking.status
    booking.status = "cancelled"
    if clean.reason.strip():
        booking.decision_reason = clean.reason.strip()
    session.flush()
    audit.record(
        session,
        actor=user,
        action="cancel",
        entity=booking,
        changes={"status": [before, "cancelled"]},
        summary=f"取消预约：{service.name}",
    )
    commit(session)
    return booking


def operated_platforms(session: Session, user: User | None) -> list[Platform]:
    """The platforms user's unit operates (for the workspace's services and bookings section)."""
    if user is None or user.organization_id is None:
        return []
    return list(
        session.scalars(
            select(Platform)
            .where(Platform.organization_id == user.organization_id)
            .order_by(Platform.name)
        ).unique()
    )
