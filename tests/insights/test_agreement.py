"""On the demo city, every registered figure agrees everywhere it is shown.

Each figure is counted here independently, straight from the rows (plain ORM reads and Python
arithmetic written in this file, no figures service), and compared with the figures service,
the dashboard page, the dashboard API, the chain map page and the Word briefing read back.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape
from typing import Any

from docx import Document
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.brokerage.models import (
    Broker,
    BrokerTraining,
    Contract,
    Deal,
    DealStep,
    TrainingEnrollment,
)
from silian.chains.models import IndustryChain
from silian.config import get_settings
from silian.consortia.models import (
    CommonTechProject,
    InnovationConsortium,
    InstituteAchievement,
    InstituteTalent,
    ProjectAchievement,
    RdInstitute,
)
from silian.coordination.forecast import project_forecast
from silian.coordination.models import InvestmentProject
from silian.core.db import session_factory
from silian.demands.models import Demand
from silian.demo.loader import DEMO_PASSWORD, load_demo
from silian.education.models import NamedClass, TrainingBase
from silian.events.models import Event
from silian.hiring.models import Hire
from silian.insights import briefing, figures, freshness, jobs
from silian.insights.models import CITY, FigureDay
from silian.organizations.models import Organization, organization_chains
from silian.platforms.models import Platform, PlatformService, ServiceBooking, platform_chains
from silian.subsidies.models import SubsidyApplication
from silian.talent.models import TalentNeed
from silian.training.models import Enrolment, TrainingProgramme
from tests.support import csrf

CST = timedelta(hours=8)


def day_of(instant: datetime | None) -> date | None:
    """The city (UTC+8) calendar day of an instant; naive instants are UTC."""
    if instant is None:
        return None
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC).replace(tzinfo=None)
    return (instant + CST).date()


class Independent:
    """Every registered figure's total for a period and a chain, counted from the rows."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.org_chains: dict[int, set[int]] = defaultdict(set)
        for chain_id, org_id in db.execute(
            select(organization_chains.c.chain_id, organization_chains.c.organization_id)
        ):
            self.org_chains[org_id].add(chain_id)
        self.chain_names = dict(db.execute(select(IndustryChain.id, IndustryChain.name)).all())
        demand_chain = dict(db.execute(select(Demand.id, Demand.chain_id)).all())
        achievement_chain = dict(db.execute(select(Achievement.id, Achievement.chain_id)).all())
        self.deals = list(db.scalars(select(Deal)))
        self.deal_chain = {
            d.id: demand_chain.get(d.demand_id) or achievement_chain.get(d.achievement_id)
            for d in self.deals
        }
        self.deal_by_id = {d.id: d for d in self.deals}
        self.demand_chain = demand_chain

    def _all(self, model: Any) -> list[Any]:
        return list(self.db.scalars(select(model)))

    def values(self, start: date, end: date, stock_day: date, chain: int | None) -> dict[str, Any]:
        """Figure key → total over [start, end] (stocks on stock_day) for chain (None: city)."""

        def inside(day: date | None) -> bool:
            return day is not None and start <= day <= end

        def on(record_chain: int | None) -> bool:
            return chain is None or record_chain == chain

        def on_any(chains: Iterable[int | None]) -> bool:
            return chain is None or chain in set(chains)

        out: dict[str, Any] = {}
        achievements = self._all(Achievement)
        out["achievements_collected"] = sum(
            1 for a in achievements if inside(day_of(a.created_at)) and on(a.chain_id)
        )
        out["achievements_published"] = sum(
            1
            for a in achievements
            if a.status == "published" and inside(day_of(a.published_at)) and on(a.chain_id)
        )
        orgs = [o for o in self._all(Organization) if o.is_active]
        existing = [o for o in orgs if (day_of(o.created_at) or date.max) <= stock_day]
        out["enterprises_connected"] = sum(
            1 for o in existing if o.kind == "enterprise" and on_any(self.org_chains[o.id])
        )
        out["institutions_connected"] = sum(
            1
            for o in existing
            if o.kind in ("university", "institute") and on_any(self.org_chains[o.id])
        )
        demands = self._all(Demand)
        out["demands_published"] = sum(
            1
            for d in demands
            if d.status in ("published", "closed", "awarded")
            and inside(day_of(d.published_at))
            and on(d.chain_id)
        )
        contracts = self._all(Contract)
        first_signed: dict[int, date] = {}
        for c in contracts:
            deal = self.deal_by_id.get(c.deal_id) if c.deal_id else None
            if deal is not None and deal.demand_id is not None:
                known = first_signed.get(deal.demand_id)
                first_signed[deal.demand_id] = min(known, c.signed_on) if known else c.signed_on
        out["demands_signed"] = sum(
            1
            for demand_id, signed in first_signed.items()
            if inside(signed) and on(self.demand_chain.get(demand_id))
        )
        demand_value = Decimal(0)
        contract_count, contract_value = 0, Decimal(0)
        for c in contracts:
            if not inside(c.signed_on):
                continue
            deal = self.deal_by_id.get(c.deal_id) if c.deal_id else None
            if (
                deal is not None
                and deal.demand_id is not None
                and on(self.demand_chain.get(deal.demand_id))
            ):
                demand_value += c.amount
            contract_chain = self.deal_chain.get(deal.id) if deal is not None else None
            if chain is None or (deal is not None and contract_chain == chain):
                contract_count += 1
                contract_value += c.amount
        out["demands_signed_value"] = demand_value
        out["contracts_signed"] = contract_count
        out["contract_value"] = contract_value
        out["deals_created"] = sum(
            1 for d in self.deals if inside(day_of(d.created_at)) and on(self.deal_chain[d.id])
        )
        out["deals_by_stage"] = sum(
            1
            for d in self.deals
            if (day_of(d.created_at) or date.max) <= stock_day and on(self.deal_chain[d.id])
        )
        brokers = [b for b in self._all(Broker) if (day_of(b.created_at) or date.max) <= stock_day]
        out["brokers"] = len(brokers) if chain is None else 0
        out["brokers_certified"] = (
            sum(1 for b in brokers if b.certified_on and b.certified_on <= stock_day)
            if chain is None
            else 0
        )
        course_chain = {t.id: t.chain_id for t in self._all(BrokerTraining)}
        enrolments = [e for e in self._all(TrainingEnrollment) if on(course_chain[e.training_id])]
        out["brokers_trained"] = sum(1 for e in enrolments if inside(e.enrolled_on))
        out["brokers_passed"] = sum(1 for e in enrolments if e.passed and inside(e.exam_on))
        out["broker_certificates"] = sum(1 for e in enrolments if inside(e.certified_on))
        stepped = {
            self.deal_by_id[s.deal_id].broker_id
            for s in self._all(DealStep)
            if inside(s.happened_on) and self.deal_by_id[s.deal_id].broker_id is not None
        }
        out["brokers_active"] = sum(
            1
            for b in self._all(Broker)
            if b.id in stepped
            and b.certificate_no is not None
            and b.certified_on is not None
            and b.certified_on <= end
            and (chain is None or self.chain_names[chain] in (b.specialties or []))
        )
        out["events_held"] = sum(
            1
            for e in self._all(Event)
            if e.status in ("held", "closed") and inside(day_of(e.starts_at)) and on(e.chain_id)
        )
        out["talent_needs_collected"] = sum(
            1 for n in self._all(TalentNeed) if inside(day_of(n.created_at)) and on(n.chain_id)
        )
        hires = [h for h in self._all(Hire) if inside(h.hired_on) and on(h.chain_id)]
        out["hires"] = len(hires)
        out["co_shared_hires"] = sum(1 for h in hires if h.co_shared)
        subsidies = [
            s for s in self._all(SubsidyApplication) if on_any(self.org_chains[s.organization_id])
        ]
        approved = [
            s
            for s in subsidies
            if s.status in ("approved", "paid") and inside(day_of(s.decided_at))
        ]
        paid = [s for s in subsidies if s.status == "paid" and inside(s.paid_on)]
        out["subsidies_approved"] = len(approved)
        out["subsidies_approved_amount"] = sum((s.amount for s in approved), Decimal(0))
        out["subsidies_paid"] = len(paid)
        out["subsidies_paid_amount"] = sum((s.amount for s in paid), Decimal(0))
        project_chain = {p.id: p.chain_id for p in self._all(InvestmentProject)}
        classes = [
            c
            for c in self._all(NamedClass)
            if (day_of(c.created_at) or date.max) <= stock_day
            and on_any(
                self.org_chains[c.enterprise_id]
                | {project_chain.get(c.investment_project_id) if c.investment_project_id else None}
            )
        ]
        out["named_classes"] = len(classes)
        out["class_students"] = sum(c.students for c in classes)
        bases = [
            b
            for b in self._all(TrainingBase)
            if (day_of(b.created_at) or date.max) <= stock_day and on(b.chain_id)
        ]
        out["training_seats"] = sum(b.yearly_capacity for b in bases)
        out["trainees"] = sum(b.trainees_this_year for b in bases)
        programmes = {
            p.id: p for p in self._all(TrainingProgramme) if inside(p.starts_on) and on(p.chain_id)
        }
        seated = [
            e
            for e in self._all(Enrolment)
            if e.programme_id in programmes and e.status in ("enrolled", "completed")
        ]
        out["training_programmes"] = len(programmes)
        out["training_programme_seats"] = sum(p.seats for p in programmes.values())
        out["programme_trainees"] = len(seated)
        out["training_completions"] = sum(1 for e in seated if e.completed_on is not None)
        out["training_certificates"] = sum(1 for e in seated if e.certificate_no is not None)
        all_platforms = self._all(Platform)
        # A platform is on every chain it serves (its primary chain among them).
        served: dict[int, set[int | None]] = defaultdict(set)
        for platform_id, served_chain in self.db.execute(
            select(platform_chains.c.platform_id, platform_chains.c.chain_id)
        ):
            served[platform_id].add(served_chain)
        out["platforms"] = sum(
            1
            for p in all_platforms
            if (day_of(p.created_at) or date.max) <= stock_day
            and on_any(served[p.id] | {p.chain_id})
        )
        mine = {p.id for p in all_platforms if on_any(served[p.id] | {p.chain_id})}
        services = [s for s in self._all(PlatformService) if s.platform_id in mine]
        service_ids = {s.id for s in services}
        bookings = [b for b in self._all(ServiceBooking) if b.service_id in service_ids]

        def overlap(lo: date | None, hi: date | None) -> int:
            first, last = max(start, lo) if lo else start, min(end, hi) if hi else end
            return max(0, (last - first).days + 1)

        out["platform_bookings"] = sum(
            1 for b in bookings if b.status == "approved" and inside(b.start_date)
        )
        out["platform_bookings_completed"] = sum(
            1 for b in bookings if b.status == "completed" and inside(b.start_date)
        )
        available = sum(
            s.capacity_per_day * overlap(s.available_from, s.available_to) for s in services
        )
        booked = sum(
            (
                b.actual_quantity
                if b.status == "completed" and b.actual_quantity is not None
                else b.quantity
            )
            * overlap(b.start_date, b.end_date)
            for b in bookings
            if b.status in ("approved", "completed")
        )
        out["platform_utilisation"] = (
            Decimal(str(round(booked / available, 4))) * 100 if available else Decimal(0)
        )
        out["platform_income"] = sum(
            (
                b.fee or Decimal(0)
                for b in bookings
                if b.status == "completed" and inside(b.completed_on)
            ),
            Decimal(0),
        )
        projects = [p for p in self._all(InvestmentProject) if on(p.chain_id)]
        out["investment_projects"] = sum(1 for p in projects if inside(day_of(p.created_at)))
        # A project's own forecast (coordination.forecast, tested on hand-computed examples);
        # what is counted here independently is which projects open in the period.
        config = get_settings()
        out["investment_projects_at_risk"] = sum(
            1
            for p in projects
            if p.status != "cancelled"
            and inside(p.opening_date)
            and project_forecast(
                self.db,
                p,
                retention_rate=config.talent_retention_rate,
                hire_share=config.project_hire_share,
            ).at_risk
        )
        consortium_chain = {c.id: c.chain_id for c in self._all(InnovationConsortium)}
        project_consortium = {p.id: p.consortium_id for p in self._all(CommonTechProject)}
        out["common_tech_projects_started"] = sum(
            1
            for p in self._all(CommonTechProject)
            if inside(p.started_on) and on(consortium_chain[p.consortium_id])
        )
        out["consortium_outputs"] = len(
            {
                o.achievement_id
                for o in self._all(ProjectAchievement)
                if inside(o.produced_on) and on(consortium_chain[project_consortium[o.project_id]])
            }
        )
        institutes = {
            i.id: i
            for i in self._all(RdInstitute)
            if on(i.chain_id) and (i.founded_on or day_of(i.created_at) or date.max) <= end
        }
        out["rd_institutes"] = len(institutes)
        chain_institutes = {i.id for i in self._all(RdInstitute) if on(i.chain_id)}
        out["institute_talents"] = len(
            {
                t.talent_id
                for t in self._all(InstituteTalent)
                if t.institute_id in chain_institutes and t.joined_on <= end
            }
        )
        big_contracts = {
            self.deal_by_id[c.deal_id].achievement_id
            for c in self._all(Contract)
            if c.amount >= 10_000_000 and c.signed_on is not None and c.signed_on <= end
        }
        out["institute_major_achievements"] = len(
            {
                a.achievement_id
                for a in self._all(InstituteAchievement)
                if a.institute_id in chain_institutes
                and a.linked_on <= end
                and ((a.evidence_amount or 0) >= 10_000_000 or a.achievement_id in big_contracts)
            }
        )
        out["consortium_projects"] = sum(
            1
            for c in self._all(InnovationConsortium)
            if (day_of(c.created_at) or date.max) <= stock_day and on(c.chain_id)
        )
        return {k: Decimal(v) for k, v in out.items()}


