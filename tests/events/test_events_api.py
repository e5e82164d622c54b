"""Events through /api/v1: a roadshow from creation to a lead turned deal, and the annual
selection from entries to the published ranked list (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.brokerage.models import Deal
from silian.core import clock
from silian.core.audit import AuditLog
from silian.talent.models import Talent
from tests.support import Factory, api_headers

EVENT = {
    "kind": "roadshow",
    "title": "海洋装备成果月度路演",
    "starts_at": "2026-12-18T14:00:00+08:00",
    "location": "技术转移中心路演厅",
    "capacity": 6,
    "description": "聚焦海洋装备产业链。",
}


def _post(client: TestClient, url: str, headers: dict[str, str], body: Any = None) -> Any:
    return client.post(url, headers=headers, json=body if body is not None else {})


def test_roadshow_from_creation_to_a_lead_turned_deal(
    client: TestClient, db: Session, factory: Factory
) -> None:
    office = api_headers(client, factory.user("office"))
    uni_org = factory.org("university")
    uni_user = factory.user("university", uni_org)
    uni = api_headers(client, uni_user)
    published = factory.achievement(uni_org, by=uni_user)
    draft = factory.achievement(uni_org, "draft", by=uni_user)
    other = factory.achievement(factory.org("university"))
    ent_org = factory.org("enterprise")
    ent = api_headers(client, factory.user("enterprise", ent_org))
    ent2 = api_headers(client, factory.user("enterprise"))
    broker = api_headers(client, factory.user("broker"))

    assert _post(client, "/api/v1/events", uni, EVENT).status_code == 403
    bad = _post(client, "/api/v1/events", office, EVENT | {"location": "", "capacity": 0})
    assert bad.status_code == 422
    created = _post(client, "/api/v1/events", office, EVENT)
    assert created.status_code == 201, created.text
    event = created.json()
    url = f"/api/v1/events/{event['id']}"
    assert event["status"] == "planned"
    # A planned event is the office's draft.
    assert client.get(url, headers=uni).status_code == 404
    assert _post(client, f"{url}/entries", uni, {"achievement_id": published.id}).status_code == 404
    assert _post(client, f"{url}/open", office).json()["status"] == "open_for_entries"

    refused = _post(client, f"{url}/entries", uni, {"achievement_id": draft.id})
    assert refused.status_code == 422
    assert "尚未发布" in refused.json()["errors"]["achievement_id"]
    assert _post(client, f"{url}/entries", uni, {"achievement_id": other.id}).status_code == 403
    entry = _post(
        client, f"{url}/entries", uni, {"achievement_id": published.id, "presenter": "张教授"}
    )
    assert entry.status_code == 201, entry.text
    assert entry.json()["status"] == "pending"
    again = _post(client, f"{url}/entries", uni, {"achievement_id": published.id})
    assert again.status_code == 409
    # Nothing of the refused entries was written.
    assert len(client.get(f"{url}/entries", headers=office).json()) == 1
    # The public sees approved entries only.
    assert client.get(f"{url}/entries").json() == []

    review = f"{url}/entries/{entry.json()['id']}/review"
    assert _post(client, review, uni, {"decision": "approve"}).status_code == 403
    approved = _post(client, review, office, {"decision": "approve", "running_order": 1})
    assert approved.json()["status"] == "approved" and approved.json()["running_order"] == 1
    assert _post(client, f"{url}/schedule", office).json()["status"] == "scheduled"

    assert _post(client, f"{url}/registrations", uni, {"attendees": 1}).status_code == 403
    ok = _post(client, f"{url}/registrations", ent, {"attendees": 4, "contact_name": "李经理"})
    assert ok.status_code == 201, ok.text
    full = _post(client, f"{url}/registrations", ent2, {"attendees": 3})
    assert full.status_code == 422
    assert full.json()["errors"]["attendees"] == "名额不足：共6个名额，剩余2个"
    assert _post(client, f"{url}/registrations", ent2, {"attendees": 2}).status_code == 201
    assert client.get(url).json()["registered"] == 6
    # Each enterprise sees its own registration; the office sees both.
    assert len(client.get(f"{url}/registrations", headers=ent).json()) == 1
    assert len(client.get(f"{url}/registrations", headers=office).json()) == 2

    lead_body = {
        "achievement_id": published.id,
        "organization_id": ent_org.id,
        "note": "想了解价格",
    }
    early = _post(client, f"{url}/leads", broker, lead_body)
    assert early.status_code == 409  # not held yet
    assert _post(client, f"{url}/hold", uni).status_code == 403
    assert _post(client, f"{url}/close", office).status_code == 409
    assert _post(client, f"{url}/hold", office).json()["status"] == "held"
    assert _post(client, f"{url}/leads", ent, lead_body).status_code == 403
    not_entered = _post(client, f"{url}/leads", broker, lead_body | {"achievement_id": other.id})
    assert not_entered.status_code == 422
    lead = _post(client, f"{url}/leads", broker, lead_body)
    assert lead.status_code == 201, lead.text
    due = (clock.today() + timedelta(days=5)).isoformat()
    deal_body = {"next_action": "安排技术交流", "next_due": due, "trade_mode": "license"}
    lead_url = f"{url}/leads/{lead.json()['id']}/deal"
    assert _post(client, lead_url, ent, deal_body).status_code == 403
    converted = _post(client, lead_url, office, deal_body)
    assert converted.status_code == 200, converted.text
    assert converted.json()["status"] == "converted"
    deal = db.get(Deal, converted.json()["deal_id"])
    assert deal is not None
    assert (deal.channel, deal.stage, deal.trade_mode) == (
        "achievements_platform",
        "recommended",
        "license",
    )
    assert (deal.seller_id, deal.buyer_id, deal.achievement_id) == (
        uni_org.id,
        ent_org.id,
        published.id,
    )
    assert _post(client, lead_url, office, deal_body).status_code == 409
    assert _post(client, f"{url}/close", office).json()["status"] == "closed"
    actions = set(
        db.scalars(
            select(AuditLog.action).where(AuditLog.entity_type.in_(("events", "event_leads")))
        )
    )
    assert {"create", "open", "schedule", "hold", "close", "convert"} <= actions


def test_event_put_needs_if_match_and_the_office(client: TestClient, factory: Factory) -> None:
    office = api_headers(client, factory.user("office"))
    event = _post(client, "/api/v1/events", office, EVENT).json()
    url = f"/api/v1/events/{event['id']}"
    assert client.put(url, headers=office, json=EVENT).status_code == 428
    tag = client.get(url, headers=office).headers["etag"]
    changed = client.put(url, headers=office | {"If-Match": tag}, json=EVENT | {"capacity": 80})
    assert changed.status_code == 200 and changed.json()["capacity"] == 80
    assert client.put(url, headers=office | {"If-Match": tag}, json=EVENT).status_code == 412
    weights = EVENT | {"kind": "selection", "criteria": [{"name": "先进性", "weight": 70}]}
    refused = _post(client, "/api/v1/events", office, weights | {"title": "年度优选测试"})
    assert refused.status_code == 422 and "权重之和应为100" in refused.text


def test_annual_selection_from_entries_to_the_published_list(
    client: TestClient, db: Session, factory: Factory
) -> None:
    office_user = factory.user("office")
    office = api_headers(client, office_user)
    uni1, uni2 = factory.org("university"), factory.org("university")
    u1, u2 = factory.user("university", uni1), factory.user("university", uni2)
    a1, a2 = factory.achievement(uni1, by=u1), factory.achievement(uni2, by=u2)
    body = EVENT | {
        "kind": "selection",
        "title": "年度好成果优选",
        "criteria": [{"name": "技术先进性", "weight": 60}, {"name": "转化前景", "weight": 40}],
    }
    url = f"/api/v1/events/{_post(client, '/api/v1/events', office, body).json()['id']}"
    _post(client, f"{url}/open", office)
    e1 = _post(client, f"{url}/entries", api_headers(client, u1), {"achievement_id": a1.id}).json()
    e2 = _post(client, f"{url}/entries", api_headers(client, u2), {"achievement_id": a2.id}).json()
    for e in (e1, e2):
        _post(client, f"{url}/entries/{e['id']}/review", office, {"decision": "approve"})
    _post(client, f"{url}/schedule", office)

    # Judges: one from the first university, one independent.
    judges = []
    for org in (uni1, None):
        user = factory.user("expert")
        talent = Talent(
            name=f"评委{user.username}", user_id=user.id, organization_id=org and org.id
        )
        db.add(talent)
        db.commit()
        judges.append((user, talent.id))
    for _, talent_id in judges:
        assigned = _post(client, f"{url}/judges", office, {"talent_id": talent_id})
        assert assigned.status_code == 201, assigned.text
    assert _post(client, f"{url}/judges", office, {"talent_id": judges[0][1]}).status_code == 409
    h1, h2 = (api_headers(client, user) for user, _ in judges)
    assert _post(client, f"{url}/conflicts", h1, {"entry_ids": []}).status_code == 200
    assert _post(client, f"{url}/conflicts", h2, {"entry_ids": []}).status_code == 200
    score = {"scores": {"技术先进性": 90, "转化前景": 80}}
    own = _post(client, f"{url}/entries/{e1['id']}/scores", h1, score)
    assert own.status_code == 403 and "本单位" in own.json()["detail"]
    out_of_scale = _post(
        client,
        f"{url}/entries/{e2['id']}/scores",
        h1,
        {"scores": {"技术先进性": 120, "转化前景": 80}},
    )
    assert out_of_scale.status_code == 422
    assert "0到100之间" in out_of_scale.json()["errors"]["scores.技术先进性"]
    assert _post(client, f"{url}/entries/{e2['id']}/scores", h1, score).json()["score"] == 86.0
    assert (
        _post(
            client,
            f"{url}/entries/{e2['id']}/scores",
            h2,
            {"scores": {"技术先进性": 70, "转化前景": 70}},
        ).status_code
        == 200
    )
    assert _post(client, f"{url}/entries/{e1['id']}/scores", h2, score).status_code == 200
    # Before publication only the office sees the scores.
    assert client.get(f"{url}/scores", headers=h2).status_code == 403
    ranking = client.get(f"{url}/scores", headers=office).json()
    # e1: 86 (one judge, spread 0); e2: (86 + 70) / 2 = 78, spread 16.
    assert [(r["entry_id"], r["rank"], r["mean"], r["spread"]) for r in ranking] == [
        (e1["id"], 1, 86.0, 0.0),
        (e2["id"], 2, 78.0, 16.0),
    ]
    assert _post(client, f"{url}/publish-results", office).status_code == 409  # not held yet
    _post(client, f"{url}/hold", office)
    assert _post(client, f"{url}/publish-results", h1).status_code == 403
    published = _post(client, f"{url}/publish-results", office)
    assert published.status_code == 200 and published.json()["results_published_at"]
    frozen = _post(client, f"{url}/entries/{e2['id']}/scores", h2, score)
    assert frozen.status_code == 409 and "不能再修改" in frozen.json()["detail"]
    public = client.get(f"{url}/scores").json()
    assert [(r["rank"], r["award"]) for r in public] == [(1, "一等奖"), (2, "二等奖")]
    page = client.get("/good-achievements")
    assert page.status_code == 200
    assert "年度好成果优选" in page.text and a1.title in page.text
    assert page.text.index(a1.title) < page.text.index(a2.title)
