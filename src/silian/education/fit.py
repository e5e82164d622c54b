"""Majors–industry fit index (专业-产业匹配度): supply of graduates, named-class students and
trainees against talent demand, per chain, per major and per university (formulas in
docs/education.md; pure functions over plain data, plus one loader)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

# A fact's chains: chain id → the share of its people that go to that chain (shares sum to 1).
Shares = Mapping[int, float]


@dataclass(frozen=True)
class OfferingFact:
    """A major a university runs, reduced to what the index needs."""

    university_id: int
    university: str
    major: str
    shares: Shares
    yearly_intake: int
    duration_years: int
    first_year: int
    last_year: int | None = None

    def graduates(self, year: int) -> int:
        """Expected graduates in year: the intake admitted duration years earlier, if admitted."""
        admitted = year - self.duration_years
        if admitted < self.first_year or (self.last_year is not None and admitted > self.last_year):
            return 0
        return self.yearly_intake


@dataclass(frozen=True)
class ClassFact:
    """A named class (冠名班): its students graduate in graduation_year."""

    university_id: int
    university: str
    major: str
    shares: Shares
    students: int
    graduation_year: int


@dataclass(frozen=True)
class TraineeFact:
    """Trainees of a training programme finishing in year (no major: they fill demand that
    names no major)."""

    chain_id: int | None
    year: int
    count: int


@dataclass(frozen=True)
class DemandFact:
    """Headcount needed in year: from a talent need or an investment project's needs table."""

    chain_id: int | None
    major: str  # catalogue name, or "" when the need names no major
    year: int
    count: int
    source: str  # "talent_need" or "investment_project"


@dataclass
class FitData:
    """Everything the index reads, as plain values (built by ``load`` or by a test)."""

    offerings: list[OfferingFact] = field(default_factory=list)
    classes: list[ClassFact] = field(default_factory=list)
    trainees: list[TraineeFact] = field(default_factory=list)
    demands: list[DemandFact] = field(default_factory=list)
    # Names of catalogue majors; demand naming anything else (an old major name, a discipline)
    # counts as demand naming no major. None: every name is a major.
    catalogue: frozenset[str] | None = None


@dataclass(frozen=True)
class MajorBalance:
    """Supply and demand of one major in the scope and year."""

    major: str
    graduates: float
    class_students: float
    demand: int

    @property
    def supply(self) -> float:
        """Graduates plus named-class students."""
        return self.graduates + self.class_students

    @property
    def balance(self) -> float:
        """Supply minus demand: positive is a surplus, negative a gap."""
        return self.supply - self.demand


@dataclass(frozen=True)
class Fit:
    """The index for one scope (city or chain) and year, with its parts."""

    year: int
    majors: list[MajorBalance]
    trainees: float
    unspecified_demand: int  # demand that names no major (or no catalogue major)
    unmatched: dict[str, int] = field(default_factory=dict)  # non-catalogue names → headcount

    @property
    def supply(self) -> float:
        """S = Σ graduates + Σ named-class students + trainees."""
        return sum(m.supply for m in self.majors) + self.trainees

    @property
    def demand(self) -> int:
        """D = Σ demand by major + demand naming no major."""
        return sum(m.demand for m in self.majors) + self.unspecified_demand

    @property
    def leftover(self) -> float:
        """Supply not taken by its own major's demand (these people can fill demand naming no
        major)."""
        return sum(max(m.supply - m.demand, 0.0) for m in self.majors) + self.trainees

    @property
    def matched(self) -> float:
        """M = Σ_m min(S_m, D_m) + min(leftover, D_0)."""
        by_major = sum(min(m.supply, m.demand) for m in self.majors)
        return by_major + min(self.leftover, self.unspecified_demand)

    @property
    def index(self) -> float | None:
        """Fit index = 100 × M / max(S, D); None when there is neither supply nor demand."""
        top = max(self.supply, self.demand)
        return round(100.0 * self.matched / top, 1) if top > 0 else None

    @property
    def gap(self) -> float:
        """Unmet demand D − M."""
        return self.demand - self.matched

    @property
    def surplus(self) -> float:
        """Unplaced supply S − M."""
        return self.supply - self.matched

    def surpluses(self) -> list[MajorBalance]:
        """Majors whose supply exceeds their demand, largest surplus first."""
        rows = [m for m in self.majors if m.balance >= 1]
        return sorted(rows, key=lambda m: (-m.balance, m.major))

    def gaps(self) -> list[MajorBalance]:
        """Majors whose demand exceeds their supply, largest gap first."""
        rows = [m for m in self.majors if m.balance <= -1]
        return sorted(rows, key=lambda m: (m.balance, m.major))


