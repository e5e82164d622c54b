"""Consortium and institute figures for the city figures service, computed from the records.

Each function takes (session, start, end, chain_id): start and end are the first and last day
of the period in city time (China Standard Time), both included; chain_id limits the count to
one chain (None: the whole city, records on no chain included). Stocks (consortia, institutes,
talents gathered, major achievements) count what exists at the end of the period; flows
(projects started, achievements produced) count what happened within it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from silian.brokerage.models import Contract, Deal
from silian.consortia.models import (
    CommonTechProject,
    InnovationConsortium,
    InstituteAchievement,
    InstituteTalent,
    ProjectAchievement,
    RdInstitute,
)
from silian.consortia.service import MAJOR_CONTRACT_VALUE
from silian.core.clock import CITY_TZ


def _after(end: date) -> datetime:
    """The UTC instant just after the period's last day."""
    return datetime.combine(end + timedelta(days=1), time.min, CITY_TZ).astimezone(UTC)


def _existing_by(model: Any, end: date) -> Any:
    """Rows founded on or before end (by creation time when no founding date is recorded)."""
    return or_(
        model.founded_on <= end,
        and_(model.founded_on.is_(None), model.created_at < _after(end)),
    )


def consortia(session: Session, start: date, end: date, chain_id: int | None) -> int:
    """Innovation consortia formed by the end of the period (创新联合体数)."""
    stmt = select(func.count(InnovationConsortium.id)).where(
        _existing_by(InnovationConsortium, end)
    )
    if chain_id is not None:
        stmt = stmt.where(InnovationConsortium.chain_id == chain_id)
    return int(session.scalar(stmt) or 0)


def projects_started(session: Session, start: date, end: date, chain_id: int | None) -> int:
    """Common-technology projects that started in the period (共性技术攻关项目启动数)."""
    stmt = (
        select(func.count(CommonTechProject.id))
        .join(InnovationConsortium)
        .where(CommonTechProject.started_on >= start, CommonTechProject.started_on <= end)
    )
    if chain_id is not None:
        stmt = stmt.where(InnovationConsortium.chain_id == chain_id)
    return int(session.scalar(stmt) or 0)


def achievements_produced(session: Session, start: date, end: date, chain_id: int | None) -> int:
    """Distinct achievements the projects produced in the period (联合攻关产出成果数)."""
    stmt = (
        select(func.count(func.distinct(ProjectAchievement.achievement_id)))
        .join(CommonTechProject, CommonTechProject.id == ProjectAchievement.project_id)
        .join(InnovationConsortium)
        .where(ProjectAchievement.produced_on >= start, ProjectAchievement.produced_on <= end)
    )
    if chain_id is not None:
        stmt = stmt.where(InnovationConsortium.chain_id == chain_id)
    return int(session.scalar(stmt) or 0)


def institutes(session: Session, start: date, end: date, chain_id: int | None) -> int:
    """Co-built new-type R&D institutes by the end of the period (新型研发机构数)."""
    stmt = select(func.count(RdInstitute.id)).where(_existing_by(RdInstitute, end))
    if chain_id is not None:
        stmt = stmt.where(RdInstitute.chain_id == chain_id)
    return int(session.scalar(stmt) or 0)


def talents_gathered(session: Session, start: date, end: date, chain_id: int | None) -> int:
    """Distinct talents the institutes had gathered by the end of the period (集聚人才数);
    a talent at two institutes counts once."""
    stmt = (
        select(func.count(func.distinct(InstituteTalent.talent_id)))
        .join(RdInstitute, RdInstitute.id == InstituteTalent.institute_id)
        .where(InstituteTalent.joined_on <= end)
    )
    if chain_id is not None:
        stmt = stmt.where(RdInstitute.chain_id == chain_id)
    return int(session.scalar(stmt) or 0)


def major_achievements(session: Session, start: date, end: date, chain_id: int | None) -> int:
    """Distinct institute achievements that are major by the end of the period (重大成果数):
    linked to an institute by then, with a platform contract of at least 10,000,000 yuan signed
    by then, or an amount of at least that much entered with evidence."""
    on_platform = (
        select(Deal.achievement_id)
        .join(Contract, Contract.deal_id == Deal.id)
        .where(Contract.amount >= MAJOR_CONTRACT_VALUE, Contract.signed_on <= end)
    )
    stmt = (
        select(func.count(func.distinct(InstituteAchievement.achievement_id)))
        .join(RdInstitute, RdInstitute.id == InstituteAchievement.institute_id)
        .where(
            InstituteAchievement.linked_on <= end,
            or_(
                InstituteAchievement.evidence_amount >= Decimal(MAJOR_CONTRACT_VALUE),
                InstituteAchievement.achievement_id.in_(on_platform),
            ),
        )
    )
    if chain_id is not None:
        stmt = stmt.where(RdInstitute.chain_id == chain_id)
    return int(session.scalar(stmt) or 0)
