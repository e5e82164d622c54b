"""Booking a platform service: dates, quantity and capacity refusals, decisions, completion."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.core import clock
from silian.core.audit import AuditLog
from silian.core.db import session_factory
from silian.core.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from silian.platforms import service
from silian.platforms.models import ServiceBooking
from tests.support import Factory

DAY = clock.today() + timedelta(days=3)


def _ask(service_id: int, quantity: int = 1, days: int = 1) -> dict:
    return {
        "service_id": service_id,
        "start_date": DAY.isoformat(),
        "end_date": (DAY + timedelta(days=days - 1)).isoformat(),
        "quantity": quantity,
    }


@pytest.fixture
def world(db: Session, factory: Factory) -> dict:
    """A platform with one service (2 台次 a day at 1,000 元), its operator and two bookers."""
    op_org = factory.org("platform")
    plat = factory.platform(op_org)
    svc = factory.platform_service(plat)
    return {
        "service": svc,
        "operator": factory.user("platform", op_org),
        "ent": factory.user("enterprise"),
        "ent2": factory.user("enterprise"),
        "other_platform": factory.user("platform"),
    }


def test_request_is_priced_and_audited(db: Session, world: dict) -> None:
    """A request for 2 台次 a day over 3 days is priced 1,000 × 2 × 3 and audited."""
    svc = world["service"]
    booking = service.request_booking(db, world["ent"], _ask(svc.id, 2, 3))
    assert booking.status == "requested"
    assert booking.amount == Decimal("6000.00")
    assert booking.organization_id == world["ent"].organization_id
    assert db.scalar(
        select(func.count()).where(
            AuditLog.entity_type == "service_bookings", AuditLog.entity_id == booking.id
        )
    )


@pytest.mark.parametrize(
    ("quantity", "field"),
    [(0, "quantity"), (-1, "quantity")],
)
def test_zero_or_negative_quantity_is_refused(
    db: Session, world: dict, quantity: int, field: str
) -> None:
    """Zero and negative quantities are refused naming the field; nothing is written."""
    with pytest.raises(ValidationFailed) as err:
        service.request_booking(db, world["ent"], _ask(world["service"].id, quantity))
    assert field in err.value.errors
    db.rollback()
    assert db.scalar(select(func.count()).select_from(ServiceBooking)) == 0


def test_dates_outside_the_service_are_refused(db: Session, factory: Factory, world: dict) -> None:
    """Before the service opens, after it closes, or in the past: refused with the date."""
    svc = factory.platform_service(
        available_from=DAY, available_to=DAY + timedelta(days=5), capacity_per_day=3
    )
    early = _ask(svc.id) | {"start_date": (DAY - timedelta(days=1)).isoformat()}
    with pytest.raises(ValidationFailed) as err:
        service.request_booking(db, world["ent"], early)
    assert (DAY - timedelta(days=1)).isoformat() in err.value.errors["start_date"]
    late = _ask(svc.id, days=7)
    with pytest.raises(ValidationFailed) as err:
        service.request_booking(db, world["ent"], late)
    assert "开放至" in err.value.errors["end_date"]
    past = _ask(svc.id) | {"start_date": "2020-01-01"}
    with pytest.raises(ValidationFailed):
        service.request_booking(db, world["ent"], past)


def test_request_beyond_capacity_names_the_full_day(db: Session, world: dict) -> None:
    """With 2 of 2 台次 approved on the third day, a request spanning it names that day."""
    svc = world["service"]
    first = service.request_booking(db, world["ent"], _ask(svc.id, 2))
    service.approve_booking(db, world["operator"], first.id)
    ask = _ask(svc.id, 1, 3) | {"start_date": (DAY - timedelta(days=2)).isoformat()}
    with pytest.raises(ValidationFailed) as err:
        service.request_booking(db, world["ent2"], ask)
    assert err.value.errors["quantity"].startswith(f"{DAY.isoformat()} 已约满")
    # One unit left on the day: a request for two is refused saying so.
    db.rollback()
    service.cancel_booking(db, world["ent"], first.id)
    half = service.request_booking(db, world["ent"], _ask(svc.id, 1))
    service.approve_booking(db, world["operator"], half.id)
    with pytest.raises(ValidationFailed) as err:
        service.request_booking(db, world["ent2"], _ask(svc.id, 2))
    assert "仅余 1 台次" in err.value.errors["quantity"]


def test_approvals_never_exceed_capacity(db: Session, world: dict) -> None:
    """Two pending requests for the last 2 台次: the first approval holds, the second is refused."""
    svc = world["service"]
    a = service.request_booking(db, world["ent"], _ask(svc.id, 2))
    b = service.request_booking(db, world["ent2"], _ask(svc.id, 2))
    service.approve_booking(db, world["operator"], a.id)
    with pytest.raises(ValidationFailed) as err:
        service.approve_booking(db, world["operator"], b.id)
    assert DAY.isoformat() in err.value.message
    db.rollback()
    assert db.get(ServiceBooking, b.id).status == "requested"  # type: ignore[union-attr]


def test_cancellation_frees_the_capacity(db: Session, world: dict) -> None:
    """After the approved booking is cancelled the day's capacity can be booked again."""
    svc = world["service"]
    a = service.request_booking(db, world["ent"], _ask(svc.id, 2))
    service.approve_booking(db, world["operator"], a.id)
    assert service.daily_load(db, svc.id, DAY, DAY) == {DAY: 2}
    service.cancel_booking(db, world["ent"], a.id)
    assert service.daily_load(db, svc.id, DAY, DAY) == {DAY: 0}
    again = service.request_booking(db, world["ent2"], _ask(svc.id, 2))
    assert service.approve_booking(db, world["operator"], again.id).status == "approved"
    with pytest.raises(InvalidTransition):
        service.cancel_booking(db, world["ent"], a.id)


