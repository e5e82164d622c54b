"""Brokerage pages and REST endpoints: the brokers' queue, deals, contracts and figures."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.brokerage import choices, figures, service
from silian.brokerage.models import (
    Broker,
    BrokerTraining,
    Contract,
    Deal,
    Match,
    TrainingEnrollment,
)
from silian.brokerage.schemas import (
    CertifyIn,
    ContractCreateIn,
    ContractOut,
    DealOpenIn,
    DealOut,
    EnrollIn,
    EnrollmentOut,
    ExamIn,
    MatchOut,
    MilestoneDoneIn,
    PaymentIn,
    ReassignIn,
    StepIn,
    TrainingFiguresOut,
    TrainingIn,
    TrainingOut,
)
from silian.chains.models import IndustryChain
from silian.challenges.models import Challenge
from silian.core import clock, permissions
from silian.core.concurrency import version_from_etag, version_from_form
from silian.core.errors import NotFound, ValidationFailed
from silian.core.flash import redirect
from silian.core.idempotency import idempotency_key, idempotent_create
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
)
from silian.demands.models import Bid

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
deals_api = APIRouter(prefix="/api/v1/deals", tags=["deals"])
contracts_api = APIRouter(prefix="/api/v1/contracts", tags=["contracts"])
brokerage_api = APIRouter(prefix="/api/v1/brokerage", tags=["deals"])
MILESTONE_ROWS = 4


# --- shaping -------------------------------------------------------------------------------


def deal_out(db: Session, deal: Deal) -> dict[str, Any]:
    """A deal with its timeline for the API."""
    data = {c.key: getattr(deal, c.key) for c in Deal.__mapper__.column_attrs}
    data["broker_name"] = deal.broker.name if deal.broker else None
    data["stale"] = service.is_stale(deal)
    data["steps"] = [
        {c.key: getattr(s, c.key) for c in s.__mapper__.column_attrs}
        for s in service.deal_steps(db, deal)
    ]
    return data


def contract_out(contract: Contract) -> dict[str, Any]:
    """A contract with milestones (overdue flagged) and payments for the API."""
    data = {c.key: getattr(contract, c.key) for c in Contract.__mapper__.column_attrs}
    data["seller_name"] = contract.seller.name if contract.seller else None
    data["buyer_name"] = contract.buyer.name if contract.buyer else None
    data["paid"] = service.paid(contract)
    data["milestones"] = [
        {c.key: getattr(m, c.key) for c in m.__mapper__.column_attrs}
        | {"overdue": service.overdue(m)}
        for m in contract.milestones
    ]
    data["payments"] = [
        {c.key: getattr(p, c.key) for c in p.__mapper__.column_attrs} for p in contract.payments
    ]
    return data


def match_out(db: Session, match: Match) -> dict[str, Any]:
    """A match in the queue for the API."""
    data = {c.key: getattr(match, c.key) for c in Match.__mapper__.column_attrs}
    data["deal_id"] = db.scalar(select(Deal.id).where(Deal.match_id == match.id))
    return data


def contract_from_form(form: dict[str, Any]) -> dict[str, Any]:
    """Contract fields from the page form's numbered milestone rows."""
    milestones = []
    for i in range(MILESTONE_ROWS):
        name = form.get(f"milestone_name_{i}", "").strip()
        if name:
            milestones.append(
                {
                    "name": name,
                    "due_on": form.get(f"milestone_due_{i}") or None,
                    "amount": form.get(f"milestone_amount_{i}") or "0",
                }
            )
    return {
        "title": form.get("title", ""),
        "amount": form.get("amount") or None,
        "signed_on": form.get("signed_on") or None,
        "registration_no": form.get("registration_no", ""),
        "trade_mode": form.get("trade_mode", "transfer"),
        "broker_fee": form.get("broker_fee", ""),
        "milestones": milestones,
    }


# --- pages ---------------------------------------------------------------------------------


@router.get("/brokerage")
def queue_page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """The broker's queue (the office sees every broker's): what needs action today, figures."""
    permissions.require(user, "brokerage.figures")
    work = service.queue(db, user)
    broker = service.broker_of(db, user)
    sees_all = permissions.sees_everything(user, "deal.advance")
    numbers = figures.figures(db, None if sees_all else (broker.id if broker else None))
    brokers = list(db.scalars(select(Broker).order_by(Broker.name))) if sees_all else []
    return render(
        request,
        "brokerage/queue.html",
        {
            "work": work,
            "titles": service.pair_titles(db, work.matches),
            "figures": numbers,
            "choices": choices,
            "broker": broker,
            "brokers": brokers,
            "loads": service.broker_loads(db),
            "sees_all": sees_all,
            "default_due": clock.today() + timedelta(days=3),
        },
    )


