"""Hiring figures for the city figures service: needs collected, co-shared hires, hires by chain.

Each function takes (session, start, end, chain_id): start and end are the first and last day
of the period in city time (China Standard Time), both included; chain_id limits the count to
one chain (None: the whole city, records on no chain included).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.core.clock import CITY_TZ
from silian.hiring.models import Hire
from silian.talent.models import TalentNeed


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """UTC instants of the period's first moment and of the moment after its last day."""
    first = datetime.combine(start, time.min, CITY_TZ).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), time.min, CITY_TZ).astimezone(UTC)
    return first, after


def needs_collected(session: Session, start: date, end: date, chain_id: int | None) -> int:
    """Talent needs posted in the period (人才需求征集数)."""
    first, after = _bounds(start, end)
    stmt = select(func.count(TalentNeed.id)).where(
        TalentNeed.created_at >= first, TalentNeed.created_at < after
    )
    if chain_id is not None:
        stmt = stmt.where(TalentNeed.chain_id == chain_id)
    return int(session.scalar(stmt) or 0)


def co_shared_hires(session: Session, start: date, end: date, chain_id: int | None) -> int:
    """Hires on 共引共享 posts made in the period (by hire date)."""
    stmt = select(func.count(Hire.id)).where(
        Hire.co_shared.is_(True), Hire.hired_on >= start, Hire.hired_on <= end
    )
    if chain_id is not None:
        stmt = stmt.where(Hire.chain_id == chain_id)
    return int(session.scalar(stmt) or 0)


def hires_by_chain(
    session: Session, start: date, end: date, chain_id: int | None
) -> dict[int | None, int]:
    """Hires made in the period per chain (None: hires on needs of no chain)."""
    stmt = (
        select(Hire.chain_id, func.count(Hire.id))
        .where(Hire.hired_on >= start, Hire.hired_on <= end)
        .group_by(Hire.chain_id)
    )
    if chain_id is not None:
        stmt = stmt.where(Hire.chain_id == chain_id)
    return {cid: int(n) for cid, n in session.execute(stmt)}