def _stock_day(db: Session, span: figures.Period) -> date:
    """The day a period's stocks are read on: its last summarised day."""
    day = db.scalar(
        select(func.max(FigureDay.day)).where(
            FigureDay.chain_id == CITY, FigureDay.day >= span.start, FigureDay.day <= span.end
        )
    )
    assert day is not None, span
    return day


def _page_values(html: str, table_id: str) -> dict[str, Decimal]:
    """figure key → data-value of the registered-figures table with that id on a page."""
    table = re.search(rf'id="{table_id}".*?</table>', html, re.S)
    assert table, table_id
    return {
        k: Decimal(unescape(v))
        for k, v in re.findall(r'data-figure="([^"]+)" data-value="([^"]*)"', table.group(0))
    }


def _check(
    where: str, got: dict[str, Decimal], expected: dict[str, Decimal], keys: Iterable[str]
) -> None:
    wrong = {k: (got.get(k), expected[k]) for k in keys if got.get(k) != expected[k]}
    assert not wrong, f"{where}: figure → (shown, counted) {wrong}"


def test_every_figure_agrees_on_the_demo_city(db: Session, db_url: str, app: Any) -> None:
    load_demo(db_url)
    # Summarise every day: first the days the load marked, then every day up to today.
    freshness.process(db, limit=None)
    today = figures.city_today()
    jobs.refresh(session_factory(db_url), date(today.year - 1, 1, 1), today)
    assert freshness.pending(db) == 0
    keys = [f.key for f in figures.FIGURES]
    count = Independent(db)
    year = figures.period("year", today.year)
    quarter = figures.period("quarter", today.year, (today.month - 1) // 3 + 1)
    spans: dict[str, figures.Period] = {"year": year, "quarter": quarter}
    expected = {
        name: count.values(span.start, span.end, _stock_day(db, span), None)
        for name, span in spans.items()
    }
    # The demo exercises the figures: a test of zeros would prove nothing.
    nonzero = {k for k, v in expected["year"].items() if v}
    assert len(nonzero) >= 30, sorted(set(keys) - nonzero)

    # 1. The figures service, for the city and each chain.
    for name, span in spans.items():
        service = {v.figure.key: v.total for v in figures.report(db, span)}
        _check(f"service {name}", service, expected[name], keys)
    chains = list(db.scalars(select(IndustryChain).where(IndustryChain.is_active)))
    chain_expected = {
        c.id: count.values(year.start, year.end, _stock_day(db, year), c.id) for c in chains
    }
    for c in chains:
        service = {v.figure.key: v.total for v in figures.report(db, year, c.id)}
        _check(f"service {c.name}", service, chain_expected[c.id], keys)

    with TestClient(app) as client:
        token = csrf(client)
        client.post(
            "/login",
            data={"username": "office", "password": DEMO_PASSWORD, "csrf_token": token},
        )
        # 2. The dashboard page: its registered-figures table and headlines.
        page = client.get("/dashboard?period=year").text
        _check("dashboard", _page_values(page, "all-figures"), expected["year"], keys)
        headlines = {
            k: Decimal(v)
            for k, v in re.findall(r'data-headline="([^"]+)" data-value="([^"]*)"', page)
        }
        _check("dashboard headlines", headlines, expected["year"], headlines)
        page = client.get(f"/dashboard?period=quarter&number={(today.month - 1) // 3 + 1}").text
        _check("dashboard quarter", _page_values(page, "all-figures"), expected["quarter"], keys)

        # 3. The dashboard API, the same numbers as JSON.
        issued = client.post(
            "/api/v1/auth/token", data={"username": "office", "password": DEMO_PASSWORD}
        )
        bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        data = client.get("/api/v1/dashboard?period=year", headers=bearer)
        assert data.status_code == 200, data.text
        api = {f["key"]: Decimal(str(f["total"])) for f in data.json()["figures"]}
        _check("dashboard API", api, expected["year"], keys)

        # 4. Each chain map: the chain's figures of the year, as the map loads them into its
        # page (the fragment) and as their own page.
        for c in chains:
            assert f'hx-get="/chains/{c.id}/figures"' in client.get(f"/chains/{c.id}").text
            fragment = client.get(f"/chains/{c.id}/figures", headers={"HX-Request": "true"}).text
            assert "<html" not in fragment
            _check(
                f"chain map {c.name}",
                _page_values(fragment, "all-figures"),
                chain_expected[c.id],
                keys,
            )
            page = client.get(f"/chains/{c.id}/figures").text
            _check(
                f"chain map {c.name}", _page_values(page, "all-figures"), chain_expected[c.id], keys
            )

    # 5. The Word briefing of the quarter, read back: the city table's 本季度 column.
    buffer = io.BytesIO()
    number = (today.month - 1) // 3 + 1
    briefing.write(db, today.year, number, "docx", buffer)
    table = Document(io.BytesIO(buffer.getvalue())).tables[0]
    printed = {r.cells[0].text: r.cells[2].text for r in table.rows[1:]}
    for figure in figures.FIGURES:
        want = briefing.display(expected["quarter"][figure.key], figure.unit)
        assert printed[figure.label] == want, (figure.key, printed[figure.label], want)
