"""Figures from challenges, deals and contracts — one service the broker's page, the office's
workspace and (later) the city dashboard all read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from statistics import median

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from silian.brokerage.choices import ACTIVE_DEAL_STAGES, DEAL_CHANNELS, DEAL_STAGES
from silian.brokerage.models import (
    Broker,
    BrokerTraining,
    Contract,
    Deal,
    DealStep,
    Match,
    TrainingEnrollment,
)
from silian.chains.models import IndustryChain
from silian.challenges.models import Challenge
from silian.demands.models import Demand

PUBLISHED_DEMAND_STATUSES = ("published", "closed", "awarded")
AWARDED_CHALLENGE_STATUSES = ("awarded", "contracted", "in_progress", "accepted")
SIGNED_DEAL_STAGES = ("signed", "implemented")


@dataclass
class BrokerResult:
    """One broker's results."""

    broker_id: int
    name: str
    active_deals: int
    deals: int
    signed_deals: int
    conversion: float | None
    contract_value: Decimal
    median_days_to_signature: float | None


@dataclass
class Figures:
    """Demand lists, deals by stage and channel, contract value and broker results."""

    lists_published: int
    lists_in_bidding: int
    lists_awarded: int
    lists_signed: int
    lists_signed_value: Decimal
    deals_by_stage: dict[str, int]
    deals_by_channel: dict[str, int]
    signed_by_channel: dict[str, int]
    contract_count: int
    contract_value: Decimal
    brokers: list[BrokerResult] = field(default_factory=list)


def _count(session: Session, stmt: object) -> int:
    return int(session.scalar(stmt) or 0)  # type: ignore[call-overload]


