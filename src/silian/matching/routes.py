"""Matching pages and REST endpoints: suggestion panels, free-text matching, feedback, and
queueing suggestions for brokers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements import service as achievements
from silian.brokerage import routes as brokerage_routes
from silian.brokerage import service as brokerage
from silian.brokerage.choices import FEEDBACK_VERDICTS
from silian.brokerage.schemas import MatchOut
from silian.coordination.models import InvestmentProject
from silian.core import permissions
from silian.core.errors import NotFound, ValidationFailed
from silian.core.fields import Multiline
from silian.core.flash import redirect
from silian.core.idempotency import idempotency_key, idempotent_create
from silian.core.money import Money
from silian.core.permissions import can, require
from silian.core.schemas import InputModel
from silian.core.web import (
    api_require_user,
    api_user,
    csrf_protect,
    current_user,
    form_dict,
    get_db,
    int_or_none,
    render,
    require_user,
    settings_of,
)
from silian.demands import service as demands
from silian.events import service as events
from silian.matching import jobs, sources
from silian.matching.engine import SIGNAL_LABELS
from silian.matching.service import Suggestion, get_service, suggest_for_chain
from silian.talent import service as talent

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["matching"])

KIND_LABELS = {
    "achievement": "科技成果",
    "demand": "技术需求",
    "talent": "专家人才",
    "platform": "中试/概念验证平台",
    "enterprise": "可能需要的企业",
    "named_class": "冠名班",
}
MAX_LIMIT = 50
# Where each source kind's own page lives; its panel is at <page>/matches.
SOURCE_PAGES = {
    "demand": "/demands",
    "achievement": "/achievements",
    "talent_need": "/talent-needs",
    "investment_project": "/investment-projects",
}


def _check_source(db: Session, user: User | None, kind: str, record_id: int) -> bool:
    """Raise unless user may see the source record; returns whether its full text may be used."""
    if kind == "demand":
        demand = demands.get_demand(db, user, record_id)
        return demands.details_visible(user, demand)
    if kind == "achievement":
        achievements.get_achievement(db, user, record_id)
        return True
    if kind == "talent_need":
        talent.get_need(db, user, record_id)
        return True
    if kind == "investment_project":
        project = db.get(InvestmentProject, record_id)
        if project is None:
            raise NotFound("招商项目不存在")
        require(user, "investment_project.view_matches", project)
        return True
    raise NotFound("不支持的匹配对象")


def _suggest(
    request: Request,
    db: Session,
    user: User | None,
    kind: str,
    record_id: int,
    target: str,
    limit: int,
) -> list[Suggestion]:
    if target not in sources.DIRECTIONS.get(kind, ()):
        allowed = "、".join(sources.DIRECTIONS.get(kind, ()))
        raise ValidationFailed({"kind": f"可选值：{allowed}"})
    full = _check_source(db, user, kind, record_id)
    service = get_service(settings_of(request))
    return service.suggest(db, kind, record_id, target, min(max(limit, 1), MAX_LIMIT), full=full)


# --- pages ---------------------------------------------------------------------------------


def _panel(
    request: Request,
    db: Session,
    user: User | None,
    kind: str,
    record_id: int,
    target: str,
) -> Response:
    items = _suggest(request, db, user, kind, record_id, target, 8)
    verdicts = brokerage.my_verdicts(db, user, kind, record_id) if user else {}
    fragment = request.headers.get("HX-Request") == "true"
    return render(
        request,
        "matching/_panel.html" if fragment else "matching/panel_page.html",
        {
            "items": items,
            "source_kind": kind,
            "source_id": record_id,
            "source_url": f"{SOURCE_PAGES[kind]}/{record_id}",
            "target": target,
            "targets": sources.DIRECTIONS[kind],
            "kind_labels": KIND_LABELS,
            "signal_labels": SIGNAL_LABELS,
            "verdicts": verdicts,
            "can_judge": can(user, "match.feedback"),
            "verdict_choices": list(FEEDBACK_VERDICTS),
        },
    )


@router.get("/demands/{demand_id}/matches")
def demand_panel(
    demand_id: int,
    request: Request,
    kind: str = "achievement",
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """推荐匹配 panel of a demand (HTMX fragment)."""
    return _panel(request, db, user, "demand", demand_id, kind)


@router.get("/achievements/{achievement_id}/matches")
def achievement_panel(
    achievement_id: int,
    request: Request,
    kind: str = "demand",
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """推荐匹配 panel of an achievement (HTMX fragment)."""
    return _panel(request, db, user, "achievement", achievement_id, kind)


@router.get("/talent-needs/{need_id}/matches")
def need_panel(
    need_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """Experts suggested for a talent need (HTMX fragment)."""
    return _panel(request, db, user, "talent_need", need_id, "talent")


@router.get("/investment-projects/{project_id}/matches")
def project_panel(
    project_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """Named classes suggested for an investment project (HTMX fragment), each one click from
    being linked."""
    return _panel(request, db, user, "investment_project", project_id, "named_class")


@router.get("/match")
def match_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Free-text matching: describe a need or an offer, get ranked records with reasons."""
    q = request.query_params
    text = q.get("text", "").strip()
    target = q.get("kind", "achievement")
    if target not in sources.TARGET_KINDS:
        target = "achievement"
    items: list[Suggestion] = []
    error = ""
    if text:
        if len(text) > 2000:
            error = "描述不能超过2000字"
        else:
            service = get_service(settings_of(request))
            items = service.match_text(db, text, target, 20, {"trl": int_or_none(q.get("trl"))})
    return render(
        request,
        "matching/search.html",
        {
            "text": text,
            "target": target,
            "trl": q.get("trl", ""),
            "items": items,
            "error": error,
            "kind_labels": KIND_LABELS,
            "signal_labels": SIGNAL_LABELS,
            "can_judge": False,
        },
    )


