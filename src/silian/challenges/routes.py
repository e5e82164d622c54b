"""Challenge pages and REST endpoints: parse the request, call one service, render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.chains.models import IndustryChain
from silian.challenges import choices, service
from silian.challenges.models import BidScore, Challenge, Reviewer
from silian.challenges.schemas import (
    LABELS,
    AwardIn,
    BidEvaluationOut,
    BidIn,
    BidOut,
    ChallengeCreateIn,
    ChallengeIn,
    ChallengeOut,
    ChallengePage,
    CloseIn,
    ConflictIn,
    ReviewerIn,
    ReviewerOut,
    ScoreIn,
    ScoreOut,
)
from silian.core import permissions
from silian.core.concurrency import etag, version_from_etag, version_from_form
from silian.core.errors import ValidationFailed
from silian.core.flash import redirect
from silian.core.idempotency import idempotency_key, idempotent_create
from silian.core.money import format_money_input
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
    require_user,
)
from silian.demands.choices import LIST_TYPES
from silian.demands.models import Bid
from silian.talent.models import Talent

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
challenges_api = APIRouter(prefix="/api/v1/challenges", tags=["challenges"])
bids_api = APIRouter(prefix="/api/v1/bids", tags=["bids"])
PHASE_ROWS = 4
CRITERIA_ROWS = 6


# --- form parsing --------------------------------------------------------------------------


def settings_from_form(form: dict[str, Any]) -> dict[str, Any]:
    """Challenge settings from the page form's numbered phase and criterion rows."""
    phases = []
    for i in range(PHASE_ROWS):
        name = form.get(f"phase_name_{i}", "").strip()
        if name:
            phases.append(
                {
                    "name": name,
                    "starts_on": form.get(f"phase_start_{i}") or None,
                    "ends_on": form.get(f"phase_end_{i}") or None,
                    "criteria": form.get(f"phase_criteria_{i}", ""),
                }
            )
    criteria = []
    for i in range(CRITERIA_ROWS):
        name = form.get(f"criterion_name_{i}", "").strip()
        if name:
            criteria.append({"name": name, "weight": form.get(f"criterion_weight_{i}") or None})
    return {
        "bidding_deadline": form.get("bidding_deadline") or None,
        "phases": phases,
        "criteria": criteria,
        "prize": form.get("prize", ""),
        "ip_terms": form.get("ip_terms", "solver_keeps"),
        "confidential": form.get("confidential") == "1",
        "terms_text": form.get("terms_text", ""),
    }


def form_from_challenge(item: Challenge) -> dict[str, Any]:
    """The page form's values for an existing challenge."""
    values: dict[str, Any] = {
        "bidding_deadline": item.bidding_deadline.isoformat(),
        "prize": format_money_input(item.prize) if item.prize else "面议",
        "ip_terms": item.ip_terms,
        "confidential": "1" if item.confidential else "",
        "terms_text": item.terms_text,
    }
    for i, p in enumerate(item.phases):
        values |= {
            f"phase_name_{i}": p["name"],
            f"phase_start_{i}": p["starts_on"],
            f"phase_end_{i}": p["ends_on"],
            f"phase_criteria_{i}": p.get("criteria", ""),
        }
    for i, c in enumerate(item.criteria):
        values |= {f"criterion_name_{i}": c["name"], f"criterion_weight_{i}": c["weight"]}
    return values


def bid_from_form(form: dict[str, Any]) -> dict[str, Any]:
    """Bid fields from the page form; team members one per line as 姓名 角色."""
    members = []
    for line in form.get("team_members", "").splitlines():
        parts = line.replace("，", " ").replace(",", " ").split()
        if parts:
            members.append({"name": parts[0], "role": " ".join(parts[1:])})
    return {
        "team_name": form.get("team_name", ""),
        "proposal": form.get("proposal", ""),
        "team_members": members,
        "trl": form.get("trl", ""),
        "trl_evidence": form.get("trl_evidence", ""),
        "amount": form.get("amount", ""),
        "schedule": form.get("schedule", ""),
        "attachments": form.get("attachments", ""),
    }


def form_from_bid(bid: Bid) -> dict[str, Any]:
    """The bid form's values for an existing bid."""
    return {
        "team_name": bid.team_name,
        "proposal": bid.proposal,
        "team_members": "\n".join(
            f"{m['name']} {m.get('role', '')}".strip() for m in bid.team_members
        ),
        "trl": bid.trl or "",
        "trl_evidence": bid.trl_evidence,
        "amount": bid.amount if bid.amount is not None else "",
        "schedule": bid.schedule,
        "attachments": "\n".join(bid.attachments),
        "version": bid.version,
    }


