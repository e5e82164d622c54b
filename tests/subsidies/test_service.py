"""Subsidy computation, caps per unit and year, the review workflow and racing approvals."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import silian.models  # noqa: F401  (every mapper, for the unsaved Policy below)
from silian.accounts.models import User
from silian.core import clock
from silian.core.audit import AuditLog
from silian.core.db import session_factory
from silian.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from silian.subsidies import service
from silian.subsidies.figures import figures
from silian.subsidies.models import Policy, SubsidyApplication
from tests.support import Factory

YEAR = clock.today().year


def _policy(**kw: Any) -> Policy:
    """An unsaved policy for the pure computation."""
    values: dict[str, Any] = {
        "title": "计算用政策",
        "formula": "percentage",
        "fact_label": "年薪",
        "rate": Decimal("20"),
        "per_application_max": Decimal("500000"),
    }
    return Policy(**(values | kw))


# --- computation on hand-computed examples ---------------------------------------------------


def test_percentage_of_the_fact_below_the_per_application_maximum() -> None:
    result = service.compute(_policy(), Decimal("1200000"), None)
    # 1,200,000 × 20% = 240,000
    assert result.amount == Decimal("240000.00")
    assert result.text == "年薪 120万元 × 20% = 24万元，核定 24万元"


def test_percentage_above_the_per_application_maximum_is_cut_to_it() -> None:
    result = service.compute(_policy(), Decimal("3000000"), None)
    # 3,000,000 × 20% = 600,000 > 500,000
    assert result.amount == Decimal("500000.00")
    assert "= 60万元" in result.text and "按上限核定 50万元" in result.text


def test_fractional_rate_rounds_half_up_to_the_fen() -> None:
    result = service.compute(
        _policy(rate=Decimal("12.5"), per_application_max=None), Decimal("1.01"), None
    )
    # 1.01 × 12.5% = 0.12625 → 0.13
    assert result.amount == Decimal("0.13")


def test_pilot_platform_support_is_capped_at_twenty_million() -> None:
    policy = _policy(
        fact_label="设备投入",
        rate=Decimal("30"),
        per_application_max=Decimal("20000000"),
    )
    # 80,000,000 × 30% = 24,000,000 → 20,000,000
    assert service.compute(policy, Decimal("80000000"), None).amount == Decimal("20000000.00")
    # 50,000,000 × 30% = 15,000,000
    assert service.compute(policy, Decimal("50000000"), None).amount == Decimal("15000000.00")


def test_fixed_amount_per_person_and_fixed_amount() -> None:
    per_person = _policy(
        formula="per_person", fixed_amount=Decimal("2000"), per_application_max=None
    )
    result = service.compute(per_person, None, 35)
    assert result.amount == Decimal("70000.00")  # 2,000 × 35
    assert result.text == "每人 2000元 × 35 人 = 7万元，核定 7万元"
    fixed = _policy(formula="fixed", fixed_amount=Decimal("300000"), per_application_max=None)
    assert service.compute(fixed, None, None).amount == Decimal("300000.00")


def test_missing_facts_are_named() -> None:
    with pytest.raises(ValidationFailed) as exc:
        service.compute(_policy(), None, None)
    assert exc.value.errors == {"fact_amount": "请填写年薪（元）"}
    with pytest.raises(ValidationFailed) as exc:
        service.compute(_policy(formula="per_person", fixed_amount=Decimal(1)), None, None)
    assert exc.value.errors == {"persons": "请填写人数"}


def test_cap_refusal_names_cap_used_and_left() -> None:
    policy = _policy(title="人才薪酬补贴", cap_per_org_year=Decimal("1000000"))
    assert service.cap_refusal(policy, 2026, Decimal("740000"), Decimal("260000")) is None
    message = service.cap_refusal(policy, 2026, Decimal("740000"), Decimal("400000"))
    assert message == (
        "超过年度上限：“人才薪酬补贴”每个单位每年最多 100万元，2026年已批准 74万元，"
        "本申请 40万元，剩余额度 26万元"
    )
    assert (
        service.cap_refusal(_policy(cap_per_org_year=None), 2026, Decimal(10**9), Decimal(1))
        is None
    )


# --- workflow --------------------------------------------------------------------------------


def _submitted(
    db: Session, factory: Factory, applicant: User, policy: Policy, salary: int
) -> SubsidyApplication:
    item = service.create_application(
        db, applicant, {"policy_id": policy.id, "year": YEAR, "fact_amount": str(salary)}
    )
    return service.submit_application(db, applicant, item.id)


def test_approval_up_to_the_cap_then_a_refusal_with_the_figures(
    db: Session, factory: Factory
) -> None:
    policy = factory.policy(title="产业人才薪酬补贴")
    applicant = factory.user("enterprise")
    office = factory.user("office")
    first = _submitted(db, factory, applicant, policy, 3_000_000)  # 60万 → 50万
    second = _submitted(db, factory, applicant, policy, 2_500_000)  # 50万
    third = _submitted(db, factory, applicant, policy, 50_000)  # 1万
    assert (first.amount, second.amount, third.amount) == (
        Decimal("500000.00"),
        Decimal("500000.00"),
        Decimal("10000.00"),
    )
    service.approve_application(db, office, first.id, {})
    service.approve_application(db, office, second.id, {"remarks": "材料齐全"})
    with pytest.raises(Conflict) as exc:
        service.approve_application(db, office, third.id, {})
    assert exc.value.message == (
        f"超过年度上限：“产业人才薪酬补贴”每个单位每年最多 100万元，{YEAR}年已批准 100万元，"
        "本申请 1万元，剩余额度 0元"
    )
    db.expire_all()
    assert db.get(SubsidyApplication, third.id).status == "submitted"  # type: ignore[union-attr]
    assert service.cap_used(db, policy.id, applicant.organization_id or 0, YEAR) == Decimal(
        "1000000.00"
    )
    # Another unit, or another year, has its own cap.
    other = factory.user("enterprise")
    service.approve_application(db, office, _submitted(db, factory, other, policy, 100_000).id, {})


def test_trail_and_transitions(db: Session, factory: Factory) -> None:
    policy = factory.policy()
    applicant = factory.user("enterprise")
    office = factory.user("office")
    item = service.create_application(
        db, applicant, {"policy_id": policy.id, "year": YEAR, "fact_amount": "50万"}
    )
    assert (
        item.amount == Decimal("100000.00")
        and item.computation == "年薪 50万元 × 20% = 10万元，核定 10万元"
    )
    with pytest.raises(InvalidTransition):
        service.approve_application(db, office, item.id, {})
    service.submit_application(db, applicant, item.id)
    with pytest.raises(ValidationFailed) as exc:
        service.return_application(db, office, item.id, {"remarks": " "})
    assert "remarks" in exc.value.errors
    service.return_application(db, office, item.id, {"remarks": "请补充劳动合同"})
    # The unit corrects the facts; the amount and its computation follow.
    item = service.update_application(
        db, applicant, item.id, {"policy_id": policy.id, "year": YEAR, "fact_amount": "60万"}, None
    )
    assert item.amount == Decimal("120000.00")
    service.submit_application(db, applicant, item.id)
    with pytest.raises(PermissionDenied):
        service.approve_application(db, applicant, item.id, {})
    with pytest.raises(InvalidTransition):
        service.pay_application(db, office, item.id, {})
    service.approve_application(db, office, item.id, {})
    service.pay_application(db, office, item.id, {"paid_on": clock.today().isoformat()})
    assert item.status == "paid" and item.paid_on == clock.today()
    actions = [row.action for row in service.trail(db, item)]
    assert actions == ["create", "submit", "returned", "update", "submit", "approved", "paid"]
    with pytest.raises(NotFound):
        service.get_application(db, factory.user("enterprise"), item.id)


def test_eligibility_and_validity_are_checked(db: Session, factory: Factory) -> None:
    applicant = factory.user("enterprise")
    only_platforms = factory.policy(eligible_kinds=["platform"])
    with pytest.raises(ValidationFailed) as exc:
        service.create_application(
            db, applicant, {"policy_id": only_platforms.id, "year": YEAR, "fact_amount": "1000"}
        )
    assert exc.value.errors == {"organization_id": "此政策仅面向平台申报"}
    expired = factory.policy(valid_to=clock.today() - timedelta(days=1))
    with pytest.raises(ValidationFailed) as exc:
        service.create_application(
            db, applicant, {"policy_id": expired.id, "year": YEAR, "fact_amount": "1000"}
        )
    assert "已于" in exc.value.errors["policy_id"]
    with pytest.raises(PermissionDenied):
        service.create_application(
            db, factory.user("expert"), {"policy_id": expired.id, "year": YEAR}
        )
    assert db.scalar(select(func.count()).select_from(SubsidyApplication)) == 0


def test_figures_count_approved_and_paid_in_the_period(db: Session, factory: Factory) -> None:
    policy = factory.policy(per_application_max=None, cap_per_org_year=None)
    applicant = factory.user("enterprise")
    office = factory.user("office")
    one = _submitted(db, factory, applicant, policy, 1_000_000)
    two = _submitted(db, factory, applicant, policy, 500_000)
    _submitted(db, factory, applicant, policy, 100_000)
    service.approve_application(db, office, one.id, {})
    service.approve_application(db, office, two.id, {})
    service.pay_application(db, office, two.id, {})
    today = clock.today()
    result = figures(db, today - timedelta(days=1), today + timedelta(days=1))
    assert (result.approved_count, result.approved_amount) == (2, Decimal("300000.00"))
    assert (result.paid_count, result.paid_amount) == (1, Decimal("100000.00"))
    assert figures(db, today - timedelta(days=10), today - timedelta(days=2)).approved_count == 0


# --- two approvals at once -------------------------------------------------------------------


def test_two_racing_approvals_never_pass_the_cap(
    db: Session, db_url: str, factory: Factory
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("two concurrent transactions: PostgreSQL")
    policy = factory.policy(cap_per_org_year=Decimal("600000"))
    applicant = factory.user("enterprise")
    office = factory.user("office")
    ids = [_submitted(db, factory, applicant, policy, 2_000_000).id for _ in range(2)]  # 40万 each
    barrier = threading.Barrier(2)
    results: list[str] = ["", ""]

    def run(index: int, app_id: int) -> None:
        with session_factory(db_url)() as session:
            user = session.get(User, office.id)
            assert user is not None
            service.get_application(session, user, app_id)  # loaded before the race
            barrier.wait()
            try:
                service.approve_application(session, user, app_id, {})
                results[index] = "ok"
            except Conflict as exc:
                results[index] = exc.message

    threads = [threading.Thread(target=run, args=(i, app_id)) for i, app_id in enumerate(ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r == "ok" for r in results) == [False, True]
    refusal = next(r for r in results if r != "ok")
    assert "已批准 40万元" in refusal and "剩余额度 20万元" in refusal
    db.expire_all()
    assert service.cap_used(db, policy.id, applicant.organization_id or 0, YEAR) == Decimal(
        "400000.00"
    )
    approvals = db.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.action == "approved")
    )
    assert approvals == 1
