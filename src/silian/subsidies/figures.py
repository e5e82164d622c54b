"""Subsidy figures for a period and chain — what the city figures service reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from silian.core.clock import CITY_TZ
from silian.organizations.models import organization_chains
from silian.subsidies.models import SubsidyApplication


@dataclass(frozen=True)
class SubsidyFigures:
    """Subsidies approved and paid in a period: counts and amounts (元)."""

    approved_count: int
    approved_amount: Decimal
    paid_count: int
    paid_amount: Decimal


def _in_chain(chain_id: int | None) -> list[ColumnElement[bool]]:
    if chain_id is None:
        return []
    members = select(organization_chains.c.organization_id).where(
        organization_chains.c.chain_id == chain_id
    )
    return [SubsidyApplication.organization_id.in_(members)]


def figures(
    session: Session, start: date, end: date, chain_id: int | None = None
) -> SubsidyFigures:
    """Applications approved (decided in [start, end], now approved or paid) and paid (paid_on in
    [start, end]); chain_id limits them to units of that chain."""
    # Days are the city's calendar days (China Standard Time), as every figure's are.
    since = datetime.combine(start, time.min, tzinfo=CITY_TZ).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=CITY_TZ).astimezone(UTC)
    chain = _in_chain(chain_id)
    approved = session.execute(
        select(func.count(), func.coalesce(func.sum(SubsidyApplication.amount), 0)).where(
            SubsidyApplication.status.in_(("approved", "paid")),
            SubsidyApplication.decided_at >= since,
            SubsidyApplication.decided_at < until,
            *chain,
        )
    ).one()
    paid = session.execute(
        select(func.count(), func.coalesce(func.sum(SubsidyApplication.amount), 0)).where(
            SubsidyApplication.status == "paid",
            SubsidyApplication.paid_on >= start,
            SubsidyApplication.paid_on <= end,
            *chain,
        )
    ).one()
    return SubsidyFigures(
        approved_count=int(approved[0]),
        approved_amount=Decimal(str(approved[1])).quantize(Decimal("0.01")),
        paid_count=int(paid[0]),
        paid_amount=Decimal(str(paid[1])).quantize(Decimal("0.01")),
    )
