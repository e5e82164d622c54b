"""Chain configuration sync: create, update, deactivate, audit, idempotent."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.chains.models import IndustryChain
from silian.chains.service import sync_chains
from silian.core.audit import AuditLog
from silian.reference.data import ChainConfig


def _cfg(code: str, name: str, **kw: list[str]) -> ChainConfig:
    return ChainConfig(code=code, name=name, description=f"{name}链", **kw)


def test_sync_creates_updates_and_deactivates(db: Session) -> None:
    first = [_cfg("ic", "集成电路", gbt_codes=["3973"]), _cfg("vr", "虚拟现实")]
    report = sync_chains(db, None, first)
    db.commit()
    assert report.created == ["集成电路", "虚拟现实"]
    again = sync_chains(db, None, first)
    assert again.created == [] and again.updated == [] and again.unchanged == 2

    second = [_cfg("ic", "集成电路", gbt_codes=["3973", "6520"])]
    report = sync_chains(db, None, second)
    db.commit()
    assert report.updated == ["集成电路"] and report.deactivated == ["虚拟现实"]
    chains = {c.code: c for c in db.scalars(select(IndustryChain))}
    assert chains["ic"].gbt_codes == ["3973", "6520"]
    assert chains["vr"].is_active is False
    actions = dict(
        db.execute(
            select(AuditLog.action, func.count())
            .where(AuditLog.entity_type == "industry_chains")
            .group_by(AuditLog.action)
        ).all()
    )
    assert actions == {"create": 2, "update": 1, "deactivate": 1}

    sync_chains(db, None, first)
    db.commit()
    assert db.get(IndustryChain, chains["vr"].id).is_active is True  # type: ignore[union-attr]
