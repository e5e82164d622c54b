"""Programmes, enrolments up to the seats (also when people enrol at once), completions,
certificates and each base's capacity and utilisation."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.core import clock
from silian.core.db import session_factory
from silian.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from silian.training import service
from silian.training.figures import figures
from silian.training.models import Enrolment, TrainingProgramme
from tests.support import Factory


def test_base_publishes_a_programme_others_may_not(db: Session, factory: Factory) -> None:
    unit = factory.org("platform")
    base = factory.training_base(unit)
    start = clock.today() + timedelta(days=10)
    data = {
        "base_id": base.id,
        "name": "船舶焊接（高级工）",
        "skills": "船舶焊接，无损检测",
        "hours": 160,
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=60)).isoformat(),
        "seats": 30,
    }
    item = service.create_programme(db, factory.user("platform", org=unit), data)
    assert item.skills == ["船舶焊接", "无损检测"] and item.organization_id == unit.id
    with pytest.raises(PermissionDenied):
        service.create_programme(db, factory.user("platform"), data | {"name": "另一个"})
    with pytest.raises(ValidationFailed) as exc:
        service.create_programme(
            db, factory.user("office"), data | {"ends_on": (start - timedelta(days=1)).isoformat()}
        )
    assert exc.value.errors == {"ends_on": "结束日期不能早于开始日期"}


def test_enrol_up_to_the_seats_then_refused_with_the_figures(db: Session, factory: Factory) -> None:
    programme = factory.programme(seats=2, name="数控加工技能提升班")
    people = [factory.user(role) for role in ("expert", "enterprise", "university")]
    service.enrol(db, people[0], programme.id)
    with pytest.raises(Conflict, match="您已报名"):
        service.enrol(db, people[0], programme.id)
    service.enrol(db, people[1], programme.id)
    with pytest.raises(Conflict) as exc:
        service.enrol(db, people[2], programme.id)
    assert exc.value.message == "名额已满：“数控加工技能提升班”共 2 个名额，已报名 2 人"
    # Withdrawing frees the seat for the next person.
    mine = service.my_enrolment(db, people[0], programme.id)
    assert mine is not None
    with pytest.raises(NotFound):  # another person's enrolment is not theirs to see
        service.withdraw(db, people[1], mine.id)
    service.withdraw(db, people[0], mine.id)
    service.enrol(db, people[2], programme.id)
    db.expire_all()
    assert db.get(TrainingProgramme, programme.id).taken == 2  # type: ignore[union-attr]


def test_seats_cannot_drop_below_those_taken(db: Session, factory: Factory) -> None:
    programme = factory.programme(seats=3)
    office = factory.user("office")
    for role in ("expert", "enterprise"):
        service.enrol(db, factory.user(role), programme.id)
    data = {
        "base_id": programme.base_id,
        "name": programme.name,
        "hours": 40,
        "starts_on": programme.starts_on.isoformat(),
        "ends_on": programme.ends_on.isoformat(),
        "seats": 1,
    }
    with pytest.raises(ValidationFailed) as exc:
        service.update_programme(db, office, programme.id, data, None)
    assert exc.value.errors == {"seats": "名额不能少于已报名人数：已有 2 人报名"}


def test_completion_certificate_utilisation_and_figures(db: Session, factory: Factory) -> None:
    unit = factory.org("platform")
    base = factory.training_base(unit, yearly_capacity=4)
    started = clock.today() - timedelta(days=5)
    programme = factory.programme(
        base, seats=3, starts_on=started, ends_on=clock.today() + timedelta(days=5)
    )
    manager = factory.user("platform", org=unit)
    people = [factory.user(role) for role in ("expert", "enterprise", "university")]
    rows = [service.enrol(db, person, programme.id) for person in people]
    service.complete(db, manager, rows[0].id, {"certificate_no": "QD2026-001"})
    service.complete(db, manager, rows[1].id, {})
    with pytest.raises(ValidationFailed) as exc:
        service.complete(db, manager, rows[2].id, {"certificate_no": "QD2026-001"})
    assert exc.value.errors == {"certificate_no": "证书编号已被使用"}
    with pytest.raises(PermissionDenied):  # the trainee may not sign their own completion
        service.complete(db, people[2], rows[2].id, {})
    with pytest.raises(InvalidTransition):
        service.withdraw(db, people[0], rows[0].id)
    (use,) = service.utilisation(db, started.year, base.id)
    # 3 trainees for a capacity of 4 → 0.75; 2 completions, 1 certificate.
    assert (use.trainees, use.completions, use.certificates, use.seats) == (3, 2, 1, 3)
    assert use.utilisation == 0.75
    result = figures(db, started - timedelta(days=1), started + timedelta(days=1))
    assert (result.programmes, result.seats, result.trainees, result.completions) == (1, 3, 3, 2)
    assert figures(db, started, started, chain_id=999).programmes == 0


def test_two_people_for_the_last_seat(db: Session, db_url: str, factory: Factory) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("two concurrent transactions: PostgreSQL")
    programme = factory.programme(seats=1)
    people = [factory.user("expert"), factory.user("enterprise")]
    barrier = threading.Barrier(2)
    results = ["", ""]

    def run(index: int, user_id: int) -> None:
        with session_factory(db_url)() as session:
            user = session.get(User, user_id)
            assert user is not None
            service.get_programme(session, user, programme.id)
            barrier.wait()
            try:
                service.enrol(session, user, programme.id)
                results[index] = "ok"
            except Conflict as exc:
                results[index] = exc.message

    threads = [threading.Thread(target=run, args=(i, p.id)) for i, p in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r == "ok" for r in results) == [False, True]
    assert "共 1 个名额，已报名 1 人" in next(r for r in results if r != "ok")
    assert db.scalar(select(func.count()).select_from(Enrolment)) == 1