@router.post("/deals")
async def open_deal(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Open a deal from a match in the queue."""
    form = await form_dict(request)
    deal = service.open_deal(db, user, form)
    return redirect(f"/deals/{deal.id}", "已建立对接，请记录下一步")


@router.post("/matches/{match_id}/reassign")
async def reassign(
    match_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """The office moves a match to another broker."""
    form = await form_dict(request)
    service.reassign_match(
        db,
        user,
        match_id,
        {"broker_id": form.get("broker_id") or None, "note": form.get("note", "")},
    )
    return redirect("/brokerage", "已改派经纪人")


def _deal_context(
    db: Session, user: User, deal: Deal, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "deal": deal,
        "steps": service.deal_steps(db, deal),
        "history": service.match_history(db, deal),
        "choices": choices,
        "next_stages": service.NEXT_STAGES[deal.stage],
        "can_advance": permissions.can(user, "deal.advance", service.deal_owner(deal)),
        "stale": service.is_stale(deal),
        "contract": db.scalar(select(Contract).where(Contract.deal_id == deal.id)),
        "values": values,
        "errors": errors,
    }


@router.get("/deals/{deal_id}")
def deal_page(
    deal_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """A deal with its timeline and the form for the next step."""
    deal = service.get_deal(db, user, deal_id)
    return render(request, "brokerage/deal.html", _deal_context(db, user, deal, {}, {}))


@router.post("/deals/{deal_id}/advance")
async def advance(
    deal_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Record a step of the deal."""
    form = await form_dict(request)
    try:
        service.advance_deal(db, user, deal_id, form, version_from_form(form.get("version")))
    except ValidationFailed as exc:
        db.rollback()
        deal = service.get_deal(db, user, deal_id)
        return render(
            request, "brokerage/deal.html", _deal_context(db, user, deal, form, exc.errors), 422
        )
    return redirect(f"/deals/{deal_id}", "已保存对接进展")


@router.get("/contracts")
def contracts_page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Contracts the user may see (?challenge=ID for one challenge's)."""
    challenge_id = int_or_none(request.query_params.get("challenge"))
    items = service.list_contracts(db, user, challenge_id)
    return render(request, "brokerage/contracts.html", {"items": items, "overdue": service.overdue})


def _contract_form_context(
    db: Session, source: dict[str, Any], values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "source": source,
        "values": values,
        "errors": errors,
        "choices": choices,
        "rows": range(MILESTONE_ROWS),
    }


def _source(db: Session, request_values: dict[str, Any]) -> dict[str, Any]:
    challenge_id = int_or_none(
        str(request_values.get("challenge") or request_values.get("challenge_id") or "")
    )
    deal_id = int_or_none(str(request_values.get("deal") or request_values.get("deal_id") or ""))
    if challenge_id:
        item = db.get(Challenge, challenge_id)
        bid = db.get(Bid, item.awarded_bid_id) if item and item.awarded_bid_id else None
        return {
            "challenge_id": challenge_id,
            "title": f"揭榜挂帅合同：{item.title}" if item else "",
            "amount": bid.amount if bid and bid.amount is not None else "",
        }
    deal = db.get(Deal, deal_id) if deal_id else None
    return {
        "deal_id": deal_id,
        "title": f"技术合同：{deal.title}" if deal else "",
        "amount": deal.expected_amount if deal and deal.expected_amount is not None else "",
        "trade_mode": deal.trade_mode if deal else "transfer",
    }


@router.get("/contracts/new")
def new_contract_page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Contract form for an awarded challenge (?challenge=ID) or a signed deal (?deal=ID)."""
    permissions.require(user, "contract.create")
    source = _source(db, dict(request.query_params))
    values = {k: v for k, v in source.items() if k in ("title", "amount", "trade_mode")}
    values["signed_on"] = clock.today().isoformat()
    return render(
        request, "brokerage/contract_form.html", _contract_form_context(db, source, values, {})
    )


@router.post("/contracts/new")
async def create_contract(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Register the contract, or show the form again with messages."""
    form = await form_dict(request)
    source = _source(db, form)
    data = contract_from_form(form)
    try:
        if source.get("challenge_id"):
            contract = service.create_contract_from_award(db, user, source["challenge_id"], data)
        else:
            contract = service.create_contract_from_deal(db, user, source.get("deal_id") or 0, data)
    except ValidationFailed as exc:
        db.rollback()
        return render(
            request,
            "brokerage/contract_form.html",
            _contract_form_context(db, source, form, exc.errors),
            422,
        )
    return redirect(f"/contracts/{contract.id}", "合同已登记")


@router.get("/contracts/{contract_id}")
def contract_page(
    contract_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """A contract with milestones (overdue flagged), payments and acceptance."""
    contract = service.get_contract(db, user, contract_id)
    return render(
        request,
        "brokerage/contract.html",
        {
            "contract": contract,
            "overdue": service.overdue,
            "paid": service.paid(contract),
            "can_edit": permissions.can(user, "contract.edit") and contract.status != "done",
            "can_accept": permissions.can(
                user, "contract.accept", service.BrokerOwned(None, contract.buyer_id)
            ),
            "today": clock.today().isoformat(),
        },
    )


@router.post("/contracts/{contract_id}/milestones/{milestone_id}/complete")
async def complete_milestone(
    contract_id: int,
    milestone_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Mark a milestone done with its evidence."""
    form = await form_dict(request)
    data = {"evidence": form.get("evidence", ""), "done_on": form.get("done_on") or None}
    service.complete_milestone(
        db, user, contract_id, milestone_id, data, version_from_form(form.get("version"))
    )
    return redirect(f"/contracts/{contract_id}", "合同节点已完成")


@router.post("/contracts/{contract_id}/payments")
async def payment(
    contract_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Record a payment received."""
    form = await form_dict(request)
    data = {
        "amount": form.get("amount") or None,
        "received_on": form.get("received_on") or None,
        "note": form.get("note", ""),
    }
    service.record_payment(db, user, contract_id, data, version_from_form(form.get("version")))
    return redirect(f"/contracts/{contract_id}", "收款已登记")


@router.post("/contracts/{contract_id}/accept")
async def accept(
    contract_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """验收 the contract."""
    form = await form_dict(request)
    service.accept_contract(db, user, contract_id, version_from_form(form.get("version")))
    return redirect(f"/contracts/{contract_id}", "合同已验收")


# --- REST ----------------------------------------------------------------------------------


class QueueOut(BaseModel):
    """A broker's queue: open matches and deals due, stale or active."""

    matches: list[MatchOut]
    due: list[int]
    stale: list[int]
    active: list[DealOut]


class BrokerResultOut(BaseModel):
    """One broker's results."""

    broker_id: int
    name: str
    active_deals: int
    deals: int
    signed_deals: int
    conversion: float | None
    contract_value: float
    median_days_to_signature: float | None


class FiguresOut(BaseModel):
    """Brokerage figures (see brokerage.figures)."""

    lists_published: int
    lists_in_bidding: int
    lists_awarded: int
    lists_signed: int
    lists_signed_value: float
    deals_by_stage: dict[str, int]
    deals_by_channel: dict[str, int]
    signed_by_channel: dict[str, int]
    contract_count: int
    contract_value: float
    brokers: list[BrokerResultOut]


@brokerage_api.get("/queue", response_model=QueueOut)
def api_queue(
    db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """The caller's queue (the office: every broker's)."""
    permissions.require(user, "brokerage.figures")
    work = service.queue(db, user)
    return {
        "matches": [match_out(db, m) for m in work.matches],
        "due": [d.id for d in work.due],
        "stale": [d.id for d in work.stale],
        "active": [deal_out(db, d) for d in work.active],
    }


@brokerage_api.get("/figures", response_model=FiguresOut)
def api_figures(
    db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """Demand lists, deals by stage and channel, contract value, broker results."""
    permissions.require(user, "brokerage.figures")
    return asdict(figures.figures(db))


@brokerage_api.post("/matches/{match_id}/reassign", response_model=MatchOut)
def api_reassign(
    match_id: int,
    body: ReassignIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The office moves a match to another broker."""
    return match_out(db, service.reassign_match(db, user, match_id, body.model_dump()))


@deals_api.post("", response_model=DealOut, status_code=201)
def api_open_deal(
    body: DealOpenIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Open a deal from a match in one's queue (retry safely with an Idempotency-Key)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.open_deal(db, user, body.model_dump(mode="json")),
        lambda deal: deal_out(db, deal),
    )


@deals_api.get("/{deal_id}", response_model=DealOut)
def api_deal(
    deal_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """One deal with its timeline."""
    return deal_out(db, service.get_deal(db, user, deal_id))


@deals_api.post("/{deal_id}/steps", response_model=DealOut)
def api_advance(
    deal_id: int,
    body: StepIn,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Record a step (If-Match: the version you read; a stale one gets 409)."""
    deal = service.advance_deal(
        db, user, deal_id, body.model_dump(mode="json"), version_from_etag(if_match)
    )
    return deal_out(db, deal)


@contracts_api.get("", response_model=list[ContractOut])
def api_contracts(
    challenge: int | None = None,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> list[dict[str, Any]]:
    """Contracts the caller may see."""
    return [contract_out(c) for c in service.list_contracts(db, user, challenge)]


@contracts_api.post("", response_model=ContractOut, status_code=201)
def api_create_contract(
    body: ContractCreateIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Register the contract of an awarded challenge or a signed deal (retry safely with an
    Idempotency-Key)."""
    data = body.model_dump(mode="json", exclude={"challenge_id", "deal_id"})

    def create() -> Any:
        if body.challenge_id is not None:
            return service.create_contract_from_award(db, user, body.challenge_id, data)
        return service.create_contract_from_deal(db, user, body.deal_id or 0, data)

    return idempotent_create(request, db, user, key, body, create, contract_out)


@contracts_api.get("/{contract_id}", response_model=ContractOut)
def api_contract(
    contract_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """One contract."""
    return contract_out(service.get_contract(db, user, contract_id))


@contracts_api.post("/{contract_id}/milestones/{milestone_id}/complete", response_model=ContractOut)
def api_complete_milestone(
    contract_id: int,
    milestone_id: int,
    body: MilestoneDoneIn,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Mark a milestone done with evidence."""
    contract = service.complete_milestone(
        db,
        user,
        contract_id,
        milestone_id,
        body.model_dump(mode="json"),
        version_from_etag(if_match),
    )
    return contract_out(contract)


@contracts_api.post("/{contract_id}/payments", response_model=ContractOut)
def api_payment(
    contract_id: int,
    body: PaymentIn,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Record a payment received."""
    contract = service.record_payment(
        db, user, contract_id, body.model_dump(mode="json"), version_from_etag(if_match)
    )
    return contract_out(contract)


@contracts_api.post("/{contract_id}/accept", response_model=ContractOut)
def api_accept(
    contract_id: int,
    if_match: str | None = Header(default=None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """验收 once every milestone is done."""
    return contract_out(service.accept_contract(db, user, contract_id, version_from_etag(if_match)))


# --- broker training and certification -----------------------------------------------------

trainings_api = APIRouter(prefix="/api/v1/trainings", tags=["trainings"])


def enrollment_out(row: TrainingEnrollment) -> dict[str, Any]:
    """A trainee's enrolment for the API."""
    data = {c.key: getattr(row, c.key) for c in TrainingEnrollment.__mapper__.column_attrs}
    data["trainee_name"] = row.user.name
    return data


def training_out(
    training: BrokerTraining, rows: list[TrainingEnrollment] | None = None
) -> dict[str, Any]:
    """A course with its counts (and trainees, for those who may see them) for the API."""
    data = {c.key: getattr(training, c.key) for c in BrokerTraining.__mapper__.column_attrs}
    data["organizer_name"] = training.organizer.name if training.organizer else None
    data["enrollments"] = [enrollment_out(r) for r in rows] if rows is not None else None
    return data


def _period(request: Request) -> tuple[date, date]:
    year = int_or_none(request.query_params.get("year")) or clock.today().year
    year = year if 2000 <= year <= 2100 else clock.today().year
    return date(year, 1, 1), date(year, 12, 31)


@router.get("/trainings")
def trainings_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Broker training courses with trainees, passes and certificates counted from the rows,
    and the year's figures the city reports."""
    start, end = _period(request)
    return render(
        request,
        "brokerage/trainings.html",
        {
            "items": service.list_trainings(db),
            "figures": figures.training_figures(db, start, end),
            "year": start.year,
            "chains": list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order))),
            "values": {"year": clock.today().year, "hours": 48},
            "errors": {},
        },
    )


@router.post("/trainings")
async def create_training(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """The office opens a course."""
    form = await form_dict(request)
    training = service.create_training(db, user, form)
    return redirect(f"/trainings/{training.id}", "培训班已创建")


@router.get("/trainings/{training_id}")
def training_page(
    training_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """A course: its courses and counts; for the office, the trainees with exam and certificate
    forms."""
    training = service.get_training(db, training_id)
    sees = permissions.can(user, "training.view_trainees")
    return render(
        request,
        "brokerage/training.html",
        {
            "training": training,
            "rows": service.enrollments(db, training.id) if sees else [],
            "sees": sees,
            "pass_mark": service.PASS_MARK,
            "today": clock.today(),
        },
    )


@router.post("/trainings/{training_id}/enroll")
async def enroll(
    training_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Enrol a registered user by username."""
    form = await form_dict(request)
    service.enroll_trainee(db, user, training_id, form)
    return redirect(f"/trainings/{training_id}", "学员已报名")


@router.post("/trainings/enrollments/{enrollment_id}/{action}")
async def enrollment_action(
    enrollment_id: int,
    action: str,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Record an exam result (exam) or issue the certificate (certify)."""
    form = await form_dict(request)
    if action == "exam":
        row = service.record_exam(db, user, enrollment_id, form)
    elif action == "certify":
        row = service.certify_trainee(db, user, enrollment_id, form)
    else:
        raise NotFound("没有这个操作")
    return redirect(
        f"/trainings/{row.training_id}", "考试成绩已记录" if action == "exam" else "证书已颁发"
    )


@trainings_api.get("", response_model=list[TrainingOut])
def api_trainings(db: Session = Depends(get_db)) -> list[dict[str, Any]]:
    """Every course with its counts (from the enrolment rows)."""
    return [training_out(t) for t in service.list_trainings(db)]


@trainings_api.get("/figures", response_model=TrainingFiguresOut)
def api_training_figures(
    start: date,
    end: date,
    chain_id: int | None = None,
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """Trained (enrolled), passed, certified and active brokers (a deal step recorded) in
    [start, end]; chain_id limits to courses of that chain and brokers specialised in it."""
    if end < start:
        raise ValidationFailed({"end": "结束日期不能早于开始日期"})
    return asdict(figures.training_figures(db, start, end, chain_id))


@trainings_api.post("", response_model=TrainingOut, status_code=201)
def api_create_training(
    body: TrainingIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """The office opens a course (retry safely with an Idempotency-Key)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.create_training(db, user, body.model_dump(mode="json")),
        training_out,
    )


@trainings_api.get("/{training_id}", response_model=TrainingOut)
def api_training(
    training_id: int, db: Session = Depends(get_db), user: User | None = Depends(api_user)
) -> dict[str, Any]:
    """One course; the trainees are listed for the office only."""
    training = service.get_training(db, training_id)
    rows = (
        service.enrollments(db, training.id)
        if permissions.can(user, "training.view_trainees")
        else None
    )
    return training_out(training, rows)


@trainings_api.post("/{training_id}/enrollments", response_model=EnrollmentOut, status_code=201)
def api_enroll(
    training_id: int,
    body: EnrollIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Enrol a registered user (user_id or username)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.enroll_trainee(db, user, training_id, body.model_dump(mode="json")),
        enrollment_out,
    )


@trainings_api.post("/enrollments/{enrollment_id}/exam", response_model=EnrollmentOut)
def api_exam(
    enrollment_id: int,
    body: ExamIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Record the exam score (60 or more passes)."""
    data = body.model_dump(mode="json")
    return enrollment_out(service.record_exam(db, user, enrollment_id, data))


@trainings_api.post("/enrollments/{enrollment_id}/certify", response_model=EnrollmentOut)
def api_certify(
    enrollment_id: int,
    body: CertifyIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Issue the certificate (number unique); the trainee becomes a Broker with specialties."""
    data = body.model_dump(mode="json")
    return enrollment_out(service.certify_trainee(db, user, enrollment_id, data))


# One REST router for the app.
api = APIRouter()
for _sub in (brokerage_api, deals_api, contracts_api, trainings_api):
    api.include_router(_sub)
