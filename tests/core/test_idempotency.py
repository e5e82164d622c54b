"""Idempotent API creates: Idempotency-Key replays the first result and never creates twice."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from silian.core.db import utcnow
from silian.core.idempotency import IdempotencyKey
from silian.demands.models import Demand
from silian.talent.models import TalentNeed
from tests.support import Factory, api_headers

DEMAND = {
    "title": "反渗透膜污染控制技术需求",
    "problem": "我们的海水淡化装置反渗透膜清洗周期太短，希望找到延长清洗周期的技术方案。",
    "budget": "500000",
}


def _count(db: Session, model: Any) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_defect_7_retry_after_lost_connection_creates_one_row(
    client: TestClient, factory: Factory, db: Session
) -> None:
    """Defect 7: the create was committed but the client lost the connection; it retries with
    the same Idempotency-Key and body and gets the first answer (status and body), one row."""
    headers = api_headers(client, factory.user("enterprise")) | {"Idempotency-Key": "k-123"}
    first = client.post("/api/v1/demands", headers=headers, json=DEMAND)
    assert first.status_code == 201
    retry = client.post("/api/v1/demands", headers=headers, json=DEMAND)
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert _count(db, Demand) == 1
    assert _count(db, IdempotencyKey) == 1


def test_same_key_different_body_is_refused(
    client: TestClient, factory: Factory, db: Session
) -> None:
    """Reusing a key for another request is a 422 with a clear message; nothing is created."""
    headers = api_headers(client, factory.user("enterprise")) | {"Idempotency-Key": "k-1"}
    assert client.post("/api/v1/demands", headers=headers, json=DEMAND).status_code == 201
    other = client.post("/api/v1/demands", headers=headers, json=DEMAND | {"budget": "1"})
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["errors"]
    assert "幂等键" in other.json()["errors"]["Idempotency-Key"]
    # The same key on another endpoint is another request too.
    need = {"position": "焊接工艺工程师", "headcount": 2}
    assert client.post("/api/v1/talent-needs", headers=headers, json=need).status_code == 422
    assert _count(db, Demand) == 1 and _count(db, TalentNeed) == 0


def test_keys_belong_to_their_user_and_expire(
    client: TestClient, factory: Factory, db: Session
) -> None:
    """Two users may use the same key; after KEY_LIFETIME the key creates afresh; no key, no
    deduplication."""
    one = api_headers(client, factory.user("enterprise")) | {"Idempotency-Key": "same"}
    two = api_headers(client, factory.user("enterprise")) | {"Idempotency-Key": "same"}
    assert client.post("/api/v1/demands", headers=one, json=DEMAND).status_code == 201
    assert client.post("/api/v1/demands", headers=two, json=DEMAND).status_code == 201
    assert _count(db, Demand) == 2
    db.execute(update(IdempotencyKey).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    again = client.post("/api/v1/demands", headers=one, json=DEMAND)
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert _count(db, Demand) == 3 and _count(db, IdempotencyKey) == 2
    plain = {k: v for k, v in one.items() if k != "Idempotency-Key"}
    for _ in range(2):
        assert client.post("/api/v1/demands", headers=plain, json=DEMAND).status_code == 201
    assert _count(db, Demand) == 5


def test_failed_create_stores_no_key(client: TestClient, factory: Factory, db: Session) -> None:
    """Only a committed create is remembered: a refused one may be corrected and resent."""
    headers = api_headers(client, factory.user("enterprise")) | {"Idempotency-Key": "fix-me"}
    bad = client.post("/api/v1/demands", headers=headers, json=DEMAND | {"title": ""})
    assert bad.status_code == 422
    assert _count(db, IdempotencyKey) == 0
    blank = client.post("/api/v1/demands", headers=headers | {"Idempotency-Key": " "}, json=DEMAND)
    assert blank.status_code == 422
    assert client.post("/api/v1/demands", headers=headers, json=DEMAND).status_code == 201


def _sender(barrier: threading.Barrier, answers: list[Any], headers: dict[str, str]) -> Any:
    def send(i: int, client: TestClient) -> None:
        barrier.wait()
        response = client.post("/api/v1/demands", headers=headers, json=DEMAND)
        answers[i] = (response.status_code, response.json())

    return send


def test_simultaneous_retries_create_once(
    app: Any, client: TestClient, factory: Factory, db: Session
) -> None:
    """A retry racing the original (same key, same body) still yields one row and two equal
    answers: the key row is unique per user, and the loser replays the winner's result."""
    headers = api_headers(client, factory.user("enterprise"))
    for round_number in range(5):
        key = {"Idempotency-Key": f"race-{round_number}"}
        barrier = threading.Barrier(2)
        answers: list[Any] = [None, None]
        send = _sender(barrier, answers, headers | key)

        with TestClient(app) as first, TestClient(app) as second:
            threads = [
                threading.Thread(target=send, args=(i, c)) for i, c in enumerate([first, second])
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        assert answers[0] == answers[1] and answers[0][0] == 201, answers
        assert _count(db, Demand) == round_number + 1