@dataclass(frozen=True)
class UniversityFit:
    """One university's graduates in the scope and year and how many the demand absorbs."""

    university_id: int
    university: str
    supply: float
    absorbed: float
    majors: int

    @property
    def index(self) -> float | None:
        """100 × absorbed / supply; None without supply."""
        return round(100.0 * self.absorbed / self.supply, 1) if self.supply > 0 else None


def share(shares: Shares, chain_id: int | None) -> float:
    """The part of a fact that counts in the scope: all of it city-wide (chain None), else its
    share for the chain."""
    if chain_id is None:
        return 1.0
    return float(shares.get(chain_id, 0.0))


def weighted_shares(weights: Mapping[int, int]) -> dict[int, float]:
    """Chain weights normalised to shares that sum to 1 (empty when no chain)."""
    total = sum(weights.values())
    return {c: w / total for c, w in weights.items()} if total > 0 else {}


def compute(data: FitData, year: int, chain_id: int | None = None) -> Fit:
    """Supply against demand in year, city-wide or for one chain."""
    graduates: dict[str, float] = defaultdict(float)
    students: dict[str, float] = defaultdict(float)
    demand: dict[str, int] = defaultdict(int)
    for o in data.offerings:
        part = share(o.shares, chain_id) * o.graduates(year)
        if part:
            graduates[o.major] += part
    for c in data.classes:
        if c.graduation_year == year:
            part = share(c.shares, chain_id) * c.students
            if part:
                students[c.major] += part
    trainees = sum(
        t.count
        for t in data.trainees
        if t.year == year and (chain_id is None or t.chain_id == chain_id)
    )
    unspecified = 0
    unmatched: dict[str, int] = {}
    for d in data.demands:
        if d.year != year or (chain_id is not None and d.chain_id != chain_id):
            continue
        if d.major and (data.catalogue is None or d.major in data.catalogue):
            demand[d.major] += d.count
        else:
            unspecified += d.count
            if d.major:
                unmatched[d.major] = unmatched.get(d.major, 0) + d.count
    names = sorted(set(graduates) | set(students) | set(demand))
    majors = [
        MajorBalance(m, round(graduates[m], 2), round(students[m], 2), demand[m]) for m in names
    ]
    return Fit(year, majors, float(trainees), unspecified, unmatched)


def universities(data: FitData, year: int, chain_id: int | None = None) -> list[UniversityFit]:
    """Per university: of its graduates and class students in the scope, how many the demand
    absorbs. Each major's demand is shared among universities in proportion to their supply
    (absorbed = S_u,m × min(1, D_m / S_m)); what is left over is absorbed by demand naming no
    major in the same proportion as city-wide (min(1, D_0 / leftover))."""
    fit = compute(data, year, chain_id)
    by_major = {m.major: m for m in fit.majors}
    rate = {m.major: min(1.0, m.demand / m.supply) if m.supply else 0.0 for m in fit.majors}
    rest_rate = min(1.0, fit.unspecified_demand / fit.leftover) if fit.leftover else 0.0
    supply: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    names: dict[int, str] = {}
    for o in data.offerings:
        part = share(o.shares, chain_id) * o.graduates(year)
        if part:
            supply[o.university_id][o.major] += part
            names[o.university_id] = o.university
    for c in data.classes:
        if c.graduation_year == year:
            part = share(c.shares, chain_id) * c.students
            if part:
                supply[c.university_id][c.major] += part
                names[c.university_id] = c.university
    out = []
    for uid, majors in supply.items():
        absorbed = 0.0
        for major, count in majors.items():
            direct = count * rate[major] if major in by_major else 0.0
            absorbed += direct + (count - direct) * rest_rate
        out.append(
            UniversityFit(
                uid, names[uid], round(sum(majors.values()), 2), round(absorbed, 2), len(majors)
            )
        )
    return sorted(out, key=lambda u: (-u.supply, u.university))


