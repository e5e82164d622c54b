"""Chain services: which chains a user may see, units per chain, and syncing chains from YAML.

The chain overview with counts and each chain's map are aggregate views in `silian.insights`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.core import audit
from silian.core.errors import NotFound
from silian.core.permissions import can, visible_where
from silian.organizations.models import Organization, organization_chains
from silian.reference.data import ChainConfig


def visible_query(user: User | None) -> Select[IndustryChain]:
    """The one query of chains user may see: active ones, and per the table (offices) also
    deactivated ones; in configured order."""
    active = IndustryChain.is_active.is_(True)
    stmt = select(IndustryChain).where(
        visible_where(user, "chain.view_inactive", IndustryChain, active)
    )
    return stmt.order_by(IndustryChain.sort_order, IndustryChain.id)


def chain_org_ids(session: Session, chain_ids: list[int] | None = None) -> dict[int, set[int]]:
    """Active organisation ids linked to each chain."""
    stmt = (
        select(organization_chains.c.chain_id, organization_chains.c.organization_id)
        .join(Organization, Organization.id == organization_chains.c.organization_id)
        .where(Organization.is_active.is_(True))
    )
    if chain_ids is not None:
        stmt = stmt.where(organization_chains.c.chain_id.in_(chain_ids))
    out: dict[int, set[int]] = defaultdict(set)
    for chain_id, org_id in session.execute(stmt):
        out[chain_id].add(org_id)
    return out


def get_chain(session: Session, user: User | None, chain_id: int) -> IndustryChain:
    """One chain, or NotFound when missing or deactivated for a non-office user."""
    chain = session.get(IndustryChain, chain_id)
    if chain is None or not (chain.is_active or can(user, "chain.view_inactive")):
        raise NotFound("产业链不存在或已停用")
    return chain


@dataclass
class SyncReport:
    """What a chain synchronisation changed."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    unchanged: int = 0


SYNC_FIELDS = ("name", "description", "keywords", "gbt_codes", "disciplines", "sort_order")


def sync_chains(session: Session, actor: User | None, configs: list[ChainConfig]) -> SyncReport:
    """Make the chain table match the configuration (by code), auditing every change.

    Chains missing from the configuration are deactivated, not deleted, so records that point
    at them keep their history.
    """
    report = SyncReport()
    existing = {c.code: c for c in session.scalars(select(IndustryChain))}
    for order, cfg in enumerate(configs, 1):
        values: dict[str, Any] = {
            "name": cfg.name,
            "description": cfg.description,
            "keywords": list(cfg.keywords),
            "gbt_codes": list(cfg.gbt_codes),
            "disciplines": list(cfg.disciplines),
            "sort_order": order,
        }
        chain = existing.get(cfg.code)
        if chain is None:
            chain = IndustryChain(code=cfg.code, is_active=True, **values)
            session.add(chain)
            audit.record(session, actor=actor, action="create", entity=chain, changes=values)
            report.created.append(cfg.name)
            continue
        before = audit.snapshot(chain)
        for key, value in values.items():
            setattr(chain, key, value)
        chain.is_active = True
        changes = audit.diff(before, audit.snapshot(chain))
        if changes:
            audit.record(session, actor=actor, action="update", entity=chain, changes=changes)
            report.updated.append(cfg.name)
        else:
            report.unchanged += 1
    wanted = {c.code for c in configs}
    for code, chain in existing.items():
        if code not in wanted and chain.is_active:
            chain.is_active = False
            audit.record(
                session,
                actor=actor,
                action="deactivate",
                entity=chain,
                changes={"is_active": [True, False]},
            )
            report.deactivated.append(chain.name)
    session.flush()
    return report
