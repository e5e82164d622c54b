"""Talent-arrival forecast of an investment project (「项目建成、人才到岗」): pure functions over
plain data, and one loader that reads that data from the database.

For each major the project needs (headcount summed over its rows), with Y the opening year:

    linked   = students of named classes linked to the project, in that major, graduating ≤ Y
    city     = Σ graduates(y) of the city's major offerings matching the major,
               for y from min(this year, Y) to Y
    arrivals = (linked + city × hire_share) × retention_rate
    gap      = max(0, need − arrivals)

A major is met when arrivals ≥ need; the project is at risk when any major is not met. A
project with no opening date or no needs cannot be assessed; a cancelled one is not assessed.
docs/investment.md writes the same formula for people.
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.coordination.models import InvestmentProject
from silian.core import clock
from silian.education.models import Major, MajorOffering, NamedClass


def major_key(text: str) -> str:
    """A major's name or code compared without width, case or spaces."""
    return "".join(unicodedata.normalize("NFKC", text or "").split()).lower()


@dataclass(frozen=True)
class NeedRow:
    """One needed major: its name, optional catalogue code, year needed and headcount."""

    major: str
    count: int
    year: int | None = None
    code: str = ""


@dataclass(frozen=True)
class ClassSupply:
    """A named class linked to the project."""

    class_id: int
    name: str
    major: str
    students: int
    graduation_year: int


@dataclass(frozen=True)
class OfferingSupply:
    """A major a school of the city runs, with its expected graduates by year."""

    offering_id: int
    school: str
    major: str
    code: str
    graduates_by_year: dict[int, int]


@dataclass
class MajorForecast:
    """The computation for one needed major."""

    major: str
    code: str
    need: int
    classes: list[tuple[ClassSupply, bool]] = field(default_factory=list)  # (class, counted)
    offerings: list[tuple[OfferingSupply, int]] = field(default_factory=list)  # (offering, grads)
    linked: int = 0
    city: int = 0
    arrivals: float = 0.0

    @property
    def gap(self) -> int:
        """People still missing (rounded up), 0 when met."""
        return max(0, math.ceil(self.need - self.arrivals - 1e-9))

    @property
    def met(self) -> bool:
        """Whether the expected arrivals cover the need."""
        return self.gap == 0


@dataclass
class Forecast:
    """The forecast of one project: per major, the assumptions used, and the verdict."""

    opening_date: date | None
    retention_rate: float
    hire_share: float
    first_year: int | None
    majors: list[MajorForecast] = field(default_factory=list)
    reason: str = ""  # why the project cannot be assessed ("" when it can)

    @property
    def assessable(self) -> bool:
        """Whether a verdict could be reached."""
        return not self.reason

    @property
    def at_risk(self) -> bool:
        """Whether some needed major will not be covered by the opening date."""
        return self.assessable and any(not m.met for m in self.majors)

    @property
    def need(self) -> int:
        """Total headcount needed."""
        return sum(m.need for m in self.majors)

    @property
    def gap(self) -> int:
        """Total people missing over all majors."""
        return sum(m.gap for m in self.majors)

    @property
    def arrivals(self) -> float:
        """Total expected arrivals over all majors (a surplus in one major is not capped)."""
        return sum(m.arrivals for m in self.majors)


def _matches(need: NeedRow, major: str, code: str) -> bool:
    keys = {major_key(need.major)} - {""}
    if need.code:
        keys.add(major_key(need.code))
    return major_key(major) in keys or (bool(code) and major_key(code) in keys)


def forecast(
    needs: Sequence[NeedRow],
    classes: Iterable[ClassSupply],
    offerings: Iterable[OfferingSupply],
    *,
    opening_date: date | None,
    today: date,
    retention_rate: float,
    hire_share: float,
    status: str = "signed",
) -> Forecast:
    """The arrival forecast from plain data (see the module docstring for the formula)."""
    result = Forecast(opening_date, retention_rate, hire_share, None)
    if status == "cancelled":
        result.reason = "项目已终止，不再预测人才到岗"
        return result
    if opening_date is None:
        result.reason = "未填写投产日期，无法预测人才到岗"
        return result
    if not needs:
        result.reason = "未填写分专业人才需求，无法预测人才到岗"
        return result
    last = opening_date.year
    first = min(today.year, last)
    result.first_year = first
    grouped: dict[str, MajorForecast] = {}
    rows: dict[str, NeedRow] = {}
    for row in needs:
        key = major_key(row.major or row.code)
        if key not in grouped:
            grouped[key] = MajorForecast(row.major or row.code, row.code, 0)
            rows[key] = row
        grouped[key].need += row.count
    classes = list(classes)
    offerings = list(offerings)
    for key, item in grouped.items():
        row = rows[key]
        for klass in classes:
            if _matches(row, klass.major, ""):
                counted = klass.graduation_year <= last
                item.classes.append((klass, counted))
                if counted:
                    item.linked += klass.students
        for offering in offerings:
            if _matches(row, offering.major, offering.code):
                grads = sum(offering.graduates_by_year.get(y, 0) for y in range(first, last + 1))
                item.offerings.append((offering, grads))
                item.city += grads
        item.arrivals = (item.linked + item.city * hire_share) * retention_rate
        result.majors.append(item)
    return result