def trend(data: FitData, years: Iterable[int], chain_id: int | None = None) -> list[Fit]:
    """The index for each year (for the trend chart)."""
    return [compute(data, y, chain_id) for y in years]


# --- loader ------------------------------------------------------------------------------------


def _year_of_need(row: Mapping[str, Any], opening_year: int | None) -> int | None:
    try:
        year = int(row.get("year") or 0)
    except (TypeError, ValueError):
        year = 0
    return year or opening_year


def load(session: Session) -> FitData:
    """Read the facts from the database: major offerings with their chain shares, named classes,
    training programmes, open and filled talent needs, and investment projects' needs tables
    (read only; rows naming a catalogue code are matched by code, others by name)."""
    from silian.coordination.models import InvestmentProject
    from silian.education.models import Major, MajorChain, MajorOffering, NamedClass
    from silian.talent.models import TalentNeed
    from silian.training.models import TrainingProgramme

    weights: dict[int, dict[int, int]] = defaultdict(dict)
    for mc in session.scalars(select(MajorChain)):
        weights[mc.major_id][mc.chain_id] = mc.weight
    majors = list(session.scalars(select(Major)))
    by_name: dict[str, Major] = {}
    for m in sorted(majors, key=lambda m: (m.level != "undergraduate", m.code)):
        by_name.setdefault(m.name, m)
    by_code = {m.code: m for m in majors}

    def major_shares(name: str) -> dict[int, float]:
        major = by_name.get(name)
        return weighted_shares(weights.get(major.id, {})) if major else {}

    data = FitData(catalogue=frozenset(by_name))
    for o in session.scalars(select(MajorOffering)):
        shares = {o.chain_id: 1.0} if o.chain_id else weighted_shares(weights.get(o.major_id, {}))
        data.offerings.append(
            OfferingFact(
                o.university_id,
                o.university.name,
                o.major.name,
                shares,
                o.yearly_intake,
                o.duration_years,
                o.first_year,
                o.last_year,
            )
        )
    project_chain = dict(
        session.execute(select(InvestmentProject.id, InvestmentProject.chain_id)).all()
    )
    for c in session.scalars(select(NamedClass)):
        chain = project_chain.get(c.investment_project_id) if c.investment_project_id else None
        shares = {chain: 1.0} if chain else major_shares(c.major_name.strip())
        data.classes.append(
            ClassFact(
                c.university_id,
                c.university.name,
                c.major_name.strip(),
                shares,
                c.students,
                c.graduation_year,
            )
        )
    for p in session.scalars(
        select(TrainingProgramme).where(TrainingProgramme.status != "cancelled")
    ):
        data.trainees.append(TraineeFact(p.chain_id or p.base.chain_id, p.ends_on.year, p.taken))
    for n in session.scalars(select(TalentNeed).where(TalentNeed.status.in_(("open", "filled")))):
        year = n.deadline.year if n.deadline else n.created_at.year
        data.demands.append(
            DemandFact(n.chain_id, n.major.strip(), year, n.headcount, "talent_need")
        )
    for project in session.scalars(
        select(InvestmentProject).where(InvestmentProject.status != "cancelled")
    ):
        opening = project.opening_date.year if project.opening_date else None
        for row in project.talent_needs or []:
            if not isinstance(row, Mapping):
                continue
            try:
                count = int(row.get("count") or 0)
            except (TypeError, ValueError):
                continue
            needed_in = _year_of_need(row, opening)
            if count <= 0 or needed_in is None:
                continue
            code = str(row.get("code") or "").strip()
            name = by_code[code].name if code in by_code else str(row.get("major") or "").strip()
            data.demands.append(
                DemandFact(project.chain_id, name, needed_in, count, "investment_project")
            )
    return data
