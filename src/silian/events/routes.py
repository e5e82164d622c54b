"""Event pages and REST endpoints: parse the request, call one service, render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage.choices import TRADE_MODES
from silian.chains.models import IndustryChain
from silian.core.concurrency import etag, version_from_form
from silian.core.errors import PermissionDenied, ValidationFailed
from silian.core.flash import redirect
from silian.core.idempotency import idempotency_key, idempotent_create
from silian.core.permissions import can, denied
from silian.core.web import (
    PUT_RESPONSES,
    api_require_user,
    api_user,
    csrf_protect,
    current_user,
    form_dict,
    get_db,
    if_match_version,
    int_or_none,
    render,
    require_permission,
    require_user,
)
from silian.events import choices, service
from silian.events.models import Event, EventEntry, EventJudge, EventLead, EventRegistration
from silian.events.schemas import (
    LABELS,
    ConflictIn,
    EntryIn,
    EntryOut,
    EntryReviewIn,
    EventIn,
    EventOut,
    EventPage,
    JudgeIn,
    JudgeOut,
    LeadDealIn,
    LeadIn,
    LeadOut,
    RankingRowOut,
    RegistrationIn,
    RegistrationOut,
    ScoreIn,
    ScoreOut,
)
from silian.organizations.models import Organization
from silian.talent.models import Talent

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(prefix="/api/v1/events", tags=["events"])

MAX_CRITERIA = 8


# --- form helpers ----------------------------------------------------------------------------


def _criteria_from_form(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Criterion rows of the form (criterion_name_0, criterion_weight_0, …), blanks skipped."""
    out = []
    for i in range(MAX_CRITERIA):
        name = str(data.pop(f"criterion_name_{i}", "") or "").strip()
        weight = data.pop(f"criterion_weight_{i}", "")
        if name or str(weight).strip():
            out.append({"name": name, "weight": weight})
    return out


def _form_context(db: Session) -> dict[str, Any]:
    return {
        "chains": list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order))),
        "choices": choices,
        "labels": LABELS,
        "max_criteria": MAX_CRITERIA,
    }


def _values(item: Event) -> dict[str, Any]:
    values: dict[str, Any] = {c.key: getattr(item, c.key) for c in Event.__mapper__.column_attrs}
    values["starts_at"] = item.starts_at.strftime("%Y-%m-%dT%H:%M")
    for i, c in enumerate(item.criteria):
        values[f"criterion_name_{i}"] = c["name"]
        values[f"criterion_weight_{i}"] = c["weight"]
    return values


def _detail_context(db: Session, user: User | None, item: Event) -> dict[str, Any]:
    own: list[Achievement] = []
    if user is not None and can(user, "event_entry.create") and item.status == "open_for_entries":
        entered = {e.achievement_id for e in service.entries(db, item)}
        own = [
            a
            for a in db.scalars(
                select(Achievement)
                .where(Achievement.status == "published")
                .where(
                    (Achievement.organization_id == user.organization_id)
                    | (Achievement.created_by_id == user.id)
                )
                .order_by(Achievement.title)
                .limit(200)
            )
            if a.id not in entered
        ]
    manage = can(user, "event.manage")
    experts: list[Talent] = []
    if manage and item.is_selection:
        assigned = {j.talent_id for j in service.judges(db, item)}
        experts = [
            t
            for t in db.scalars(
                select(Talent).where(Talent.user_id.is_not(None)).order_by(Talent.name).limit(200)
            )
            if t.id not in assigned
        ]
    enterprises: list[Organization] = []
    if can(user, "event_lead.record") and item.status in service.LEADS_OPEN:
        enterprises = list(
            db.scalars(
                select(Organization)
                .where(Organization.kind == "enterprise", Organization.is_active.is_(True))
                .order_by(Organization.name)
                .limit(500)
            )
        )
    mine = service.registrations(db, user, item)
    return {
        "item": item,
        "choices": choices,
        "entries": service.visible_entries(db, user, item),
        "registered": service.registered(db, item.id),
        "registrations": mine,
        "my_registration": next(
            (r for r in mine if user is not None and r.organization_id == user.organization_id),
            None,
        ),
        "actions": service.allowed_actions(user, item),
        "own_achievements": own,
        "judges": service.judges(db, item) if item.is_selection else [],
        "my_judge": service.judge_of(db, user, item),
        "experts": experts,
        "leads": service.leads(db, user, item),
        "enterprises": enterprises,
        "results": service.results(db, item),
        "trade_modes": TRADE_MODES,
        "transitions": service.TRANSITIONS,
    }