def bid_out(bid: Bid) -> dict[str, Any]:
    """A bid for the API."""
    data = {c.key: getattr(bid, c.key) for c in Bid.__mapper__.column_attrs}
    data["organization_name"] = bid.organization.name if bid.organization else None
    return data


def _reviewer_out(r: Reviewer) -> dict[str, Any]:
    return {
        "id": r.id,
        "talent_id": r.talent_id,
        "name": r.talent.name,
        "user_id": r.user_id,
        "declared": r.declared_at is not None,
        "conflict_bid_ids": r.conflict_bid_ids,
    }


def _score_out(s: BidScore) -> dict[str, Any]:
    return {c.key: getattr(s, c.key) for c in BidScore.__mapper__.column_attrs}


def _evaluation_out(session: Session, item: Challenge) -> list[dict[str, Any]]:
    return [
        {
            "bid_id": e.bid.id,
            "team_name": e.bid.team_name,
            "status": e.bid.status,
            "totals": e.totals,
            "mean": e.mean,
            "spread": e.spread,
            "outliers": e.outliers,
            "wide_spread": e.wide_spread,
        }
        for e in service.evaluation(session, item)
    ]


# --- pages ---------------------------------------------------------------------------------


def _filters(request: Request) -> service.ChallengeFilters:
    q = request.query_params
    return service.ChallengeFilters(
        status=q.get("status", ""),
        list_type=q.get("list_type", ""),
        chain_id=int_or_none(q.get("chain")),
        q=q.get("q", "").strip(),
    )


@router.get("/challenges")
def hall(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """揭榜挂帅大厅: challenges with filters and the deadline countdown."""
    filters = _filters(request)
    page = service.list_challenges(
        db, user, filters, int_or_none(request.query_params.get("page")) or 1, 20
    )
    chains = list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order)))
    return render(
        request,
        "challenges/hall.html",
        {
            "page": page,
            "filters": filters,
            "chains": chains,
            "choices": choices,
            "list_types": LIST_TYPES,
            "days_left": service.days_left,
            "can_create": permissions.can(user, "challenge.create"),
        },
    )


def _settings_context(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "choices": choices,
        "labels": LABELS,
        "phase_rows": range(PHASE_ROWS),
        "criteria_rows": range(CRITERIA_ROWS),
    }


@router.get("/challenges/new")
def new_page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Challenge settings form for a published demand (?demand=ID)."""
    if not permissions.can(user, "challenge.create"):
        message = permissions.rule("challenge.create").message
        return render(request, "error.html", {"message": message}, 403)
    demand_id = int_or_none(request.query_params.get("demand"))
    values = {
        "criterion_name_0": "技术方案先进性",
        "criterion_weight_0": 40,
        "criterion_name_1": "团队能力",
        "criterion_weight_1": 30,
        "criterion_name_2": "报价与进度",
        "criterion_weight_2": 30,
    }
    ctx = _settings_context(values, {}) | {"demand_id": demand_id, "item": None}
    if demand_id is None:
        ctx["demands"] = service.eligible_demands(db, user)
    return render(request, "challenges/form.html", ctx)


@router.post("/challenges/new")
async def create_page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Create the challenge from the form, or show it again with messages."""
    form = await form_dict(request)
    demand_id = int_or_none(form.get("demand_id")) or 0
    try:
        if not demand_id:
            raise ValidationFailed({"demand_id": "请选择要揭榜挂帅的需求"})
        item = service.create_challenge(db, user, demand_id, settings_from_form(form))
    except ValidationFailed as exc:
        db.rollback()
        ctx = _settings_context(form, exc.errors) | {"demand_id": demand_id, "item": None}
        if not demand_id:
            ctx["demands"] = service.eligible_demands(db, user)
        return render(request, "challenges/form.html", ctx, 422)
    return redirect(f"/challenges/{item.id}", "揭榜挂帅榜单已创建")


