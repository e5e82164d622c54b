"""Builders shared by the challenge tests: a published demand, experts with accounts, a clock."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.challenges import service
from silian.demands.models import Demand
from silian.organizations.models import Organization
from silian.talent.models import Talent
from tests.support import Factory

TODAY = date(2026, 12, 1)
DEADLINE = TODAY + timedelta(days=10)
SETTINGS: dict[str, Any] = {
    "bidding_deadline": DEADLINE.isoformat(),
    "phases": [
        {
            "name": "方案征集",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-11",
            "criteria": "方案",
        },
        {
            "name": "攻关验证",
            "starts_on": "2027-01-01",
            "ends_on": "2027-06-30",
            "criteria": "中试",
        },
    ],
    "criteria": [{"name": "技术方案", "weight": 60}, {"name": "团队能力", "weight": 40}],
    "prize": "800000",
    "ip_terms": "shared_licence",
    "confidential": False,
    "terms_text": "",
}
BID: dict[str, Any] = {
    "team_name": "膜材料攻关团队",
    "proposal": "采用抗污染改性膜与在线清洗相结合的方案，延长清洗周期一倍以上。",
    "team_members": [{"name": "王膜", "role": "负责人"}, {"name": "李工", "role": "工程师"}],
    "trl": 5,
    "trl_evidence": "中试线连续运行三个月的报告",
    "amount": "600000",
    "schedule": "六个月完成中试",
    "attachments": ["中试报告.pdf"],
}


class Clock:
    """Moves the challenges service's idea of today."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.today = TODAY
        monkeypatch.setattr(service, "today", lambda: self.today)

    def after_deadline(self) -> None:
        """Jump to the day after the bidding deadline."""
        self.today = DEADLINE + timedelta(days=1)


def published_demand(
    db: Session, org: Organization, list_type: str = "enterprise", confidentiality: str = "public"
) -> Demand:
    """A published demand of org."""
    demand = Demand(
        title="反渗透膜污染控制技术攻关",
        list_type=list_type,
        organization_id=org.id,
        problem="海水淡化装置反渗透膜清洗周期太短，需要延长清洗周期的技术方案。",
        public_summary="海水淡化反渗透膜污染控制方向的技术需求。",
        status="published",
        confidentiality=confidentiality,
    )
    db.add(demand)
    db.commit()
    return demand


def expert(
    db: Session, factory: Factory, name: str, org: Organization | None = None
) -> tuple[User, Talent]:
    """An expert user with a Talent profile (optionally in org)."""
    user = factory.user("expert", org=org)
    talent = Talent(name=name, user_id=user.id, organization_id=org.id if org else None)
    db.add(talent)
    db.commit()
    return user, talent
