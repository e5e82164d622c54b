"""Policies and subsidy applications: the amount computed from the policy and the facts,
the organisation's cap for the year enforced at approval (also when two approvals race),
and the review trail (draft → submitted → approved / returned / rejected → paid).

Each named state change is one function that checks who may do it, writes the audit row and
commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, false, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.core import audit, clock, permissions
from silian.core.audit import AuditLog
from silian.core.concurrency import check_version
from silian.core.db import utcnow
from silian.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from silian.core.money import format_money
from silian.core.transactions import commit
from silian.core.validation import parse
from silian.organizations.models import Organization
from silian.subsidies.choices import COUNTED_STATUSES, ORG_KINDS
from silian.subsidies.models import Policy, SubsidyApplication
from silian.subsidies.schemas import ApplicationIn, PayIn, PolicyIn, ReviewIn, policy_term_errors

CENT = Decimal("0.01")
EDITABLE = ("draft", "returned")
POLICY_FIELDS = tuple(PolicyIn.model_fields)


def today() -> date:
    """Today's date (one place, so tests can move it)."""
    return clock.today()


# --- computation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Computation:
    """An amount and the text that shows how it was reached."""

    amount: Decimal
    text: str


def _percent(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def compute(policy: Policy, fact_amount: Decimal | None, persons: int | None) -> Computation:
    """The amount an application under policy is worth, from its stated facts.

    percentage: fact × rate %; per_person: fixed amount × persons; fixed: the fixed amount;
    then at most the policy's per-application maximum. Amounts round half up to the fen.
    Raises ValidationFailed naming the missing fact.
    """
    if policy.formula == "percentage":
        label = policy.fact_label or "计算基数"
        if fact_amount is None or fact_amount <= 0:
            raise ValidationFailed({"fact_amount": f"请填写{label}（元）"})
        rate = Decimal(policy.rate or 0)
        raw = (Decimal(fact_amount) * rate / 100).quantize(CENT, ROUND_HALF_UP)
        text = f"{label} {format_money(fact_amount)} × {_percent(rate)} = {format_money(raw)}"
    elif policy.formula == "per_person":
        if persons is None or persons <= 0:
            raise ValidationFailed({"persons": "请填写人数"})
        each = Decimal(policy.fixed_amount or 0)
        raw = (each * persons).quantize(CENT, ROUND_HALF_UP)
        text = f"每人 {format_money(each)} × {persons} 人 = {format_money(raw)}"
    else:
        raw = Decimal(policy.fixed_amount or 0).quantize(CENT, ROUND_HALF_UP)
        text = f"定额 {format_money(raw)}"
    amount = raw
    ceiling = policy.per_application_max
    if ceiling is not None and raw > ceiling:
        amount = Decimal(ceiling).quantize(CENT)
        text += f"，超过单笔上限 {format_money(ceiling)}，按上限核定 {format_money(amount)}"
    else:
        text += f"，核定 {format_money(amount)}"
    if amount <= 0:
        raise ValidationFailed({"fact_amount": "按此政策计算的补贴金额为0，无需申请"})
    return Computation(amount, text)


def cap_used(
    session: Session, policy_id: int, organization_id: int, year: int, exclude_id: int | None = None
) -> Decimal:
    """What the organisation has been approved (or paid) under the policy for the year."""
    stmt = select(func.coalesce(func.sum(SubsidyApplication.amount), 0)).where(
        SubsidyApplication.policy_id == policy_id,
        SubsidyApplication.organization_id == organization_id,
        SubsidyApplication.year == year,
        SubsidyApplication.status.in_(COUNTED_STATUSES),
    )
    if exclude_id is not None:
        stmt = stmt.where(SubsidyApplication.id != exclude_id)
    return Decimal(str(session.scalar(stmt) or 0)).quantize(CENT)


def cap_refusal(policy: Policy, year: int, used: Decimal, amount: Decimal) -> str | None:
    """The refusal when amount on top of used would pass the policy's cap (None: it fits)."""
    cap = policy.cap_per_org_year
    if cap is None or used + amount <= cap:
        return None
    left = max(Decimal(cap) - used, Decimal(0))
    return (
        f"超过年度上限：“{policy.title}”每个单位每年最多 {format_money(cap) if cap else '0元'}，"
        f"{year}年已批准 {format_money(used) if used else '0元'}，"
        f"本申请 {format_money(amount)}，剩余额度 {format_money(left) if left else '0元'}"
    )


# --- reading -------------------------------------------------------------------------------


def visible_query(user: User | None) -> Select[Any]:
    """Applications visible to user: the office sees all, a unit its own."""
    where = permissions.visible_where(user, "subsidy.view", SubsidyApplication, false())
    return select(SubsidyApplication).where(where)


def list_applications(
    session: Session,
    user: User | None,
    status: str | None = None,
    policy_id: int | None = None,
    year: int | None = None,
) -> list[SubsidyApplication]:
    """Applications user may see, newest first, optionally filtered."""
    stmt = visible_query(user)
    if status:
        stmt = stmt.where(SubsidyApplication.status == status)
    if policy_id:
        stmt = stmt.where(SubsidyApplication.policy_id == policy_id)
    if year:
        stmt = stmt.where(SubsidyApplication.year == year)
    stmt = stmt.order_by(SubsidyApplication.updated_at.desc(), SubsidyApplication.id.desc())
    return list(session.scalars(stmt).unique())


def get_application(session: Session, user: User | None, app_id: int) -> SubsidyApplication:
    """One application user may see, else NotFound."""
    item = session.get(SubsidyApplication, app_id)
    if item is None or not permissions.can(user, "subsidy.view", item):
        raise NotFound("补贴申请不存在")
    return item


def list_policies(session: Session, user: User | None) -> list[Policy]:
    """Policies: active ones for everyone, inactive ones too for those who maintain them."""
    stmt = select(Policy).order_by(Policy.is_active.desc(), Policy.title)
    if not permissions.can(user, "policy.edit"):
        stmt = stmt.where(Policy.is_active.is_(True))
    return list(session.scalars(stmt))


def get_policy(session: Session, user: User | None, policy_id: int) -> Policy:
    """One policy (an inactive one only for those who maintain policies)."""
    item = session.get(Policy, policy_id)
    if item is None or not (item.is_active or permissions.can(user, "policy.edit")):
        raise NotFound("政策不存在")
    return item


def trail(session: Session, item: SubsidyApplication) -> list[AuditLog]:
    """The application's approval trail: every audit row, oldest first."""
    stmt = (
        select(AuditLog)
        .where(
            AuditLog.entity_type == SubsidyApplication.__tablename__,
            AuditLog.entity_id == item.id,
        )
        .order_by(AuditLog.created_at, AuditLog.id)
    )
    return list(session.scalars(stmt))


# --- policies ------------------------------------------------------------------------------


def _parse_policy(data: dict[str, Any]) -> PolicyIn:
    clean = parse(PolicyIn, data)
    errors = policy_term_errors(clean)
    if errors:
        raise ValidationFailed(errors)
    return clean


def _flush_unique(session: Session, message: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise ValidationFailed({"title": message}) from exc


def create_policy(session: Session, user: User, data: dict[str, Any]) -> Policy:
    """The office records a policy."""
    permissions.require(user, "policy.edit")
    clean = _parse_policy(data)
    item = Policy(**clean.model_dump())
    session.add(item)
    _flush_unique(session, "已有同名政策")
    audit.record(
        session, actor=user, action="create", entity=item, summary=f"新增政策：{item.title}"
    )
    commit(session)
    return item


def update_policy(
    session: Session, user: User, policy_id: int, data: dict[str, Any], version: int | None
) -> Policy:
    """The office edits a policy (applications already computed keep their computation)."""
    item = get_policy(session, user, policy_id)
    permissions.require(user, "policy.edit", item)
    check_version(item, version)
    clean = _parse_policy(data)
    before = audit.snapshot(item)
    for key, value in clean.model_dump().items():
        setattr(item, key, value)
    _flush_unique(session, "已有同名政策")
    audit.record(
        session,
        actor=user,
        action="update",
        entity=item,
        changes=audit.diff(before, audit.snapshot(item)),
        summary=f"修改政策：{item.title}",
    )
    commit(session)
    return item


# --- applications --------------------------------------------------------------------------


def _check_policy_open(policy: Policy, org: Organization, on: date) -> None:
    if not policy.is_active:
        raise ValidationFailed({"policy_id": f"政策“{policy.title}”已停止受理"})
    if policy.valid_from and on < policy.valid_from:
        raise ValidationFailed({"policy_id": f"政策“{policy.title}”自{policy.valid_from}起受理"})
    if policy.valid_to and on > policy.valid_to:
        raise ValidationFailed({"policy_id": f"政策“{policy.title}”已于{policy.valid_to}到期"})
    if policy.eligible_kinds and org.kind not in policy.eligible_kinds:
        kinds = "、".join(ORG_KINDS.label(k) for k in policy.eligible_kinds)
        raise ValidationFailed({"organization_id": f"此政策仅面向{kinds}申报"})


def _facts(session: Session, user: User, data: dict[str, Any]) -> tuple[ApplicationIn, Policy]:
    clean = parse(ApplicationIn, data)
    policy = session.get(Policy, clean.policy_id)
    if policy is None:
        raise ValidationFailed({"policy_id": "政策不存在"})
    return clean, policy


def _applicant(session: Session, user: User, clean: ApplicationIn) -> Organization:
    org_id = clean.organization_id or user.organization_id
    if org_id != user.organization_id and not permissions.can(user, "record.enter_for_any_unit"):
        raise ValidationFailed({"organization_id": "只能以本单位名义申请"})
    org = session.get(Organization, org_id) if org_id else None
    if org is None:
        raise ValidationFailed({"organization_id": "请选择申请单位"})
    return org


def create_application(session: Session, user: User, data: dict[str, Any]) -> SubsidyApplication:
    """A unit drafts an application; the amount is computed from the policy and the facts."""
    permissions.require(user, "subsidy.apply")
    clean, policy = _facts(session, user, data)
    org = _applicant(session, user, clean)
    _check_policy_open(policy, org, today())
    result = compute(policy, clean.fact_amount, clean.persons)
    item = SubsidyApplication(
        policy_id=policy.id,
        organization_id=org.id,
        year=clean.year,
        fact_amount=clean.fact_amount,
        persons=clean.persons,
        amount=result.amount,
        computation=result.text,
        reason=clean.reason,
        status="draft",
        created_by_id=user.id,
    )
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="create",
        entity=item,
        changes={"amount": [None, str(result.amount)], "computation": result.text},
        summary=f"起草补贴申请：{policy.title} {format_money(result.amount)}",
    )
    commit(session)
    return item


def update_application(
    session: Session, user: User, app_id: int, data: dict[str, Any], version: int | None
) -> SubsidyApplication:
    """The unit changes a draft or returned application; the amount is computed again."""
    item = get_application(session, user, app_id)
    permissions.require(user, "subsidy.edit", item)
    check_version(item, version)
    if item.status not in EDITABLE:
        raise InvalidTransition(f"申请当前为“{item.status_label}”，只有草稿或退回的申请可以修改")
    data = {**data, "organization_id": data.get("organization_id") or item.organization_id}
    clean, policy = _facts(session, user, data)
    if clean.organization_id != item.organization_id:
        raise ValidationFailed({"organization_id": "申请单位不能更改"})
    _check_policy_open(policy, item.organization, today())
    result = compute(policy, clean.fact_amount, clean.persons)
    before = audit.snapshot(item)
    item.policy_id = policy.id
    item.policy = policy
    item.year = clean.year
    item.fact_amount = clean.fact_amount
    item.persons = clean.persons
    item.amount = result.amount
    item.computation = result.text
    item.reason = clean.reason
    session.flush()
    audit.record(
        session,
        actor=user,
        action="update",
        entity=item,
        changes=audit.diff(before, audit.snapshot(item)),
        summary=f"修改补贴申请：{format_money(result.amount)}",
    )
    commit(session)
    return item


def _move(
    session: Session,
    user: User,
    item: SubsidyApplication,
    to: str,
    summary: str,
    **changes: Any,
) -> SubsidyApplication:
    before = item.status
    item.status = to
    session.flush()
    audit.record(
        session,
        actor=user,
        action=to if to != "submitted" else "submit",
        entity=item,
        changes={"status": [before, to], **changes},
        summary=summary,
    )
    commit(session)
    return item


def submit_application(
    session: Session, user: User, app_id: int, version: int | None = None
) -> SubsidyApplication:
    """The unit submits a draft (or a returned application) to the office."""
    item = get_application(session, user, app_id)
    permissions.require(user, "subsidy.submit", item)
    check_version(item, version)
    if item.status not in EDITABLE:
        raise InvalidTransition(f"申请当前为“{item.status_label}”，不能提交")
    _check_policy_open(item.policy, item.organization, today())
    item.submitted_at = utcnow()
    return _move(session, user, item, "submitted", f"提交补贴申请：{format_money(item.amount)}")


def _reviewable(
    session: Session, user: User, app_id: int, version: int | None
) -> SubsidyApplication:
    item = get_application(session, user, app_id)
    permissions.require(user, "subsidy.review", item)
    check_version(item, version)
    if item.status != "submitted":
        raise InvalidTransition(f"申请当前为“{item.status_label}”，只有待审核的申请可以审核")
    return item


def _lock_policy(session: Session, policy_id: int) -> None:
    """Serialise approvals under one policy until this transaction ends.

    A no-op UPDATE of the policy row: PostgreSQL holds its row lock, SQLite its write lock,
    so a second approval waits here and then sees the first one's committed amount.
    """
    session.execute(
        update(Policy)
        .where(Policy.id == policy_id)
        .values(is_active=Policy.is_active)
        .execution_options(synchronize_session=False)
    )


def approve_application(
    session: Session, user: User, app_id: int, data: dict[str, Any], version: int | None = None
) -> SubsidyApplication:
    """The office approves; refused when the unit's approved total for the year would pass the
    policy's cap (the message gives the cap, what is used and what is left)."""
    item = _reviewable(session, user, app_id, version)
    clean = parse(ReviewIn, data)
    _lock_policy(session, item.policy_id)
    session.refresh(item)  # another approval may have moved it while we waited
    if item.status != "submitted":
        raise Conflict(f"申请当前为“{item.status_label}”，已由他人处理")
    used = cap_used(session, item.policy_id, item.organization_id, item.year, exclude_id=item.id)
    refusal = cap_refusal(item.policy, item.year, used, item.amount)
    if refusal:
        session.rollback()
        raise Conflict(refusal)
    item.review_remarks = clean.remarks
    item.decided_at = utcnow()
    return _move(
        session,
        user,
        item,
        "approved",
        f"批准补贴申请：{format_money(item.amount)}（本年累计 {format_money(used + item.amount)}）",
        used_before=str(used),
        cap=str(item.policy.cap_per_org_year) if item.policy.cap_per_org_year is not None else None,
    )


def _decide_with_remarks(
    session: Session, user: User, app_id: int, data: dict[str, Any], version: int | None, to: str
) -> SubsidyApplication:
    item = _reviewable(session, user, app_id, version)
    clean = parse(ReviewIn, data)
    if not clean.remarks.strip():
        raise ValidationFailed({"remarks": "请写明退回或不予支持的理由"})
    item.review_remarks = clean.remarks
    item.decided_at = utcnow()
    verb = "退回" if to == "returned" else "不予支持"
    return _move(session, user, item, to, f"{verb}补贴申请：{clean.remarks[:60]}")


def return_application(
    session: Session, user: User, app_id: int, data: dict[str, Any], version: int | None = None
) -> SubsidyApplication:
    """The office returns a submitted application for changes, with remarks."""
    return _decide_with_remarks(session, user, app_id, data, version, "returned")


def reject_application(
    session: Session, user: User, app_id: int, data: dict[str, Any], version: int | None = None
) -> SubsidyApplication:
    """The office rejects a submitted application, with remarks."""
    return _decide_with_remarks(session, user, app_id, data, version, "rejected")


def pay_application(
    session: Session, user: User, app_id: int, data: dict[str, Any], version: int | None = None
) -> SubsidyApplication:
    """The office records the payment of an approved application."""
    item = get_application(session, user, app_id)
    permissions.require(user, "subsidy.pay", item)
    check_version(item, version)
    if item.status != "approved":
        raise InvalidTransition(f"申请当前为“{item.status_label}”，批准后才能拨付")
    clean = parse(PayIn, data)
    paid_on = clean.paid_on or today()
    if paid_on > today():
        raise ValidationFailed({"paid_on": "拨付日期不能晚于今天"})
    item.paid_on = paid_on
    return _move(session, user, item, "paid", f"拨付补贴：{format_money(item.amount)}")
