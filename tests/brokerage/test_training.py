"""Broker training: enrolment, exams, certificates that make brokers, and the city's counts."""

from __future__ import annotations

from datetime import date

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from silian.accounts import security
from silian.brokerage import figures, service
from silian.brokerage.models import Broker, Deal, DealStep
from silian.chains.models import IndustryChain
from silian.core import clock
from silian.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tests.support import Factory


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with minimal cost: these tests register many trainees."""
    monkeypatch.setattr(
        security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def test_certified_trainee_becomes_a_broker_in_one_call(db: Session, factory: Factory) -> None:
    """Enrol → exam (pass at 60) → certificate: a Broker with the specialties; counts follow."""
    office = factory.user("office")
    training = service.create_training(
        db,
        office,
        {
            "name": "技术经纪人初级班",
            "year": 2026,
            "hours": 48,
            "courses": "技术转移概论、商务谈判",
        },
    )
    assert training.courses == ["技术转移概论", "商务谈判"]
    trainee = factory.user("enterprise")
    failing = factory.user("university")
    row = service.enroll_trainee(
        db, office, training.id, {"username": trainee.username, "enrolled_on": "2026-03-01"}
    )
    low = service.enroll_trainee(
        db, office, training.id, {"user_id": failing.id, "enrolled_on": "2026-03-01"}
    )
    with pytest.raises(ValidationFailed):
        service.enroll_trainee(db, office, training.id, {"user_id": trainee.id})
    db.rollback()
    service.record_exam(db, office, row.id, {"exam_score": 60, "exam_on": "2026-04-01"})
    service.record_exam(db, office, low.id, {"exam_score": 59, "exam_on": "2026-04-01"})
    with pytest.raises(InvalidTransition):
        service.certify_trainee(
            db, office, low.id, {"certificate_no": "QDJJR-2026-9001", "certified_on": "2026-04-10"}
        )
    db.rollback()
    done = service.certify_trainee(
        db,
        office,
        row.id,
        {
            "certificate_no": "QDJJR-2026-9000",
            "certified_on": "2026-04-10",
            "specialties": "海洋装备、新材料",
        },
    )
    broker = db.get(Broker, done.broker_id)
    assert broker is not None
    assert (broker.user_id, broker.certificate_no, broker.specialties) == (
        trainee.id,
        "QDJJR-2026-9000",
        ["海洋装备", "新材料"],
    )
    db.refresh(training)
    assert (training.trainees, training.passed, training.certificates_issued) == (2, 1, 1)
    # The number is unique; a second certificate for the same trainee is refused.
    other = factory.user("expert")
    row2 = service.enroll_trainee(db, office, training.id, {"user_id": other.id})
    service.record_exam(db, office, row2.id, {"exam_score": 88, "exam_on": clock.today()})
    with pytest.raises(ValidationFailed) as err:
        service.certify_trainee(
            db,
            office,
            row2.id,
            {"certificate_no": "QDJJR-2026-9000", "certified_on": clock.today()},
        )
    assert "certificate_no" in err.value.errors
    db.rollback()
    with pytest.raises(InvalidTransition):
        service.record_exam(db, office, row.id, {"exam_score": 90, "exam_on": "2026-04-02"})


def test_only_the_office_runs_trainings(db: Session, factory: Factory) -> None:
    """Brokers and units may not open courses or issue certificates."""
    for role in ("broker", "enterprise", "platform"):
        with pytest.raises(PermissionDenied):
            service.create_training(
                db, factory.user(role), {"name": "培训", "year": 2026, "hours": 8}
            )


def test_training_figures_count_rows_in_the_period_and_chain(db: Session, factory: Factory) -> None:
    """Hand count: in 2025, 3 trained, 2 passed, 1 certified; on the marine chain's course 2
    trained; active brokers = certified ones with a deal step in the period."""
    chain = IndustryChain(code="marine", name="海洋装备", sort_order=1)
    db.add(chain)
    db.commit()
    marine = factory.training(year=2025, chain_id=chain.id)
    general = factory.training(year=2025)
    users = [factory.user("enterprise") for _ in range(4)]
    factory.enrollment(
        marine,
        users[0],
        enrolled_on=date(2025, 3, 1),
        exam_score=80,
        passed=True,
        exam_on=date(2025, 4, 1),
        certificate_no="C-1",
        certified_on=date(2025, 5, 1),
    )
    factory.enrollment(
        marine, users[1], enrolled_on=date(2025, 3, 1), exam_score=50, passed=False,
        exam_on=date(2025, 4, 1),
    )  # fmt: skip
    factory.enrollment(
        general, users[2], enrolled_on=date(2025, 9, 1), exam_score=70, passed=True,
        exam_on=date(2025, 10, 1),
    )  # fmt: skip
    factory.enrollment(general, users[3], enrolled_on=date(2026, 1, 5))
    active = Broker(
        name="甲", certificate_no="C-1", certified_on=date(2025, 5, 1), specialties=["海洋装备"]
    )
    idle = Broker(name="乙", certificate_no="C-0", certified_on=date(2024, 5, 1), specialties=[])
    db.add_all([active, idle])
    db.flush()
    deal = Deal(title="对接", broker_id=active.id)
    db.add(deal)
    db.flush()
    db.add(DealStep(deal_id=deal.id, stage="contacted", happened_on=date(2025, 6, 1)))
    db.commit()
    year = (date(2025, 1, 1), date(2025, 12, 31))
    got = figures.training_figures(db, *year)
    assert (got.trained, got.passed, got.certified, got.active_brokers) == (3, 2, 1, 1)
    on_chain = figures.training_figures(db, *year, chain_id=chain.id)
    assert (on_chain.trained, on_chain.passed, on_chain.certified) == (2, 1, 1)
    assert on_chain.active_brokers == 1
    assert figures.training_figures(db, date(2026, 1, 1), date(2026, 12, 31)).trained == 1