def test_decline_needs_a_reason_and_only_the_operator_decides(db: Session, world: dict) -> None:
    """Only the platform's own staff decide; a decline without a reason is refused."""
    svc = world["service"]
    a = service.request_booking(db, world["ent"], _ask(svc.id))
    with pytest.raises(PermissionDenied):
        service.approve_booking(db, world["ent"], a.id)  # the requester sees it, may not decide
    db.rollback()
    with pytest.raises(NotFound):
        service.approve_booking(db, world["other_platform"], a.id)  # another platform's staff
    db.rollback()
    with pytest.raises(ValidationFailed):
        service.decline_booking(db, world["operator"], a.id, {"reason": " "})
    db.rollback()
    done = service.decline_booking(db, world["operator"], a.id, {"reason": "设备检修"})
    assert (done.status, done.decision_reason) == ("rejected", "设备检修")
    with pytest.raises(InvalidTransition):
        service.approve_booking(db, world["operator"], a.id)


def test_completion_records_actual_quantity_and_fee(
    db: Session, factory: Factory, world: dict
) -> None:
    """Only approved bookings that have started complete; actual ≤ booked quantity."""
    svc = world["service"]
    started = factory.booking(
        svc, world["ent"].organization, start_in=0, quantity=2, status="approved"
    )
    with pytest.raises(ValidationFailed):
        service.complete_booking(
            db, world["operator"], started.id, {"actual_quantity": 3, "fee": "3000"}
        )
    db.rollback()
    done = service.complete_booking(
        db, world["operator"], started.id, {"actual_quantity": 1, "fee": "1.5万"}
    )
    assert (done.status, done.actual_quantity, done.fee) == ("completed", 1, Decimal("15000"))
    assert done.completed_on == clock.today()
    future = service.request_booking(db, world["ent"], _ask(svc.id))
    with pytest.raises(InvalidTransition):
        service.complete_booking(
            db, world["operator"], future.id, {"actual_quantity": 1, "fee": "1000"}
        )


def test_two_approvals_for_the_last_slot_at_once(db_url: str, db: Session, world: dict) -> None:
    """Two transactions approve two requests for the last slot at the same moment: exactly one
    holds, the other is refused naming the day, and the day never exceeds its capacity. The
    service row lock (SELECT … FOR UPDATE on PostgreSQL) orders the two checks."""
    svc = world["service"]
    ids = [service.request_booking(db, world[who], _ask(svc.id, 2)).id for who in ("ent", "ent2")]
    operator_id = world["operator"].id
    barrier = threading.Barrier(2)
    outcomes: list[str] = ["", ""]

    def approve(i: int) -> None:
        with session_factory(db_url)() as session:
            user = session.get(User, operator_id)
            barrier.wait()
            try:
                service.approve_booking(session, user, ids[i])  # type: ignore[arg-type]
                outcomes[i] = "approved"
            except ValidationFailed as exc:
                outcomes[i] = exc.message

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(o == "approved" for o in outcomes) == [False, True], outcomes
    refused = next(o for o in outcomes if o != "approved")
    assert refused.startswith(f"{DAY.isoformat()} 已约满")
    db.expire_all()
    assert service.daily_load(db, svc.id, DAY, DAY) == {DAY: 2}