# --- loader ----------------------------------------------------------------------------------


def need_rows(raw: Any) -> list[NeedRow]:
    """The stored needs (JSON) as rows; rows stored before validation are read leniently."""
    out: list[NeedRow] = []
    for entry in raw or []:
        if not isinstance(entry, dict):
            continue
        try:
            count = int(entry.get("count") or 0)
        except (TypeError, ValueError):
            continue
        major = str(entry.get("major") or "").strip()
        code = str(entry.get("code") or "").strip()
        year = entry.get("year")
        if (major or code) and count > 0:
            out.append(NeedRow(major, count, int(year) if year else None, code))
    return out


def load_inputs(
    session: Session, project: InvestmentProject, years: range
) -> tuple[list[NeedRow], list[ClassSupply], list[OfferingSupply]]:
    """The project's needs, linked classes and the city's matching offerings from the database."""
    needs = need_rows(project.talent_needs)
    classes = [
        ClassSupply(c.id, c.name, c.major_name, c.students, c.graduation_year)
        for c in session.scalars(
            select(NamedClass)
            .where(NamedClass.investment_project_id == project.id)
            .order_by(NamedClass.graduation_year, NamedClass.id)
        )
    ]
    names = {major_key(n.major) for n in needs} | {major_key(n.code) for n in needs if n.code}
    offerings: list[OfferingSupply] = []
    if needs and years:
        stmt = select(MajorOffering).join(Major, Major.id == MajorOffering.major_id)
        for o in session.scalars(stmt.order_by(MajorOffering.id)):
            if major_key(o.major.name) in names or major_key(o.major.code) in names:
                offerings.append(
                    OfferingSupply(
                        o.id,
                        o.university.name,
                        o.major.name,
                        o.major.code,
                        {y: o.graduates(y) for y in years},
                    )
                )
    return needs, classes, offerings


def project_forecast(
    session: Session,
    project: InvestmentProject,
    *,
    retention_rate: float,
    hire_share: float,
    today: date | None = None,
) -> Forecast:
    """The forecast of one stored project."""
    today = today or clock.today()
    last = project.opening_date.year if project.opening_date else None
    years = range(min(today.year, last), last + 1) if last is not None else range(0)
    needs, classes, offerings = load_inputs(session, project, years)
    return forecast(
        needs,
        classes,
        offerings,
        opening_date=project.opening_date,
        today=today,
        retention_rate=retention_rate,
        hire_share=hire_share,
        status=project.status,
    )


def risk_by_project(
    session: Session,
    projects: Sequence[InvestmentProject],
    *,
    retention_rate: float,
    hire_share: float,
    today: date | None = None,
) -> dict[int, Forecast]:
    """Forecasts of many projects (for list badges and figures), reading offerings once."""
    today = today or clock.today()
    if not projects:
        return {}
    ids = [p.id for p in projects]
    by_project: dict[int, list[ClassSupply]] = defaultdict(list)
    for c in session.scalars(select(NamedClass).where(NamedClass.investment_project_id.in_(ids))):
        assert c.investment_project_id is not None
        by_project[c.investment_project_id].append(
            ClassSupply(c.id, c.name, c.major_name, c.students, c.graduation_year)
        )
    years = [p.opening_date.year for p in projects if p.opening_date]
    offerings: list[OfferingSupply] = []
    if years:
        span = range(min(min(years), today.year), max(years) + 1)
        for o in session.scalars(select(MajorOffering).order_by(MajorOffering.id)):
            offerings.append(
                OfferingSupply(
                    o.id,
                    o.university.name,
                    o.major.name,
                    o.major.code,
                    {y: o.graduates(y) for y in span},
                )
            )
    return {
        p.id: forecast(
            need_rows(p.talent_needs),
            by_project[p.id],
            offerings,
            opening_date=p.opening_date,
            today=today,
            retention_rate=retention_rate,
            hire_share=hire_share,
            status=p.status,
        )
        for p in projects
    }
