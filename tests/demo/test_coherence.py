"""The demo city follows the coherence rules of its loader, and its suggestions rest on real fit."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage.choices import ACTIVE_DEAL_STAGES
from silian.brokerage.models import Contract, Deal, DealStep, Match
from silian.chains.models import IndustryChain
from silian.core.db import Base
from silian.demands.models import Demand
from silian.demo import names
from silian.demo.loader import (
    DEAL_ROAD,
    FIELD_GROUPS,
    INSTITUTES,
    NON_MARKET_DISCIPLINES,
    TODAY,
    chain_fit,
    chain_terms,
    institution_disciplines,
    load_demo,
)
from silian.matching.text import normalise
from silian.notifications.models import Notification
from silian.organizations.models import Organization
from silian.reference import data as reference
from silian.talent.models import Talent

# Disciplines the issue names as never technology achievements (checked, not derived).
HUMANITIES = {"政治学", "历史学", "中国语言文学", "法学", "哲学", "艺术学", "新闻传播学", "教育学"}
SENIOR = {"教授", "研究员", "正高级工程师"}
ASSOCIATE = {"副教授", "副研究员", "高级工程师"}


def _chains(db: Session) -> list[IndustryChain]:
    stmt = (
        select(IndustryChain)
        .where(IndustryChain.is_active)
        .order_by(IndustryChain.sort_order, IndustryChain.id)
    )
    return list(db.scalars(stmt))


def _own_text(item: Achievement) -> str:
    return f"{item.title} {' '.join(item.keywords)} {item.summary}"


def _chain_supported(item: Achievement, chains: list[IndustryChain]) -> bool:
    """The achievement's chain lists its discipline, and its text or discipline singles it out."""
    chain = item.chain
    if chain is None or item.discipline not in chain.disciplines:
        return False
    if any(term in _own_text(item) for term in chain_terms(chain)):
        return True
    return [c.id for c in chains if item.discipline in c.disciplines] == [chain.id]


def _profile(org: Organization, chains: dict[str, IndustryChain]) -> set[str]:
    institutes = {name: code for name, code, _ in INSTITUTES}
    if org.name in institutes:
        return set(chains[institutes[org.name]].disciplines)
    level = "专科" if org.description.startswith("专科") else "本科"
    return set(institution_disciplines(org.name, level))


def test_demo_city_is_coherent(db_url: str, db: Session) -> None:
    load_demo(db_url)
    chains = _chains(db)
    by_code = {c.code: c for c in chains}
    assert HUMANITIES <= NON_MARKET_DISCIPLINES

    achievements = list(db.scalars(select(Achievement)))
    assert len(achievements) > 1000
    owners: dict[str, int] = {}
    for item in achievements:
        where = f"{item.source_ref} {item.title}"
        assert item.discipline not in NON_MARKET_DISCIPLINES, where
        assert item.discipline in _profile(item.organization, by_code), where
        owners[item.organization.name] = owners.get(item.organization.name, 0) + 1
        expected, terms = chain_fit(
            chains, item.discipline, f"{item.title} {' '.join(item.keywords)}", item.summary
        )
        assert item.chain_id == (expected.id if expected else None), where
        if item.chain is not None:
            assert _chain_supported(item, chains), where
        fields = [f for f in item.application_field.split("、") if f]
        own = " ".join(item.keywords or terms)
        assert all(f in own for f in fields), where
    # The examples: a film academy and vocational colleges list no research; an
    # agricultural university lists agronomy, not medicine; medicine stays with medical owners.
    assert owners.get("北京电影学院现代创意媒体学院", 0) == 0
    vocational = db.scalars(
        select(Organization.name).where(Organization.description.startswith("专科"))
    )
    assert not set(vocational) & set(owners)
    agri = {a.discipline for a in achievements if a.organization.name == "青岛农业大学"}
    assert "作物学" in agri and "基础医学/临床医学" not in agri
    medical = {"基础医学/临床医学", "中医学/中药学", "口腔医学"}
    assert {a.organization.name for a in achievements if a.discipline in medical} <= {
        "青岛大学",
        "青岛示例生物医药协同创新中心",
        "青岛示例中医医院",
        "青岛示例第一人民医院",
    }

    demands = list(db.scalars(select(Demand)))
    papers = {r["id"]: r["discipline"] for r in reference.csl_records()}
    assert len(demands) > 200
    for demand in demands:
        paper = (demand.source_ref or "").split("-", 2)[-1]
        assert papers[paper] not in NON_MARKET_DISCIPLINES, demand.source_ref
        org = demand.organization
        if demand.chain is not None and org.kind in ("enterprise", "institute"):
            assert demand.chain in org.chains, (demand.title, org.name)
        if "口腔" in demand.problem or "桩" in demand.problem:
            assert org.name != "青岛示例妇幼保健院", demand.title
    # Chain companies (named "…（示例）") are on exactly one chain, the one their name says.
    companies = list(
        db.scalars(
            select(Organization).where(
                Organization.kind == "enterprise", Organization.name.endswith("（示例）")
            )
        )
    )
    assert len(companies) == 5 * len(chains)
    for company in companies:
        assert len(company.chains) == 1, company.name
        stems = names.CHAIN_COMPANY_STEMS[company.chains[0].code]
        assert any(stem in company.name for stem in stems), company.name

    group_of = {d: g for g, ds in FIELD_GROUPS.items() for d in ds}
    talents = list(db.scalars(select(Talent)))
    assert len(talents) > 100
    for talent in talents:
        assert len({group_of[d] for d in talent.disciplines}) == 1, talent.disciplines
        if talent.title == "讲师":
            assert talent.grade in ("D", "E", None), talent.name
        elif talent.title in ASSOCIATE:
            assert talent.grade in ("C", "D", "E", None), talent.name
        else:
            assert talent.title in SENIOR and talent.grade in ("A", "B", "C"), talent.name