def _money(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def figures(session: Session, broker_id: int | None = None) -> Figures:
    """Every figure, computed from the rows; broker_id limits deals and brokers to one broker."""
    n = func.count()
    lists_published = _count(session, select(n).where(Demand.status.in_(PUBLISHED_DEMAND_STATUSES)))
    in_bidding = _count(session, select(n).where(Challenge.status == "bidding"))
    awarded = _count(session, select(n).where(Challenge.status.in_(AWARDED_CHALLENGE_STATUSES)))
    signed_lists = session.execute(
        select(func.count(func.distinct(Contract.challenge_id)), func.sum(Contract.amount)).where(
            Contract.challenge_id.is_not(None)
        )
    ).one()
    deal_filter = [Deal.broker_id == broker_id] if broker_id is not None else []
    by_stage = {value: 0 for value in DEAL_STAGES.values}
    for stage, count in session.execute(
        select(Deal.stage, n).where(*deal_filter).group_by(Deal.stage)
    ):
        by_stage[stage] = count
    by_channel = {value: 0 for value in DEAL_CHANNELS.values}
    signed_channel = {value: 0 for value in DEAL_CHANNELS.values}
    for channel, stage, count in session.execute(
        select(Deal.channel, Deal.stage, n).where(*deal_filter).group_by(Deal.channel, Deal.stage)
    ):
        by_channel[channel] += count
        if stage in SIGNED_DEAL_STAGES:
            signed_channel[channel] += count
    contracts = session.execute(select(n, func.sum(Contract.amount))).one()
    return Figures(
        lists_published=lists_published,
        lists_in_bidding=in_bidding,
        lists_awarded=awarded,
        lists_signed=int(signed_lists[0] or 0),
        lists_signed_value=_money(signed_lists[1]),
        deals_by_stage=by_stage,
        deals_by_channel=by_channel,
        signed_by_channel=signed_channel,
        contract_count=int(contracts[0] or 0),
        contract_value=_money(contracts[1]),
        brokers=broker_results(session, broker_id),
    )


def broker_results(session: Session, broker_id: int | None = None) -> list[BrokerResult]:
    """Per broker: active deals, conversion (signed ÷ all deals), contract value of their
    deals' contracts, and the median days from the suggestion to the signature."""
    stmt = select(Broker).order_by(Broker.id)
    if broker_id is not None:
        stmt = stmt.where(Broker.id == broker_id)
    brokers = list(session.scalars(stmt))
    rows = session.execute(
        select(Deal.broker_id, Deal.stage, Deal.signed_on, Match.created_at)
        .outerjoin(Match, Match.id == Deal.match_id)
        .where(Deal.broker_id.in_([b.id for b in brokers]))
    ).all()
    values = dict(
        session.execute(
            select(Deal.broker_id, func.sum(Contract.amount))
            .join(Contract, Contract.deal_id == Deal.id)
            .group_by(Deal.broker_id)
        ).all()
    )
    out = []
    for broker in brokers:
        mine = [r for r in rows if r.broker_id == broker.id]
        signed = [r for r in mine if r.stage in SIGNED_DEAL_STAGES]
        days = [
            (r.signed_on - _day(r.created_at)).days
            for r in signed
            if r.signed_on is not None and r.created_at is not None
        ]
        out.append(
            BrokerResult(
                broker_id=broker.id,
                name=broker.name,
                active_deals=sum(1 for r in mine if r.stage in ACTIVE_DEAL_STAGES),
                deals=len(mine),
                signed_deals=len(signed),
                conversion=round(len(signed) / len(mine), 4) if mine else None,
                contract_value=_money(values.get(broker.id)),
                median_days_to_signature=float(median(days)) if days else None,
            )
        )
    return out


def _day(value: object) -> date:
    return value.date() if hasattr(value, "date") else value  # type: ignore[return-value]


# --- broker training and certification -------------------------------------------------------


@dataclass
class TrainingFigures:
    """What the city reports about its brokers for a period, counted from the rows."""

    trained: int
    passed: int
    certified: int
    active_brokers: int


def _in_training_chain(chain_id: int | None) -> list[ColumnElement[bool]]:
    if chain_id is None:
        return []
    return [
        TrainingEnrollment.training_id.in_(
            select(BrokerTraining.id).where(BrokerTraining.chain_id == chain_id)
        )
    ]


def trained(session: Session, start: date, end: date, chain_id: int | None = None) -> int:
    """Trainees enrolled in [start, end] (in courses oriented to chain_id, if given)."""
    return _count(
        session,
        select(func.count()).where(
            TrainingEnrollment.enrolled_on.between(start, end), *_in_training_chain(chain_id)
        ),
    )


def passed(session: Session, start: date, end: date, chain_id: int | None = None) -> int:
    """Trainees whose passing exam was in [start, end]."""
    return _count(
        session,
        select(func.count()).where(
            TrainingEnrollment.passed.is_(True),
            TrainingEnrollment.exam_on.between(start, end),
            *_in_training_chain(chain_id),
        ),
    )


def certified(session: Session, start: date, end: date, chain_id: int | None = None) -> int:
    """Certificates issued in [start, end]."""
    return _count(
        session,
        select(func.count()).where(
            TrainingEnrollment.certified_on.between(start, end), *_in_training_chain(chain_id)
        ),
    )


def active_brokers(session: Session, start: date, end: date, chain_id: int | None = None) -> int:
    """Certified brokers (certificate on or before end) who recorded at least one step of a
    deal in [start, end]; with chain_id, only brokers with that chain among their specialties."""
    rows = session.execute(
        select(Broker.id, Broker.specialties).where(
            Broker.certificate_no.is_not(None),
            Broker.certified_on <= end,
            Broker.id.in_(
                select(Deal.broker_id)
                .join(DealStep, DealStep.deal_id == Deal.id)
                .where(DealStep.happened_on.between(start, end))
            ),
        )
    ).all()
    if chain_id is None:
        return len(rows)
    chain = session.get(IndustryChain, chain_id)
    name = chain.name if chain else ""
    return sum(1 for _id, specialties in rows if name in (specialties or []))


def training_figures(
    session: Session, start: date, end: date, chain_id: int | None = None
) -> TrainingFigures:
    """Trained, passed, certified and active brokers for the period (and chain)."""
    return TrainingFigures(
        trained=trained(session, start, end, chain_id),
        passed=passed(session, start, end, chain_id),
        certified=certified(session, start, end, chain_id),
        active_brokers=active_brokers(session, start, end, chain_id),
    )
