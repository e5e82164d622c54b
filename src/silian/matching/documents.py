"""The engine's input and output records: documents, query profiles, filters, hits and reasons."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

PUBLISHED = "published"


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [
            v.strip()
            for v in value.replace("；", ";").replace("，", ",").replace(",", ";").split(";")
            if v.strip()
        ]
    return [str(v).strip() for v in value if str(v).strip()]


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _first(data: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if data.get(key) not in (None, ""):
            return data[key]
    return None


def to_epoch(value: Any) -> float | None:
    """Seconds since the epoch from a datetime, date, ISO string or number (None if unknown)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value) if value > 0 else None
    if isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return stamp.timestamp()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp()
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return to_epoch(parsed)


# Record kinds that offer something (their TRL is offered and their price asked), as opposed
# to demands, whose TRL is wanted and whose price is a budget.
SUPPLY_KINDS = frozenset({"achievement"})


def joined_text(title: str, keywords: Sequence[str], text: str) -> str:
    """A record's title, keywords and text as one query text (empty parts left out)."""
    return "。".join(p for p in (title, " ".join(keywords), text) if p)


@dataclass
class Document:
    """One record to index: ``id`` like "achievement:12", a ``kind`` and text plus structure.

    ``price`` is an achievement's asking price or a demand's budget in yuan (None or 0 = 面议);
    ``trl`` is offered (achievement) or wanted (demand) technology readiness 1–9; ``region`` is an
    administrative-division code; ``chains`` are industry-chain / GB/T 4754 codes; ``status``
    other than "published" keeps the record out of default results.
    """

    id: str
    kind: str = "document"
    title: str = ""
    keywords: list[str] = field(default_factory=list)
    text: str = ""
    disciplines: list[str] = field(default_factory=list)
    chains: list[str] = field(default_factory=list)
    region: str = ""
    trl: int | None = None
    price: float | None = None
    status: str = PUBLISHED
    updated_at: float | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Document:
        """Build from a dict (API/DB row or BEIR corpus line: ``_id``, ``discipline``...)."""
        doc_id = data.get("id", data.get("_id"))
        if doc_id is None or str(doc_id) == "":
            raise ValueError("文档缺少 id")
        disciplines = _strings(data.get("disciplines")) or _strings(data.get("discipline"))
        trl = _number(data.get("trl"))
        price = _number(_first(data, "price", "amount", "budget"))
        return cls(
            id=str(doc_id),
            kind=str(data.get("kind") or "document"),
            title=str(data.get("title") or ""),
            keywords=_strings(data.get("keywords")),
            text=str(data.get("text") or data.get("abstract") or ""),
            disciplines=disciplines,
            chains=_strings(data.get("chains")),
            region=str(data.get("region") or ""),
            trl=int(trl) if trl is not None else None,
            price=price if price else None,
            status=str(data.get("status") or PUBLISHED),
            updated_at=to_epoch(data.get("updated_at")),
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain dict of all fields."""
        return asdict(self)

    def query_text(self) -> str:
        """Title, keywords and text joined, for using this record as a query."""
        return joined_text(self.title, self.keywords, self.text)


@dataclass
class Profile:
    """Structured side of a query: what the asking record wants (all optional).

    ``trl`` is the wanted minimum readiness, ``budget`` the money available (yuan), ``region``
    the asker's division code, ``chains`` its industry codes, ``disciplines`` known disciplines.
    With ``offers=True`` the asker is a supply (an achievement looking for demands): ``trl`` is
    the readiness it offers and ``budget`` its asking price, compared with each hit's wanted TRL
    and budget the other way round.
    """

    disciplines: list[str] = field(default_factory=list)
    chains: list[str] = field(default_factory=list)
    region: str = ""
    trl: int | None = None
    budget: float | None = None
    offers: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> Profile:
        """Build from a dict; unknown keys are ignored."""
        if not data:
            return cls()
        trl = _number(data.get("trl"))
        budget = _number(_first(data, "budget", "amount", "price"))
        return cls(
            disciplines=_strings(data.get("disciplines")) or _strings(data.get("discipline")),
            chains=_strings(data.get("chains")),
            region=str(data.get("region") or ""),
            trl=int(trl) if trl is not None else None,
            budget=budget if budget else None,
        )

    @classmethod
    def of(cls, doc: Document) -> Profile:
        """The profile of a record used as a query (a demand's wants, an achievement's offer)."""
        return cls(
            list(doc.disciplines),
            list(doc.chains),
            doc.region,
            doc.trl,
            doc.price,
            offers=doc.kind in SUPPLY_KINDS,
        )


@dataclass
class Filters:
    """Hard constraints on results. ``statuses=None`` means published only."""

    kinds: list[str] = field(default_factory=list)
    statuses: list[str] | None = None
    region: str = ""
    chains: list[str] = field(default_factory=list)
    min_trl: int | None = None
    exclude: list[str] = field(default_factory=list)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> Filters:
        """Build from a dict with keys kinds/kind, statuses/status, region, chains, min_trl..."""
        if not data:
            return cls()
        statuses = data.get("statuses", data.get("status"))
        trl = _number(data.get("min_trl"))
        return cls(
            kinds=_strings(data.get("kinds", data.get("kind"))),
            statuses=None if statuses is None else _strings(statuses),
            region=str(data.get("region") or ""),
            chains=_strings(data.get("chains")),
            min_trl=int(trl) if trl is not None else None,
            exclude=_strings(data.get("exclude")),
        )


@dataclass
class Reason:
    """One piece of a recommendation reason (推荐理由): a code, a Chinese sentence and data."""

    code: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Hit:
    """A ranked result with its fused score, each signal's share of it, and reasons.

    ``reasons`` is data: ``lines`` (Chinese sentences, in order), ``matched_terms``
    (``{"term", "field"}`` with field title/keywords/text), ``semantic_words``, ``discipline``,
    ``shared_chains`` (the hit's given chains or tagged divisions the query names),
    ``inferred_chains`` (chains only the hit's tags show), and ``trl`` / ``budget`` / ``region`` /
    ``recency`` fits when known;
    ``items`` lists every reason as ``{"code", "text", ...data}``.
    """

    doc_id: str
    kind: str
    title: str
    score: float
    shares: dict[str, float]
    signals: dict[str, float]
    reasons: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the API."""
        return asdict(self)


def as_documents(items: Sequence[Document | Mapping[str, Any]]) -> list[Document]:
    """Accept documents or dicts."""
    return [d if isinstance(d, Document) else Document.from_mapping(d) for d in items]
