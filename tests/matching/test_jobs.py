"""Workbench glue: a newly published demand's suggestions become assigned matches with reasons."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.brokerage.models import Broker, Match
from silian.config import Settings
from silian.core import events
from silian.demands.models import Demand
from silian.web.app import create_app
from tests.support import Factory, api_headers, csrf, login

TITLES = [
    ("高通量抗污染反渗透膜制备方法", "反渗透膜 抗污染 海水淡化 膜清洗周期延长"),
    ("船用推进器低噪声设计方法", "推进器 降噪 船舶"),
    ("养殖废水生物处理技术", "养殖废水 厌氧发酵 人工湿地"),
]


def _client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        home=tmp_path / "home", database_url=db_url, secret_key="jobs", auto_match=True
    )
    before = list(events._listeners)
    with TestClient(create_app(settings)) as client:
        yield client
    for listener in list(events._listeners):
        if listener not in before:
            events.unsubscribe(listener)


def test_published_demand_queues_assigned_matches(
    db: Session, db_url: str, factory: Factory, tmp_path: Path
) -> None:
    uni = factory.org("university")
    for title, summary in TITLES:
        db.add(
            Achievement(title=title, summary=summary, organization_id=uni.id, status="published")
        )
    broker_user = factory.user("broker")
    db.add(
        Broker(
            name="海洋经纪人", user_id=broker_user.id, specialties=["海水淡化"], max_active_deals=5
        )
    )
    db.commit()
    owner, office = factory.user("enterprise"), factory.user("office")
    for client in _client(db_url, tmp_path):
        h_owner, h_office = api_headers(client, owner), api_headers(client, office)
        body: dict[str, Any] = {
            "title": "海水淡化反渗透膜污染控制",
            "problem": "海水淡化装置反渗透膜污染严重，清洗周期太短，希望延长膜清洗周期。",
            "keywords": ["反渗透膜", "海水淡化"],
        }
        did = client.post("/api/v1/demands", headers=h_owner, json=body).json()["id"]
        client.post(f"/api/v1/demands/{did}/submit", headers=h_owner)
        assert client.post(f"/api/v1/demands/{did}/approve", headers=h_office).status_code == 200
        db.expire_all()
        matches = list(
            db.scalars(select(Match).where(Match.source_kind == "demand", Match.source_id == did))
        )
        assert matches, "no suggestions were queued"
        best = max(matches, key=lambda m: m.score)
        achievement = db.get(Achievement, best.target_id)
        assert achievement is not None and achievement.title == TITLES[0][0]
        assert best.reasons and best.broker_id is not None and "专业对口" in best.assignment_note
        queue = client.get(
            "/api/v1/brokerage/queue", headers=api_headers(client, broker_user)
        ).json()
        assert {m["id"] for m in queue["matches"]} == {m.id for m in matches}
        assert (
            client.get("/api/v1/notifications", headers=api_headers(client, broker_user)).json()[
                "unread"
            ]
            == 1
        )
        # On demand for an achievement (office only).
        ach = db.scalars(select(Achievement).order_by(Achievement.id)).first()
        assert ach is not None
        refused = client.post(
            "/api/v1/matches/generate",
            headers=h_owner,
            json={"source_kind": "achievement", "source_id": ach.id},
        )
        assert refused.status_code == 403
        made = client.post(
            "/api/v1/matches/generate",
            headers=h_office,
            json={"source_kind": "achievement", "source_id": ach.id},
        )
        assert made.status_code == 201, made.text
        assert all(m["target_kind"] == "demand" for m in made.json())
        # From the achievement's page the office is told what happened (nothing new the 2nd time).
        login(client, office)
        again = client.post(
            "/matches/generate",
            data={"source_kind": "achievement", "source_id": ach.id, "csrf_token": csrf(client)},
        )
        assert again.status_code == 200 and "没有新的撮合建议" in again.text
    assert db.scalar(select(Demand.status).where(Demand.id == did)) == "published"