@router.post("/matches/feedback")
async def feedback_form(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Record 有用 / 无用 / 已联系 on one suggestion; answers with the updated buttons."""
    data = await form_dict(request)
    pair = _pair(data)
    _check_source(db, user, pair.source_kind, pair.source_id)
    brokerage.record_feedback(
        db,
        user,
        pair,
        str(data.get("verdict", "")),
        score=_float(data.get("score")),
        rank=int_or_none(str(data.get("rank", ""))),
    )
    return render(
        request,
        "matching/_feedback.html",
        {
            "s": {
                "kind": pair.target_kind,
                "id": pair.target_id,
                "score": data.get("score"),
                "rank": data.get("rank"),
            },
            "source_kind": pair.source_kind,
            "source_id": pair.source_id,
            "current": data.get("verdict"),
            "verdict_choices": list(FEEDBACK_VERDICTS),
            "saved": True,
        },
    )


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _pair(data: dict[str, Any]) -> brokerage.Pair:
    errors = {}
    values: dict[str, Any] = {}
    for key in ("source_kind", "target_kind"):
        values[key] = str(data.get(key, "")).strip()
        if not values[key]:
            errors[key] = "必填"
    for key in ("source_id", "target_id"):
        number = int_or_none(str(data.get(key, "")))
        if number is None:
            errors[key] = "应为整数"
        values[key] = number or 0
    if errors:
        raise ValidationFailed(errors)
    return brokerage.Pair(**values)


# --- API -----------------------------------------------------------------------------------


class SuggestionOut(BaseModel):
    """One suggestion: the record, its score, each signal's share and the reasons."""

    kind: str
    id: int
    title: str
    organization: str
    url: str
    score: float = Field(
        description="fused score; below 5 not returned once the index holds 500+ records"
    )
    strength: str = Field(description="高度相关 (≥ 20) / 较为相关 (≥ 10) / 可能相关 (≥ 5)")
    summary: list[str] = Field(description="up to three short reasons, then any TRL/budget misfit")
    rank: int
    shares: dict[str, float]
    reasons: dict[str, Any]


class MatchFilters(InputModel):
    """Structured facts that shape the ranking of a free-text match."""

    chains: list[str] = Field(default_factory=list, max_length=10)
    region: str = Field(default="", max_length=12)
    trl: int | None = Field(default=None, ge=1, le=9)
    budget: Money = Field(default=None, ge=0, le=Decimal("1e11"))


class MatchIn(InputModel):
    """Body of POST /api/v1/match."""

    text: Multiline = Field(min_length=2, max_length=2000)
    kind: Literal["achievement", "demand", "talent", "platform", "enterprise", "named_class"] = (
        "achievement"
    )
    filters: MatchFilters = Field(default_factory=MatchFilters)
    limit: int = Field(default=10, ge=1, le=MAX_LIMIT)


class FeedbackIn(InputModel):
    """Body of POST /api/v1/matches/feedback."""

    source_kind: str = Field(max_length=20)
    source_id: int
    target_kind: str = Field(max_length=20)
    target_id: int
    verdict: Literal["useful", "not_useful", "contacted"]
    score: float | None = None
    rank: int | None = None
    comment: Multiline = Field(default="", max_length=1000)


class FeedbackOut(BaseModel):
    """The stored feedback entry."""

    id: int
    match_id: int
    verdict: str
    created_at: str


def _out(items: list[Suggestion]) -> list[dict[str, Any]]:
    return [s.as_dict() for s in items]


@api.get("/demands/{demand_id}/matches", response_model=list[SuggestionOut])
def api_demand_matches(
    demand_id: int,
    request: Request,
    kind: Literal["achievement", "talent", "platform"] = "achievement",
    limit: int = Query(10, ge=1, le=MAX_LIMIT),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> Any:
    """Achievements, experts or platforms suggested for a demand, with reasons."""
    return _out(_suggest(request, db, user, "demand", demand_id, kind, limit))


@api.get("/achievements/{achievement_id}/matches", response_model=list[SuggestionOut])
def api_achievement_matches(
    achievement_id: int,
    request: Request,
    kind: Literal["demand", "enterprise"] = "demand",
    limit: int = Query(10, ge=1, le=MAX_LIMIT),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> Any:
    """Demands, or enterprises likely to need it, suggested for an achievement."""
    return _out(_suggest(request, db, user, "achievement", achievement_id, kind, limit))


@api.get("/talent-needs/{need_id}/matches", response_model=list[SuggestionOut])
def api_need_matches(
    need_id: int,
    request: Request,
    limit: int = Query(10, ge=1, le=MAX_LIMIT),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> Any:
    """Experts suggested for a talent need."""
    return _out(_suggest(request, db, user, "talent_need", need_id, "talent", limit))


@api.get("/investment-projects/{project_id}/matches", response_model=list[SuggestionOut])
def api_project_matches(
    project_id: int,
    request: Request,
    limit: int = Query(10, ge=1, le=MAX_LIMIT),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> Any:
    """Named classes (and their majors) suggested for an investment project's talent needs."""
    return _out(_suggest(request, db, user, "investment_project", project_id, "named_class", limit))


@api.post("/match", response_model=list[SuggestionOut])
def api_match(
    body: MatchIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> Any:
    """Match free text against one kind of record."""
    service = get_service(settings_of(request))
    return _out(service.match_text(db, body.text, body.kind, body.limit, body.filters.model_dump()))


@api.post("/matches/feedback", response_model=FeedbackOut, status_code=201)
def api_feedback(
    body: FeedbackIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Mark a suggestion useful, not useful or contacted (retry safely with an Idempotency-Key)."""
    _check_source(db, user, body.source_kind, body.source_id)
    pair = brokerage.Pair(body.source_kind, body.source_id, body.target_kind, body.target_id)
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: brokerage.record_feedback(
            db, user, pair, body.verdict, score=body.score, rank=body.rank, comment=body.comment
        ),
        lambda item: {
            "id": item.id,
            "match_id": item.match_id,
            "verdict": item.verdict,
            "created_at": item.created_at.isoformat(),
        },
    )


class GenerateIn(InputModel):
    """Queue the engine's suggestions for one demand or achievement."""

    source_kind: Literal["demand", "achievement"]
    source_id: int


def _generate(request: Request, db: Session, user: User, kind: str, source_id: int) -> int:
    """Office: queue suggestions for brokers (on demand, e.g. for an achievement)."""
    permissions.require(user, "match.assign")
    _check_source(db, user, kind, source_id)
    return len(jobs.suggest_into_queue(settings_of(request), db, kind, source_id))


@router.post("/matches/generate")
async def generate_page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Queue suggestions for brokers from a demand's or achievement's page."""
    form = await form_dict(request)
    kind = form.get("source_kind", "")
    if kind not in jobs.QUEUE_TARGETS:
        raise ValidationFailed({"source_kind": "只能为技术需求或科技成果生成撮合建议"})
    made = _generate(request, db, user, kind, int_or_none(form.get("source_id")) or 0)
    if made:
        return redirect("/brokerage", f"已生成 {made} 条撮合建议，并按规则分派给经纪人")
    return redirect("/brokerage", "没有新的撮合建议：已有的建议不重复生成，得分过低的不列入")


@api.post("/matches/generate", response_model=list[MatchOut], status_code=201)
def api_generate(
    body: GenerateIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Queue the engine's top suggestions as matches assigned to brokers (office; retry safely
    with an Idempotency-Key)."""
    permissions.require(user, "match.assign")
    _check_source(db, user, body.source_kind, body.source_id)
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: jobs.suggest_into_queue(settings_of(request), db, body.source_kind, body.source_id),
        lambda made: [brokerage_routes.match_out(db, m) for m in made],
    )


# --- suggestions for an event's programme ----------------------------------------------------


def _event_suggestions(
    request: Request, db: Session, user: User | None, event_id: int, limit: int
) -> tuple[Any, list[Any]]:
    item = events.get_event(db, user, event_id)
    require(user, "event.suggest")
    if item.chain_id is None:
        return item, []
    entered = {e.achievement_id for e in events.entries(db, item)}
    service = get_service(settings_of(request))
    return item, suggest_for_chain(service, db, item.chain_id, entered, limit)


@router.get("/events/{event_id}/suggestions")
def event_suggestions_page(
    event_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Published achievements that fit the event's chain's open demands, with reasons."""
    item, items = _event_suggestions(request, db, user, event_id, 12)
    return render(request, "matching/event_suggestions.html", {"item": item, "items": items})


class EventSuggestionDemandOut(BaseModel):
    """An open demand a suggested achievement fits."""

    demand_id: int
    title: str
    score: float
    reasons: list[str]


class EventSuggestionOut(BaseModel):
    """A suggested achievement for an event's programme."""

    achievement_id: int
    title: str
    organization: str
    url: str
    score: float
    demands: list[EventSuggestionDemandOut]
    reasons: list[str]


@api.get("/events/{event_id}/suggestions", response_model=list[EventSuggestionOut])
def api_event_suggestions(
    event_id: int,
    request: Request,
    limit: int = Query(10, ge=1, le=MAX_LIMIT),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> list[dict[str, Any]]:
    """Published achievements that best fit the open demands of the event's chain (office)."""
    _, items = _event_suggestions(request, db, user, event_id, limit)
    return [s.as_dict() for s in items]