@router.get("/challenges/{challenge_id}")
def detail_page(
    challenge_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """A challenge: settings, phases, criteria, and the bids this user may see."""
    item = service.get_challenge(db, user, challenge_id)
    bids = service.visible_bids(db, user, item)
    manager = user is not None and permissions.can(user, "challenge.manage", item.demand)
    talents: list[Talent] = []
    if manager and item.status in ("bidding", "evaluating"):
        talents = list(
            db.scalars(
                select(Talent).where(Talent.user_id.is_not(None)).order_by(Talent.name).limit(200)
            )
        )
    return render(
        request,
        "challenges/detail.html",
        {
            "item": item,
            "view": service.to_dict(db, user, item),
            "choices": choices,
            "bids": bids,
            "all_bids": service.may_see_all_bids(db, user, item),
            "manager": manager,
            "can_publish": user is not None and permissions.can(user, "challenge.publish"),
            "can_bid": user is not None
            and permissions.can(user, "bid.submit")
            and user.organization_id != item.organization_id,
            "deadline_passed": service.deadline_passed(item),
            "reviewers": service.reviewers(db, item),
            "my_review": service.reviewer_of(db, user, item),
            "talents": talents,
            "evaluation": service.evaluation(db, item) if manager else [],
        },
    )


@router.get("/challenges/{challenge_id}/edit")
def edit_page(
    challenge_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Settings form filled with the challenge's values."""
    item = service.get_challenge(db, user, challenge_id)
    permissions.require(user, "challenge.edit", item.demand)
    values = form_from_challenge(item) | {"version": item.version}
    ctx = _settings_context(values, {}) | {"demand_id": item.demand_id, "item": item}
    return render(request, "challenges/form.html", ctx)


@router.post("/challenges/{challenge_id}/edit")
async def edit(
    challenge_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Save the settings, or show the form again with messages."""
    form = await form_dict(request)
    try:
        service.update_challenge(
            db, user, challenge_id, settings_from_form(form), version_from_form(form.get("version"))
        )
    except ValidationFailed as exc:
        db.rollback()
        item = service.get_challenge(db, user, challenge_id)
        ctx = _settings_context(form, exc.errors) | {"demand_id": item.demand_id, "item": item}
        return render(request, "challenges/form.html", ctx, 422)
    return redirect(f"/challenges/{challenge_id}", "榜单设置已保存")


@router.post("/challenges/{challenge_id}/publish")
async def publish(
    challenge_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Office publishes the challenge."""
    form = await form_dict(request)
    service.publish_challenge(db, user, challenge_id, version_from_form(form.get("version")))
    return redirect(f"/challenges/{challenge_id}", "榜单已发布，进入揭榜期")


@router.post("/challenges/{challenge_id}/accept-terms")
async def accept_terms(
    challenge_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Record acceptance of the confidentiality terms."""
    service.accept_terms(db, user, challenge_id)
    return redirect(f"/challenges/{challenge_id}", "已确认保密条款，可查看完整榜单内容")


@router.post("/challenges/{challenge_id}/start-evaluation")
async def start_evaluation(
    challenge_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Open scoring after the deadline."""
    form = await form_dict(request)
    service.start_evaluation(db, user, challenge_id, version_from_form(form.get("version")))
    return redirect(f"/challenges/{challenge_id}", "揭榜已截止，进入评审")


@router.post("/challenges/{challenge_id}/close")
async def close(
    challenge_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Close without award, with a reason."""
    form = await form_dict(request)
    service.close_challenge(
        db,
        user,
        challenge_id,
        {"reason": form.get("reason", "")},
        version_from_form(form.get("version")),
    )
    return redirect(f"/challenges/{challenge_id}", "榜单已关闭")


@router.post("/challenges/{challenge_id}/reviewers")
async def add_reviewer(
    challenge_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Assign a reviewer."""
    form = await form_dict(request)
    service.assign_reviewer(db, user, challenge_id, {"talent_id": form.get("talent_id") or None})
    return redirect(f"/challenges/{challenge_id}", "已指派评审专家")


def _bid_context(
    item: Challenge, values: dict[str, Any], errors: dict[str, str], bid: Bid | None
) -> dict[str, Any]:
    return {"item": item, "values": values, "errors": errors, "bid": bid, "labels": LABELS}


@router.get("/challenges/{challenge_id}/bid")
def bid_page(
    challenge_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """The bid form: blank, or the unit's live bid to edit."""
    item = service.get_challenge(db, user, challenge_id)
    if not permissions.can(user, "bid.submit") or user.organization_id == item.organization_id:
        return render(request, "error.html", {"message": "您不能揭此榜"}, 403)
    mine = [
        b for b in service.visible_bids(db, user, item) if b.live_key and b.created_by_id == user.id
    ]
    bid = mine[0] if mine else None
    values = form_from_bid(bid) if bid else {}
    return render(request, "challenges/bid_form.html", _bid_context(item, values, {}, bid))


@router.post("/challenges/{challenge_id}/bid")
async def bid_submit(
    challenge_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Submit a new bid or save the edit of one's own bid."""
    form = await form_dict(request)
    bid_id = int_or_none(form.get("bid_id"))
    try:
        if bid_id:
            service.update_bid(
                db, user, bid_id, bid_from_form(form), version_from_form(form.get("version"))
            )
        else:
            service.submit_bid(db, user, challenge_id, bid_from_form(form))
    except ValidationFailed as exc:
        db.rollback()
        item = service.get_challenge(db, user, challenge_id)
        bid = db.get(Bid, bid_id) if bid_id else None
        return render(
            request, "challenges/bid_form.html", _bid_context(item, form, exc.errors, bid), 422
        )
    return redirect(f"/challenges/{challenge_id}", "揭榜方案已保存" if bid_id else "揭榜方案已提交")


@router.post("/bids/{bid_id}/withdraw")
async def bid_withdraw(
    bid_id: int, request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Withdraw one's own bid."""
    form = await form_dict(request)
    bid = service.withdraw_bid(db, user, bid_id, version_from_form(form.get("version")))
    item = service.challenge_for_demand(db, bid.demand_id)
    return redirect(f"/challenges/{item.id if item else ''}", "揭榜方案已撤回")


@router.post("/bids/{bid_id}/shortlist")
async def bid_shortlist(
    bid_id: int, request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Put a bid on the shortlist."""
    form = await form_dict(request)
    bid = service.shortlist_bid(db, user, bid_id, version_from_form(form.get("version")))
    item = service.challenge_for_demand(db, bid.demand_id)
    return redirect(f"/challenges/{item.id if item else ''}/award", "入围名单已更新")


@router.get("/challenges/{challenge_id}/review")
def review_page(
    challenge_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """The reviewer's scoring sheet: conflict declaration, then one score form per bid."""
    item = service.get_challenge(db, user, challenge_id)
    reviewer = service.reviewer_of(db, user, item)
    if reviewer is None:
        return render(request, "error.html", {"message": "您不是此榜单的评审专家"}, 403)
    return render(
        request,
        "challenges/review.html",
        {
            "item": item,
            "reviewer": reviewer,
            "bids": service.live_bids(db, item),
            "scorable": service.scorable(db, user, item),
            "criteria": item.scoring_criteria or item.criteria,
            "errors": {},
        },
    )


@router.post("/challenges/{challenge_id}/conflicts")
async def conflicts(
    challenge_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Record the reviewer's conflict-of-interest declaration."""
    form = await form_dict(request, list_fields=("bid_ids",))
    data = {
        "bid_ids": [int(b) for b in form["bid_ids"] if b.isdigit()],
        "note": form.get("note", ""),
    }
    service.declare_conflicts(db, user, challenge_id, data)
    return redirect(f"/challenges/{challenge_id}/review", "利益冲突声明已保存")


@router.post("/bids/{bid_id}/score")
async def score(
    bid_id: int, request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Save one reviewer's scores of one bid."""
    form = await form_dict(request)
    scores = {
        key.removeprefix("score__"): value
        for key, value in form.items()
        if key.startswith("score__") and value.strip()
    }
    try:
        parsed = {k: float(v) for k, v in scores.items()}
    except ValueError:
        raise ValidationFailed({"scores": "分数请填写数字"}) from None
    service.submit_score(db, user, bid_id, {"scores": parsed, "comment": form.get("comment", "")})
    bid = db.get(Bid, bid_id)
    item = service.challenge_for_demand(db, bid.demand_id) if bid else None
    return redirect(f"/challenges/{item.id if item else ''}/review", "评分已提交")


@router.get("/challenges/{challenge_id}/award")
def award_page(
    challenge_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Evaluation figures, shortlist and the award form with feedback to every other bidder."""
    item = service.get_challenge(db, user, challenge_id)
    permissions.require(user, "challenge.manage", item.demand)
    return render(
        request,
        "challenges/award.html",
        {
            "item": item,
            "evaluation": service.evaluation(db, item),
            "choices": choices,
            "errors": {},
            "values": {},
        },
    )


@router.post("/challenges/{challenge_id}/award")
async def award(
    challenge_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Award the chosen bid with feedback to the others."""
    form = await form_dict(request)
    feedback = {}
    winner = int_or_none(form.get("bid_id")) or 0
    for key, value in form.items():
        if key.startswith("reason_") and key[7:].isdigit():
            bid_id = int(key[7:])
            note = form.get(f"note_{bid_id}", "")
            # The winner's row and untouched rows carry nothing; the service names missing ones.
            if bid_id != winner and (value or note.strip()):
                feedback[bid_id] = {"reason": value, "note": note}
    data = {"bid_id": winner, "feedback": feedback}
    try:
        service.award(db, user, challenge_id, data, version_from_form(form.get("version")))
    except ValidationFailed as exc:
        db.rollback()
        item = service.get_challenge(db, user, challenge_id)
        ctx = {
            "item": item,
            "evaluation": service.evaluation(db, item),
            "choices": choices,
            "errors": exc.errors,
            "values": form,
        }
        return render(request, "challenges/award.html", ctx, 422)
    return redirect(f"/challenges/{challenge_id}", "已确定中榜方")


# --- REST ----------------------------------------------------------------------------------


@challenges_api.get("", response_model=ChallengePage)
def api_list(
    request: Request,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=100),
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """Challenges visible to the caller (filters: status, list_type, chain, q)."""
    result = service.list_challenges(db, user, _filters(request), page, per_page)
    return {
        "items": [service.to_dict(db, user, c) for c in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
    }


@challenges_api.post("", response_model=ChallengeOut, status_code=201)
def api_create(
    body: ChallengeCreateIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Run a published demand as a challenge (draft until the office publishes it; retry safely
    with an Idempotency-Key)."""
    data = body.model_dump(mode="json", exclude={"demand_id"})
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.create_challenge(db, user, body.demand_id, data),
        lambda item: service.to_dict(db, user, item),
    )


@challenges_api.get("/{challenge_id}", response_model=ChallengeOut)
def api_get(
    challenge_id: int,
    response: Response,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> dict[str, Any]:
    """One challenge (its ETag is what a PUT sends back in If-Match)."""
    item = service.get_challenge(db, user, challenge_id)
    response.headers["ETag"] = etag(item)
    return service.to_dict(db, user, item)


@challenges_api.put("/{challenge_id}", response_model=ChallengeOut, responses=PUT_RESPONSES)
def api_update(
    challenge_id: int,
    body: ChallengeIn,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    version: int = Depends(if_match_version),
) -> dict[str, Any]:
    """Replace the settings; If-Match must carry the ETag last read."""
    item = service.update_challenge(db, user, challenge_id, body.model_dump(mode="json"), version)
    response.headers["ETag"] = etag(item)
    return service.to_dict(db, user, item)


@challenges_api.post("/{challenge_id}/publish", response_model=ChallengeOut)
def api_publish(
    challenge_id: int,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Office publishes the challenge: bidding opens."""
    item = service.publish_challenge(db, user, challenge_id, version_from_etag(if_match))
    return service.to_dict(db, user, item)


@challenges_api.post("/{challenge_id}/accept-terms", response_model=ChallengeOut)
def api_accept_terms(
    challenge_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """Accept the confidentiality terms (recorded); full details become visible."""
    return service.to_dict(db, user, service.accept_terms(db, user, challenge_id))


@challenges_api.post("/{challenge_id}/start-evaluation", response_model=ChallengeOut)
def api_start_evaluation(
    challenge_id: int,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """After the deadline: freeze the weights and open scoring."""
    item = service.start_evaluation(db, user, challenge_id, version_from_etag(if_match))
    return service.to_dict(db, user, item)


@challenges_api.post("/{challenge_id}/close", response_model=ChallengeOut)
def api_close(
    challenge_id: int,
    body: CloseIn,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Close without award, with a reason."""
    item = service.close_challenge(
        db, user, challenge_id, body.model_dump(), version_from_etag(if_match)
    )
    return service.to_dict(db, user, item)


@challenges_api.post("/{challenge_id}/award", response_model=ChallengeOut)
def api_award(
    challenge_id: int,
    body: AwardIn,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Award one bid; feedback (reason, note) for every other live bid, keyed by bid id."""
    item = service.award(db, user, challenge_id, body.model_dump(), version_from_etag(if_match))
    return service.to_dict(db, user, item)


@challenges_api.get("/{challenge_id}/bids", response_model=list[BidOut])
def api_bids(
    challenge_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> list[dict[str, Any]]:
    """Bids the caller may see: own bids; all for the poster after the deadline and reviewers."""
    item = service.get_challenge(db, user, challenge_id)
    return [bid_out(b) for b in service.visible_bids(db, user, item)]


@challenges_api.post("/{challenge_id}/bids", response_model=BidOut, status_code=201)
def api_submit_bid(
    challenge_id: int,
    body: BidIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Submit a bid (one live bid per organisation; retry safely with an Idempotency-Key)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.submit_bid(db, user, challenge_id, body.model_dump(mode="json")),
        bid_out,
    )


@challenges_api.get("/{challenge_id}/reviewers", response_model=list[ReviewerOut], tags=["reviews"])
def api_reviewers(
    challenge_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> list[dict[str, Any]]:
    """Assigned reviewers (poster, office and reviewers)."""
    item = service.get_challenge(db, user, challenge_id)
    if not (
        permissions.can(user, "challenge.manage", item.demand)
        or service.reviewer_of(db, user, item)
    ):
        permissions.require(user, "challenge.manage", item.demand)
    return [_reviewer_out(r) for r in service.reviewers(db, item)]


@challenges_api.post(
    "/{challenge_id}/reviewers", response_model=ReviewerOut, status_code=201, tags=["reviews"]
)
def api_assign_reviewer(
    challenge_id: int,
    body: ReviewerIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Assign an expert as reviewer (office; the poster for 企业榜; retry safely with an
    Idempotency-Key)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.assign_reviewer(db, user, challenge_id, body.model_dump()),
        _reviewer_out,
    )


@challenges_api.post("/{challenge_id}/conflicts", response_model=ReviewerOut, tags=["reviews"])
def api_conflicts(
    challenge_id: int,
    body: ConflictIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The calling reviewer declares conflicts of interest (an empty list: none)."""
    return _reviewer_out(service.declare_conflicts(db, user, challenge_id, body.model_dump()))


@challenges_api.get(
    "/{challenge_id}/evaluation", response_model=list[BidEvaluationOut], tags=["reviews"]
)
def api_evaluation(
    challenge_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> list[dict[str, Any]]:
    """Weighted totals per reviewer, mean, spread and outliers of every live bid."""
    item = service.get_challenge(db, user, challenge_id)
    permissions.require(user, "challenge.manage", item.demand)
    return _evaluation_out(db, item)


@bids_api.get("/{bid_id}", response_model=BidOut)
def api_bid(
    bid_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """One bid the caller may see."""
    return bid_out(service.get_bid(db, user, bid_id)[0])


@bids_api.put("/{bid_id}", response_model=BidOut, responses=PUT_RESPONSES)
def api_update_bid(
    bid_id: int,
    body: BidIn,
    response: Response,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    version: int = Depends(if_match_version),
) -> dict[str, Any]:
    """Edit one's own bid until the deadline; If-Match must carry the ETag last read."""
    bid = service.update_bid(db, user, bid_id, body.model_dump(mode="json"), version)
    response.headers["ETag"] = etag(bid)
    return bid_out(bid)


@bids_api.post("/{bid_id}/withdraw", response_model=BidOut)
def api_withdraw_bid(
    bid_id: int,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Withdraw one's own bid until the deadline."""
    return bid_out(service.withdraw_bid(db, user, bid_id, version_from_etag(if_match)))


@bids_api.post("/{bid_id}/shortlist", response_model=BidOut)
def api_shortlist_bid(
    bid_id: int,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Shortlist a bid during evaluation."""
    return bid_out(service.shortlist_bid(db, user, bid_id, version_from_etag(if_match)))


@bids_api.post("/{bid_id}/scores", response_model=ScoreOut, status_code=201, tags=["reviews"])
def api_score(
    bid_id: int,
    body: ScoreIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """The calling reviewer scores a bid on every criterion (once; retry safely with an
    Idempotency-Key)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.submit_score(db, user, bid_id, body.model_dump()),
        _score_out,
    )


# One REST router for the app: challenges, their bids and reviews.
api = APIRouter()
api.include_router(challenges_api)
api.include_router(bids_api)