# --- pages -------------------------------------------------------------------------------------


@router.get("/events")
def list_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Roadshows, showcases and annual selections."""
    q = request.query_params
    kind = q.get("kind", "") if q.get("kind", "") in choices.EVENT_KINDS else ""
    chain_id = int_or_none(q.get("chain"))
    org_id = int_or_none(q.get("org"))
    page = service.list_events(
        db,
        user,
        int_or_none(q.get("page")) or 1,
        20,
        kind=kind,
        chain_id=chain_id,
        organization_id=org_id,
    )
    chains = list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order)))
    counts = {e.id: service.registered(db, e.id) for e in page.items}
    ctx = {"page": page, "kind": kind, "chain_id": chain_id, "chains": chains, "counts": counts}
    ctx["org_id"] = org_id
    return render(request, "events/list.html", ctx | {"choices": choices})


@router.get("/good-achievements")
def good_achievements_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """The public 青岛好成果 list: every published annual selection's ranked list."""
    lists = [(e, service.results(db, e)) for e in service.published_selections(db)]
    return render(request, "events/good_achievements.html", {"lists": lists})


@router.get("/events/new")
def new_page(
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("event.manage")),
) -> Response:
    """Blank form for a new event."""
    ctx = _form_context(db) | {"item": None, "values": {}, "errors": {}}
    return render(request, "events/form.html", ctx)