def _chain_name(item: Achievement | Demand) -> str:
    return item.chain.name if item.chain else ""


def _fingerprint(db: Session) -> dict[str, Any]:
    """What the city looks like, by names (ids differ after a reload on PostgreSQL)."""
    return {
        "achievements": sorted(
            (a.source_ref, a.organization.name, _chain_name(a), a.application_field, a.status)
            for a in db.scalars(select(Achievement))
        ),
        "demands": sorted(
            (d.source_ref, d.organization.name, _chain_name(d), d.status)
            for d in db.scalars(select(Demand))
        ),
        "talents": sorted(
            (t.organization.name if t.organization else "", t.name, t.title, t.grade or "")
            for t in db.scalars(select(Talent))
        ),
    }


def test_demo_deals_join_two_units_and_have_a_dated_timeline(db_url: str, db: Session) -> None:
    """Each sample deal's page shows the road to its stage; nothing happens after the demo's
    today; no unit trades with itself; its broker has next actions to follow up and a bell."""
    load_demo(db_url)
    deals = list(db.scalars(select(Deal).where(Deal.match_id.is_not(None))))
    assert len(deals) >= 12
    for deal in deals:
        assert deal.seller_id != deal.buyer_id, deal.title
        steps = list(
            db.scalars(select(DealStep).where(DealStep.deal_id == deal.id).order_by(DealStep.id))
        )
        assert [s.stage for s in steps] == list(DEAL_ROAD[: DEAL_ROAD.index(deal.stage) + 1])
        dates = [s.happened_on for s in steps]
        match = db.get(Match, deal.match_id)
        assert match is not None
        assert match.created_at.date() < dates[0] and dates == sorted(dates) and dates[-1] <= TODAY
        assert deal.last_activity_on == dates[-1]
        assert all(s.note for s in steps)
        if deal.signed_on is not None:
            assert steps[DEAL_ROAD.index("signed")].happened_on == deal.signed_on
        if deal.stage in ACTIVE_DEAL_STAGES:
            assert deal.next_action and deal.next_due and deal.next_due > dates[-1]
    active = [d for d in deals if d.stage in ACTIVE_DEAL_STAGES]
    assert any(d.next_due and d.next_due <= TODAY for d in active)
    # The demo broker's bell announces the suggestions waiting in its queue.
    broker = db.scalar(select(User).where(User.username == "broker"))
    assert broker is not None
    unread = Notification.read_at.is_(None)
    bell = db.scalars(select(Notification).where(Notification.user_id == broker.id, unread)).all()
    assert [(n.kind, n.url) for n in bell] == [("match_assigned", "/brokerage")]
    for contract in db.scalars(select(Contract)):
        assert contract.signed_on <= TODAY
        assert contract.accepted_on is None or contract.accepted_on <= TODAY, contract.title
        assert all(m.done_on is None or m.done_on <= TODAY for m in contract.milestones)


def test_demo_city_is_deterministic_and_idempotent(db_url: str, db: Session) -> None:
    first = load_demo(db_url)
    before = _fingerprint(db)
    edited = db.scalars(select(Achievement).order_by(Achievement.id)).first()
    assert edited is not None
    edited.application_field = "用户修改的应用领域"
    db.commit()
    again = load_demo(db_url)
    assert sum(again.added.values()) == 0
    db.expire_all()
    assert db.get(Achievement, edited.id).application_field == "用户修改的应用领域"  # type: ignore[union-attr]

    for table in reversed(Base.metadata.sorted_tables):
        db.execute(delete(table))
    db.commit()
    db.expire_all()
    second = load_demo(db_url)
    assert second.added == first.added
    assert _fingerprint(db) == before


def test_demo_suggestions_show_only_real_chain_and_field_fit(
    db_url: str, db: Session, app: Any
) -> None:
    load_demo(db_url)
    chains = _chains(db)
    demands = list(
        db.scalars(
            select(Demand)
            .where(
                Demand.status == "published",
                Demand.confidentiality == "public",
                Demand.chain_id.is_not(None),
                Demand.list_type == "enterprise",
            )
            .order_by(Demand.id)
        )
    )
    picked: list[Demand] = []
    for demand in demands:  # five demands on five different chains
        if demand.chain_id not in {d.chain_id for d in picked}:
            picked.append(demand)
    picked = picked[:5]
    assert len(picked) == 5
    shared_seen = 0
    with TestClient(app) as client:
        for demand in picked:
            response = client.get(
                f"/api/v1/demands/{demand.id}/matches", params={"kind": "achievement", "limit": 5}
            )
            assert response.status_code == 200, response.text
            hits = response.json()
            assert hits, demand.title
            for hit in hits:
                item = db.get(Achievement, hit["id"])
                assert item is not None
                where = f"{demand.title} → {item.title}"
                reasons = hit["reasons"]
                for code in reasons.get("shared_chains", []):
                    if code[:2].isdigit():
                        continue  # a GB/T division the engine tagged from the text itself
                    assert item.chain is not None and item.chain.name == code, where
                    assert demand.chain is not None and demand.chain.name == code, where
                    assert _chain_supported(item, chains), where
                    shared_seen += 1
                own = normalise(_own_text(item))
                for term in reasons.get("matched_terms", []):
                    assert normalise(term["term"]) in own, (where, term)
                for phrase in reasons.get("keyphrases", []):
                    assert normalise(phrase) in own, (where, phrase)
    assert shared_seen > 0, "no suggestion shared a chain: the check above proved nothing"
