"""Cross-feature pages: the home page with headline figures, the review queue, my workspace."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage import figures as brokerage_figures
from silian.brokerage import service as brokerage
from silian.brokerage.models import Broker, BrokerTraining, Contract, Deal
from silian.chains.models import IndustryChain
from silian.core import permissions
from silian.core.audit import AuditLog
from silian.core.web import csrf_protect, current_user, get_db, render, require_role, require_user
from silian.demands.models import Demand
from silian.organizations.models import Organization

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def headline_figures(db: Session) -> list[tuple[str, str, str]]:
    """The city's headline figures as (label, value, unit)."""

    def count(stmt: Any) -> int:
        return int(db.scalar(stmt) or 0)

    n = func.count()
    achievements = count(select(n).select_from(Achievement))
    published = count(select(n).where(Achievement.status == "published"))
    enterprises = count(select(n).where(Organization.kind == "enterprise"))
    lists = count(select(n).where(Demand.status.in_(("published", "closed", "awarded"))))
    awarded = count(select(n).where(Demand.status == "awarded"))
    deals = count(select(n).select_from(Deal))
    brokers = count(select(n).select_from(Broker))
    contract_value = db.scalar(select(func.coalesce(func.sum(Contract.amount), 0))) or 0
    trained = db.scalar(select(func.coalesce(func.sum(BrokerTraining.certificates_issued), 0)))
    return [
        ("成果入库", f"{achievements:,}", "项"),
        ("已发布成果", f"{published:,}", "项"),
        ("入驻企业", f"{enterprises:,}", "家"),
        ("发布榜单", f"{lists:,}", "项"),
        ("揭榜成功", f"{awarded:,}", "项"),
        ("对接项目", f"{deals:,}", "项"),
        ("技术合同额", f"{float(contract_value) / 10000:,.0f}", "万元"),
        ("技术经纪人", f"{brokers:,}", "名"),
        ("培训发证", f"{int(trained or 0):,}", "人次"),
    ]


@router.get("/")
def home(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Home: headline figures, chains, latest achievements and demands."""
    latest_achievements = list(
        db.scalars(
            select(Achievement)
            .where(Achievement.status == "published")
            .order_by(Achievement.published_at.desc(), Achievement.id.desc())
            .limit(8)
        )
    )
    latest_demands = list(
        db.scalars(
            select(Demand)
            .where(Demand.status == "published")
            .order_by(Demand.published_at.desc(), Demand.id.desc())
            .limit(8)
        )
    )
    chain_rows = db.execute(
        select(IndustryChain, func.count(Achievement.id))
        .outerjoin(
            Achievement,
            (Achievement.chain_id == IndustryChain.id) & (Achievement.status == "published"),
        )
        .group_by(IndustryChain.id)
        .order_by(IndustryChain.sort_order)
    ).all()
    return render(
        request,
        "home.html",
        {
            "figures": headline_figures(db),
            "achievements": latest_achievements,
            "demands": latest_demands,
            "chains": chain_rows,
        },
    )


@router.get("/review")
def review_queue(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_role("office"))
) -> Response:
    """Office review queue: submitted achievements and demands, oldest first."""
    achievements = list(
        db.scalars(
            select(Achievement)
            .where(Achievement.status == "submitted")
            .order_by(Achievement.updated_at)
        )
    )
    demands = list(
        db.scalars(select(Demand).where(Demand.status == "submitted").order_by(Demand.updated_at))
    )
    return render(request, "review.html", {"achievements": achievements, "demands": demands})


@router.get("/my")
def workspace(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """My workspace: my unit's listings in every status and my recent activity."""
    org = user.organization_id
    achievements = list(
        db.scalars(
            select(Achievement)
            .where((Achievement.organization_id == org) | (Achievement.created_by_id == user.id))
            .order_by(Achievement.updated_at.desc())
            .limit(50)
        )
    )
    demands = list(
        db.scalars(
            select(Demand)
            .where((Demand.organization_id == org) | (Demand.created_by_id == user.id))
            .order_by(Demand.updated_at.desc())
            .limit(50)
        )
    )
    activity = list(
        db.scalars(
            select(AuditLog)
            .where(AuditLog.actor_id == user.id)
            .order_by(AuditLog.created_at.desc())
            .limit(20)
        )
    )
    # Offices and brokers see the brokerage figures (a broker: their own results).
    figures = None
    if permissions.can(user, "brokerage.figures"):
        mine = (
            None
            if permissions.sees_everything(user, "deal.advance")
            else brokerage.broker_of(db, user)
        )
        if mine is not None or permissions.sees_everything(user, "deal.advance"):
            figures = brokerage_figures.figures(db, mine.id if mine else None)
    return render(
        request,
        "workspace.html",
        {
            "achievements": achievements,
            "demands": demands,
            "activity": activity,
            "figures": figures,
        },
    )