@router.post("/events/new")
async def create(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Create a planned event from the form, or show the form again with messages."""
    data = await form_dict(request)
    shown = dict(data)
    data["criteria"] = _criteria_from_form(data)
    try:
        item = service.create_event(db, user, data)
    except ValidationFailed as exc:
        db.rollback()
        ctx = _form_context(db) | {"item": None, "values": shown, "errors": exc.errors}
        return render(request, "events/form.html", ctx | {"message": exc.message}, 422)
    return redirect(f"/events/{item.id}", "活动已创建")


@router.get("/events/{event_id}")
def detail_page(
    event_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """One event: programme, registrations, judges, leads and the actions the user may take."""
    item = service.get_event(db, user, event_id)
    return render(request, "events/detail.html", _detail_context(db, user, item))


@router.get("/events/{event_id}/edit")
def edit_page(
    event_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("event.manage")),
) -> Response:
    """Edit form filled with the event's values."""
    item = service.get_event(db, user, event_id)
    ctx = _form_context(db) | {"item": item, "values": _values(item), "errors": {}}
    return render(request, "events/form.html", ctx)


@router.post("/events/{event_id}/edit")
async def update(
    event_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Save edits, or show the form again with messages."""
    data = await form_dict(request)
    loaded = version_from_form(data.pop("version", None))
    shown = dict(data)
    data["criteria"] = _criteria_from_form(data)
    try:
        item = service.update_event(db, user, event_id, data, loaded)
    except ValidationFailed as exc:
        db.rollback()
        item = service.get_event(db, user, event_id)
        ctx = _form_context(db) | {"item": item, "values": shown, "errors": exc.errors}
        return render(request, "events/form.html", ctx | {"message": exc.message}, 422)
    return redirect(f"/events/{item.id}", "活动已保存")


@router.post("/events/{event_id}/entries")
async def enter_page(
    event_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Enter one of one's published achievements."""
    service.enter_achievement(db, user, event_id, await form_dict(request))
    return RedirectResponse(f"/events/{event_id}?entered=1#entries", status_code=303)


@router.post("/events/{event_id}/entries/{entry_id}/review")
async def review_page(
    event_id: int,
    entry_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Approve or refuse an entry, with running order and presenter."""
    service.review_entry(db, user, event_id, entry_id, await form_dict(request))
    return redirect(f"/events/{event_id}#entries", "报名审核结果已保存")


@router.post("/events/{event_id}/registrations")
async def register_page(
    event_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Register one's enterprise's attendees."""
    service.register(db, user, event_id, await form_dict(request))
    return RedirectResponse(f"/events/{event_id}?registered=1", status_code=303)


@router.post("/events/{event_id}/judges")
async def judge_page(
    event_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Assign a judge to the annual selection."""
    service.assign_judge(db, user, event_id, await form_dict(request))
    return redirect(f"/events/{event_id}#judges", "已指派评委")


@router.get("/events/{event_id}/scoring")
def scoring_page(
    event_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """The judge's scoring sheet; the office sees the ranking with the spread between judges."""
    item = service.get_event(db, user, event_id)
    judge = service.judge_of(db, user, item)
    manage = can(user, "event.manage")
    if not item.is_selection or (judge is None and not manage):
        return render(request, "error.html", {"message": "您不是此次评选的评审专家"}, 403)
    ctx = {
        "item": item,
        "judge": judge,
        "sheet": service.scoring_sheet(db, user, item),
        "mine": service.my_scores(db, user, item),
        "entries": service.entries(db, item, approved_only=True),
        "ranking": service.ranking(db, item) if manage else [],
        "judges": service.judges(db, item),
    }
    return render(request, "events/scoring.html", ctx)


@router.post("/events/{event_id}/conflicts")
async def conflicts_page(
    event_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """A judge declares conflicts of interest (or none)."""
    data = await form_dict(request, ("entry_ids",))
    service.declare_conflicts(db, user, event_id, data)
    return redirect(f"/events/{event_id}/scoring", "回避声明已保存")


@router.post("/events/{event_id}/entries/{entry_id}/score")
async def score_page(
    event_id: int,
    entry_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """A judge scores one entry (fields score_<criterion index>)."""
    form = await form_dict(request)
    item = service.get_event(db, user, event_id)
    scores: dict[str, Any] = {}
    for i, c in enumerate(item.criteria):
        raw = str(form.get(f"score_{i}", "")).strip()
        if raw:
            try:
                scores[c["name"]] = float(raw)
            except ValueError:
                raise ValidationFailed({f"scores.{c['name']}": "请输入数字"}) from None
    service.submit_score(
        db, user, event_id, entry_id, {"scores": scores, "comment": form.get("comment", "")}
    )
    return redirect(f"/events/{event_id}/scoring", "评分已保存")


@router.post("/events/{event_id}/publish-results")
async def publish_page(
    event_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Publish the selection's ranked list with awards."""
    service.publish_results(db, user, event_id)
    return redirect("/good-achievements", "评选结果已发布")


@router.post("/events/{event_id}/leads")
async def lead_page(
    event_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Record an enterprise's interest in an entered achievement."""
    service.record_lead(db, user, event_id, await form_dict(request))
    return redirect(f"/events/{event_id}#leads", "合作意向已登记")


@router.post("/events/{event_id}/leads/{lead_id}/deal")
async def lead_deal_page(
    event_id: int,
    lead_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Turn a lead into a deal and open it."""
    lead = service.lead_to_deal(db, user, event_id, lead_id, await form_dict(request))
    return redirect(f"/deals/{lead.deal_id}", "意向已转为对接，请在此跟进")


@router.post("/events/{event_id}/{action}")
async def transition(
    event_id: int,
    action: str,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Move the event along its road (open, schedule, hold, close)."""
    await form_dict(request)
    service.change_status(db, user, event_id, action)
    return redirect(f"/events/{event_id}", "活动状态已更新")


# --- API -----------------------------------------------------------------------------------------


def _entry_out(entry: EventEntry) -> dict[str, Any]:
    return service.entry_dict(entry)


def _registration_out(row: EventRegistration) -> dict[str, Any]:
    data = {c.key: getattr(row, c.key) for c in EventRegistration.__mapper__.column_attrs}
    data["organization_name"] = row.organization.name
    return data


def _judge_out(judge: EventJudge) -> dict[str, Any]:
    return {
        "id": judge.id,
        "event_id": judge.event_id,
        "talent_id": judge.talent_id,
        "name": judge.talent.name,
        "declared": judge.declared_at is not None,
        "conflict_entry_ids": judge.conflict_entry_ids,
    }


def _lead_out(lead: EventLead) -> dict[str, Any]:
    data = {c.key: getattr(lead, c.key) for c in EventLead.__mapper__.column_attrs}
    data["organization_name"] = lead.organization.name
    return data


@api.get("", response_model=EventPage)
def api_list(
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=100),
    kind: str = Query("", description="roadshow / showcase / selection"),
    chain_id: int | None = Query(None),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """Events visible to the caller (planned ones only to the office)."""
    result = service.list_events(db, user, page, per_page, kind=kind, chain_id=chain_id)
    return {
        "items": [service.to_dict(db, e) for e in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
    }


@api.post("", response_model=EventOut, status_code=201)
def api_create(
    body: EventIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Create a planned event (office; retry safely with an Idempotency-Key)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.create_event(db, user, body.model_dump()),
        lambda item: EventOut.model_validate(service.to_dict(db, item)),
    )


@api.get("/{event_id}", response_model=EventOut)
def api_get(
    event_id: int,
    response: Response,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """One event; its ETag is what a PUT sends back in If-Match."""
    item = service.get_event(db, user, event_id)
    response.headers["ETag"] = etag(item)
    return service.to_dict(db, item)


@api.put("/{event_id}", response_model=EventOut, responses=PUT_RESPONSES)
def api_update(
    event_id: int,
    body: EventIn,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    version: int = Depends(if_match_version),
) -> dict[str, Any]:
    """Replace an event's fields; If-Match must carry the ETag last read."""
    item = service.update_event(db, user, event_id, body.model_dump(), version)
    response.headers["ETag"] = etag(item)
    return service.to_dict(db, item)


@api.get("/{event_id}/entries", response_model=list[EntryOut])
def api_entries(
    event_id: int, db: Session = Depends(get_db), user: User | None = Depends(api_user)
) -> list[dict[str, Any]]:
    """Entries the caller may see, in running order."""
    item = service.get_event(db, user, event_id)
    return [_entry_out(e) for e in service.visible_entries(db, user, item)]


@api.post("/{event_id}/entries", response_model=EntryOut, status_code=201)
def api_enter(
    event_id: int,
    body: EntryIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Enter one of one's published achievements (pending the office's review)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.enter_achievement(db, user, event_id, body.model_dump()),
        lambda entry: EntryOut.model_validate(_entry_out(entry)),
    )


@api.post("/{event_id}/entries/{entry_id}/review", response_model=EntryOut)
def api_review(
    event_id: int,
    entry_id: int,
    body: EntryReviewIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Approve or refuse an entry, with running order and presenter (office)."""
    return _entry_out(service.review_entry(db, user, event_id, entry_id, body.model_dump()))


@api.get("/{event_id}/registrations", response_model=list[RegistrationOut])
def api_registrations(
    event_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> list[dict[str, Any]]:
    """Registrations: all for the office, one's own unit's for others."""
    item = service.get_event(db, user, event_id)
    return [_registration_out(r) for r in service.registrations(db, user, item)]


@api.post("/{event_id}/registrations", response_model=RegistrationOut, status_code=201)
def api_register(
    event_id: int,
    body: RegistrationIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Register one's enterprise's attendees (refused beyond the capacity)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.register(db, user, event_id, body.model_dump()),
        lambda row: RegistrationOut.model_validate(_registration_out(row)),
    )


@api.post("/{event_id}/judges", response_model=JudgeOut, status_code=201)
def api_assign_judge(
    event_id: int,
    body: JudgeIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Assign an expert as judge of the annual selection (office)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.assign_judge(db, user, event_id, body.model_dump()),
        lambda judge: JudgeOut.model_validate(_judge_out(judge)),
    )


@api.post("/{event_id}/conflicts", response_model=JudgeOut)
def api_conflicts(
    event_id: int,
    body: ConflictIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """A judge declares conflicts of interest (an empty list declares none)."""
    return _judge_out(service.declare_conflicts(db, user, event_id, body.model_dump()))


@api.get("/{event_id}/scores", response_model=list[RankingRowOut])
def api_ranking(
    event_id: int, db: Session = Depends(get_db), user: User | None = Depends(api_user)
) -> list[dict[str, Any]]:
    """The ranking with the spread between judges: the office at any time, everyone once
    the results are published."""
    item = service.get_event(db, user, event_id)
    if item.results_published_at is None and not can(user, "event.manage"):
        raise PermissionDenied("评选结果尚未发布，发布前只有政府部门可以查看评分")
    return [
        {
            "entry_id": line.entry.id,
            "achievement_title": line.entry.achievement.title,
            "judges": len(line.row.totals),
            "mean": line.row.mean,
            "lowest": line.row.lowest,
            "spread": line.row.spread,
            "rank": line.row.rank,
            "award": line.award,
        }
        for line in service.ranking(db, item)
    ]


@api.post("/{event_id}/entries/{entry_id}/scores", response_model=ScoreOut)
def api_score(
    event_id: int,
    entry_id: int,
    body: ScoreIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """A judge scores one entry on every criterion (again before publication to revise)."""
    score = service.submit_score(db, user, event_id, entry_id, body.model_dump())
    return {
        "id": score.id,
        "entry_id": score.entry_id,
        "talent_id": score.talent_id,
        "score": score.score,
        "scores": score.scores,
        "comment": score.comment,
    }


@api.post("/{event_id}/publish-results", response_model=EventOut)
def api_publish(
    event_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """Publish the ranked list with awards (office); scores are frozen from then on."""
    return service.to_dict(db, service.publish_results(db, user, event_id))


@api.get("/{event_id}/leads", response_model=list[LeadOut])
def api_leads(
    event_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> list[dict[str, Any]]:
    """Leads recorded after the event (office and brokers)."""
    item = service.get_event(db, user, event_id)
    if not can(user, "event_lead.record"):
        raise denied("event_lead.record")
    return [_lead_out(lead) for lead in service.leads(db, user, item)]


@api.post("/{event_id}/leads", response_model=LeadOut, status_code=201)
def api_record_lead(
    event_id: int,
    body: LeadIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Record an enterprise's interest in an entered achievement (office, brokers)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.record_lead(db, user, event_id, body.model_dump()),
        lambda lead: LeadOut.model_validate(_lead_out(lead)),
    )


@api.post("/{event_id}/leads/{lead_id}/deal", response_model=LeadOut)
def api_lead_deal(
    event_id: int,
    lead_id: int,
    body: LeadDealIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Turn a lead into a deal on the brokers' road (channel 好成果发布平台)."""
    return _lead_out(service.lead_to_deal(db, user, event_id, lead_id, body.model_dump()))


@api.post("/{event_id}/{action}", response_model=EventOut)
def api_transition(
    event_id: int,
    action: str,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Move the event along its road: open, schedule, hold or close (office)."""
    return service.to_dict(db, service.change_status(db, user, event_id, action))
