"""Challenges through the API: settings, lifecycle, bids, reviewers, scoring and award."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.challenges.models import BidScore, ChallengeAcceptance
from silian.core.audit import AuditLog
from silian.demands.models import Bid
from silian.notifications.models import Notification
from tests.challenges.helpers import BID, SETTINGS, Clock, expert, published_demand
from tests.support import Factory, api_headers


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The challenges service's clock, movable past the deadline."""
    return Clock(monkeypatch)


def _open_challenge(
    client: TestClient, db: Session, factory: Factory, **settings: Any
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """A published challenge of a fresh enterprise; returns it, poster's and office's headers."""
    poster = factory.user("enterprise")
    office = factory.user("office")
    assert poster.organization is not None
    secret = "confidential" if settings.get("confidential") else "public"
    demand = published_demand(db, poster.organization, confidentiality=secret)
    h_poster, h_office = api_headers(client, poster), api_headers(client, office)
    created = client.post(
        "/api/v1/challenges", headers=h_poster, json=SETTINGS | settings | {"demand_id": demand.id}
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft"
    cid = created.json()["id"]
    published = client.post(f"/api/v1/challenges/{cid}/publish", headers=h_office)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "bidding"
    return published.json(), h_poster, h_office


def test_whole_road_from_challenge_to_award(
    client: TestClient, db: Session, factory: Factory, clock: Clock
) -> None:
    challenge, h_poster, h_office = _open_challenge(client, db, factory)
    cid = challenge["id"]
    uni_a, uni_b = factory.org("university", "甲大学"), factory.org("university", "乙大学")
    team_a = factory.user("university", org=uni_a)
    team_b = factory.user("university", org=uni_b)
    h_a, h_b = api_headers(client, team_a), api_headers(client, team_b)
    # A team member who has a Talent profile in the unit is linked to it.
    _, wang = expert(db, factory, "王膜", org=uni_a)

    bid_a = client.post(f"/api/v1/challenges/{cid}/bids", headers=h_a, json=BID)
    assert bid_a.status_code == 201, bid_a.text
    assert bid_a.json()["team_members"][0]["talent_id"] == wang.id
    bid_b = client.post(
        f"/api/v1/challenges/{cid}/bids", headers=h_b, json=BID | {"team_name": "乙大学团队"}
    )
    assert bid_b.status_code == 201
    a_id, b_id = bid_a.json()["id"], bid_b.json()["id"]

    # Before the deadline a bidder sees only its own bid and the poster sees none.
    assert [b["id"] for b in client.get(f"/api/v1/challenges/{cid}/bids", headers=h_a).json()] == [
        a_id
    ]
    assert client.get(f"/api/v1/challenges/{cid}/bids", headers=h_poster).json() == []
    assert client.get(f"/api/v1/bids/{b_id}", headers=h_a).status_code == 404
    edited = client.put(
        f"/api/v1/bids/{a_id}", headers=h_a | {"If-Match": '"1"'}, json=BID | {"amount": "550000"}
    )
    assert edited.status_code == 200 and float(edited.json()["amount"]) == 550000

    # Reviewers: one from 甲大学 (the bidder A's unit), one independent.
    rev1_user, rev1 = expert(db, factory, "张评审", org=uni_a)
    rev2_user, rev2 = expert(db, factory, "周评审")
    for talent in (rev1, rev2):
        r = client.post(
            f"/api/v1/challenges/{cid}/reviewers", headers=h_office, json={"talent_id": talent.id}
        )
        assert r.status_code == 201, r.text

    clock.after_deadline()
    assert {
        b["id"] for b in client.get(f"/api/v1/challenges/{cid}/bids", headers=h_poster).json()
    } == {a_id, b_id}
    started = client.post(f"/api/v1/challenges/{cid}/start-evaluation", headers=h_poster)
    assert started.status_code == 200, started.text
    assert started.json()["scoring_criteria"] == SETTINGS["criteria"]

    h_r1, h_r2 = api_headers(client, rev1_user), api_headers(client, rev2_user)
    for h in (h_r1, h_r2):
        assert (
            client.post(
                f"/api/v1/challenges/{cid}/conflicts", headers=h, json={"bid_ids": []}
            ).status_code
            == 200
        )
    scores = {"scores": {"技术方案": 90, "团队能力": 80}}
    refused = client.post(f"/api/v1/bids/{a_id}/scores", headers=h_r1, json=scores)
    assert refused.status_code == 403 and "本单位" in refused.json()["detail"]
    s1 = client.post(f"/api/v1/bids/{b_id}/scores", headers=h_r1, json=scores)
    assert s1.status_code == 201 and s1.json()["total"] == 86.0
    s2 = client.post(
        f"/api/v1/bids/{b_id}/scores",
        headers=h_r2,
        json={"scores": {"技术方案": 70, "团队能力": 60}},
    )
    assert s2.json()["total"] == 66.0
    s3 = client.post(
        f"/api/v1/bids/{a_id}/scores",
        headers=h_r2,
        json={"scores": {"技术方案": 60, "团队能力": 50}},
    )
    assert s3.status_code == 201
    again = client.post(f"/api/v1/bids/{b_id}/scores", headers=h_r2, json=scores)
    assert again.status_code == 409 and "重复" in again.json()["detail"]

    table = {
        e["bid_id"]: e
        for e in client.get(f"/api/v1/challenges/{cid}/evaluation", headers=h_office).json()
    }
    assert table[b_id]["mean"] == 76.0 and table[b_id]["spread"] == 20.0
    assert table[a_id]["mean"] == 56.0

    assert (
        client.post(f"/api/v1/bids/{b_id}/shortlist", headers=h_office).json()["status"]
        == "shortlisted"
    )
    missing = client.post(
        f"/api/v1/challenges/{cid}/award", headers=h_office, json={"bid_id": b_id}
    )
    assert missing.status_code == 422 and f"feedback.{a_id}" in missing.json()["errors"]
    awarded = client.post(
        f"/api/v1/challenges/{cid}/award",
        headers=h_office,
        json={
            "bid_id": b_id,
            "feedback": {
                str(a_id): {"reason": "cost", "note": "报价高于预算上限，方案成熟度亦略低。"}
            },
        },
    )
    assert awarded.status_code == 200, awarded.text
    assert awarded.json()["status"] == "awarded" and awarded.json()["awarded_bid_id"] == b_id
    loser = client.get(f"/api/v1/bids/{a_id}", headers=h_a).json()
    assert loser["status"] == "rejected" and loser["feedback_reason"] == "cost"
    assert "报价" in loser["feedback"]
    assert client.get(f"/api/v1/bids/{b_id}", headers=h_b).json()["status"] == "awarded"
    # Bidders were told; reviewers were asked to review; every step left an audit row.
    notes = client.get("/api/v1/notifications", headers=h_a).json()
    assert notes["unread"] >= 1 and any("反馈" in n["title"] for n in notes["items"])
    assert client.get("/api/v1/notifications", headers=h_r2).json()["unread"] >= 1
    actions = set(db.scalars(select(AuditLog.action).where(AuditLog.entity_type == "challenges")))
    assert {"create", "bidding", "assign_reviewer", "evaluating", "award"} <= actions


def test_confidential_details_need_recorded_acceptance(
    client: TestClient, db: Session, factory: Factory, clock: Clock
) -> None:
    terms = "参与方须对需求细节保密，不得向第三方披露。"
    challenge, _, _ = _open_challenge(client, db, factory, confidential=True, terms_text=terms)
    cid = challenge["id"]
    bidder = factory.user("enterprise")
    h = api_headers(client, bidder)
    before = client.get(f"/api/v1/challenges/{cid}", headers=h).json()
    assert before["terms_accepted"] is False and before["details"] is None
    refused = client.post(f"/api/v1/challenges/{cid}/bids", headers=h, json=BID)
    assert refused.status_code == 403 and "条款" in refused.json()["detail"]
    accepted = client.post(f"/api/v1/challenges/{cid}/accept-terms", headers=h)
    assert accepted.json()["terms_accepted"] is True
    assert "清洗周期" in accepted.json()["details"]["problem"]
    assert client.get(f"/api/v1/challenges/{cid}").json()["details"] is None
    assert db.scalars(select(ChallengeAcceptance)).one().user_id == bidder.id
    assert client.post(f"/api/v1/challenges/{cid}/bids", headers=h, json=BID).status_code == 201


def test_settings_are_validated_field_by_field(
    client: TestClient, db: Session, factory: Factory, clock: Clock
) -> None:
    poster = factory.user("enterprise")
    assert poster.organization is not None
    demand = published_demand(db, poster.organization)
    h = api_headers(client, poster)
    bad = SETTINGS | {
        "demand_id": demand.id,
        "criteria": [{"name": "技术方案", "weight": 60}, {"name": "团队能力", "weight": 30}],
        "prize": "-5",
        "ip_terms": "whatever",
    }
    response = client.post("/api/v1/challenges", headers=h, json=bad)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "criteria" in errors and "100" in errors["criteria"]
    assert "prize" in errors and "ip_terms" in errors
    past = client.post(
        "/api/v1/challenges",
        headers=h,
        json=SETTINGS | {"demand_id": demand.id, "bidding_deadline": "2020-01-01"},
    )
    assert past.status_code == 422 and "bidding_deadline" in past.json()["errors"]
    ok = client.post(
        "/api/v1/challenges", headers=h, json=SETTINGS | {"demand_id": demand.id, "prize": "面议"}
    )
    assert ok.status_code == 201 and float(ok.json()["prize"]) == 0
    # A confidential challenge on a public demand would leak through the demand's page.
    leaky = client.put(
        f"/api/v1/challenges/{ok.json()['id']}",
        headers=h | {"If-Match": f'"{ok.json()["version"]}"'},
        json=SETTINGS | {"confidential": True, "terms_text": "参与方须对需求细节严格保密。"},
    )
    assert leaky.status_code == 422 and "confidential" in leaky.json()["errors"]
    twice = client.post("/api/v1/challenges", headers=h, json=SETTINGS | {"demand_id": demand.id})
    assert twice.status_code == 409


def test_every_refused_transition_has_a_clear_message(
    client: TestClient, db: Session, factory: Factory, clock: Clock
) -> None:
    poster = factory.user("enterprise")
    office = factory.user("office")
    assert poster.organization is not None
    h_poster, h_office = api_headers(client, poster), api_headers(client, office)
    demand = published_demand(db, poster.organization)
    cid = client.post(
        "/api/v1/challenges", headers=h_poster, json=SETTINGS | {"demand_id": demand.id}
    ).json()["id"]
    solver = factory.user("university")
    h_solver = api_headers(client, solver)

    def refused(response: Any, status: int, text: str) -> None:
        assert response.status_code == status, response.text
        assert text in response.json()["detail"], response.json()

    # Draft: nobody bids; only the office publishes.
    refused(
        client.post(f"/api/v1/challenges/{cid}/bids", headers=h_solver, json=BID), 404, "尚未发布"
    )
    refused(client.post(f"/api/v1/challenges/{cid}/publish", headers=h_poster), 403, "政府部门")
    refused(
        client.post(f"/api/v1/challenges/{cid}/start-evaluation", headers=h_poster),
        409,
        "不能开始评审",
    )
    client.post(f"/api/v1/challenges/{cid}/publish", headers=h_office)
    refused(client.post(f"/api/v1/challenges/{cid}/publish", headers=h_office), 409, "不能发布")
    # Bidding: the poster cannot bid on its own list; a unit holds one live bid.
    refused(
        client.post(f"/api/v1/challenges/{cid}/bids", headers=h_poster, json=BID), 403, "发榜单位"
    )
    refused(client.post(f"/api/v1/challenges/{cid}/bids", headers=h_office, json=BID), 403, "揭榜")
    first = client.post(f"/api/v1/challenges/{cid}/bids", headers=h_solver, json=BID).json()
    colleague = factory.user("university", org=solver.organization)
    h_colleague = api_headers(client, colleague)
    refused(
        client.post(f"/api/v1/challenges/{cid}/bids", headers=h_colleague, json=BID),
        409,
        "一份有效",
    )
    refused(client.post(f"/api/v1/bids/{first['id']}/withdraw", headers=h_poster), 404, "无权查看")
    refused(
        client.post(f"/api/v1/challenges/{cid}/start-evaluation", headers=h_poster), 409, "截止日期"
    )
    refused(
        client.post(
            f"/api/v1/challenges/{cid}/award", headers=h_office, json={"bid_id": first["id"]}
        ),
        409,
        "不能定榜",
    )
    refused(client.post(f"/api/v1/bids/{first['id']}/shortlist", headers=h_office), 409, "入围")
    # Withdrawing frees the slot for a colleague.
    assert (
        client.post(f"/api/v1/bids/{first['id']}/withdraw", headers=h_solver).json()["status"]
        == "withdrawn"
    )
    second = client.post(f"/api/v1/challenges/{cid}/bids", headers=h_colleague, json=BID)
    assert second.status_code == 201
    # After the deadline nothing about a bid changes.
    clock.after_deadline()
    sid = second.json()["id"]
    bid_tag = {"If-Match": f'"{second.json()["version"]}"'}
    refused(client.put(f"/api/v1/bids/{sid}", headers=h_colleague | bid_tag, json=BID), 409, "截止")
    refused(client.post(f"/api/v1/bids/{sid}/withdraw", headers=h_colleague), 409, "截止")
    refused(client.post(f"/api/v1/challenges/{cid}/bids", headers=h_solver, json=BID), 409, "截止")
    tag = {"If-Match": client.get(f"/api/v1/challenges/{cid}", headers=h_poster).headers["ETag"]}
    refused(
        client.put(f"/api/v1/challenges/{cid}", headers=h_poster | tag, json=SETTINGS), 409, "截止"
    )
    # Evaluation: only assigned reviewers score, after declaring conflicts.
    client.post(f"/api/v1/challenges/{cid}/start-evaluation", headers=h_poster)
    scores = {"scores": {"技术方案": 80, "团队能力": 80}}
    refused(
        client.post(f"/api/v1/bids/{sid}/scores", headers=h_office, json=scores), 403, "评审专家"
    )
    rev_user, rev = expert(db, factory, "吴评审")
    client.post(f"/api/v1/challenges/{cid}/reviewers", headers=h_poster, json={"talent_id": rev.id})
    h_rev = api_headers(client, rev_user)
    refused(client.post(f"/api/v1/bids/{sid}/scores", headers=h_rev, json=scores), 409, "利益冲突")
    client.post(
        f"/api/v1/challenges/{cid}/conflicts",
        headers=h_rev,
        json={"bid_ids": [sid], "note": "曾合作"},
    )
    refused(client.post(f"/api/v1/bids/{sid}/scores", headers=h_rev, json=scores), 403, "利益冲突")
    client.post(f"/api/v1/challenges/{cid}/conflicts", headers=h_rev, json={"bid_ids": []})
    bad = client.post(
        f"/api/v1/bids/{sid}/scores", headers=h_rev, json={"scores": {"技术方案": 120}}
    )
    assert bad.status_code == 422 and {"scores.技术方案", "scores.团队能力"} <= set(
        bad.json()["errors"]
    )
    refused(
        client.post(f"/api/v1/challenges/{cid}/award", headers=h_office, json={"bid_id": sid}),
        409,
        "尚未评分",
    )
    # Closing needs a reason; a closed challenge goes nowhere.
    assert (
        client.post(
            f"/api/v1/challenges/{cid}/close", headers=h_poster, json={"reason": ""}
        ).status_code
        == 422
    )
    closed = client.post(
        f"/api/v1/challenges/{cid}/close", headers=h_poster, json={"reason": "方案均未达到指标要求"}
    )
    assert (
        closed.json()["status"] == "closed"
        and closed.json()["close_reason"] == "方案均未达到指标要求"
    )
    refused(
        client.post(f"/api/v1/challenges/{cid}/start-evaluation", headers=h_poster), 409, "已关闭"
    )
    refused(
        client.post(
            f"/api/v1/challenges/{cid}/close", headers=h_poster, json={"reason": "再次关闭"}
        ),
        409,
        "已关闭",
    )


def test_government_list_is_run_by_the_office(
    client: TestClient, db: Session, factory: Factory, clock: Clock
) -> None:
    office = factory.user("office")
    org = factory.org("enterprise")
    demand = published_demand(db, org, list_type="government")
    poster = factory.user("enterprise", org=org)
    h_poster = api_headers(client, poster)
    refused = client.post(
        "/api/v1/challenges", headers=h_poster, json=SETTINGS | {"demand_id": demand.id}
    )
    assert refused.status_code == 403 and "政府榜" in refused.json()["detail"]
    made = client.post(
        "/api/v1/challenges",
        headers=api_headers(client, office),
        json=SETTINGS | {"demand_id": demand.id},
    )
    assert made.status_code == 201


def test_stale_edits_are_refused_and_nothing_is_overwritten(
    client: TestClient, db: Session, factory: Factory, clock: Clock
) -> None:
    challenge, h_poster, h_office = _open_challenge(client, db, factory)
    cid = challenge["id"]
    version = challenge["version"]
    first = client.put(
        f"/api/v1/challenges/{cid}",
        headers=h_poster | {"If-Match": f'"{version}"'},
        json=SETTINGS | {"prize": "900000"},
    )
    assert first.status_code == 200
    second = client.put(
        f"/api/v1/challenges/{cid}",
        headers=h_office | {"If-Match": f'"{version}"'},
        json=SETTINGS | {"prize": "1"},
    )
    assert second.status_code == 412 and "他人修改" in second.json()["detail"]
    assert float(client.get(f"/api/v1/challenges/{cid}").json()["prize"]) == 900000

    bidder = factory.user("university")
    h = api_headers(client, bidder)
    bid = client.post(f"/api/v1/challenges/{cid}/bids", headers=h, json=BID).json()
    ok = client.put(
        f"/api/v1/bids/{bid['id']}",
        headers=h | {"If-Match": '"1"'},
        json=BID | {"schedule": "三个月"},
    )
    assert ok.status_code == 200
    stale = client.put(
        f"/api/v1/bids/{bid['id']}",
        headers=h | {"If-Match": '"1"'},
        json=BID | {"schedule": "九个月"},
    )
    assert stale.status_code == 412
    assert db.get(Bid, bid["id"]) is not None
    db.expire_all()
    stored = db.get(Bid, bid["id"])
    assert stored is not None and stored.schedule == "三个月"


def test_notifications_read_per_item_and_all(
    client: TestClient, db: Session, factory: Factory, clock: Clock
) -> None:
    user = factory.user("expert")
    other = factory.user("expert")
    for i in range(3):
        db.add(
            Notification(user_id=user.id, kind="bid_review", title=f"待办{i}", url="/challenges")
        )
    db.add(Notification(user_id=other.id, kind="bid_review", title="别人的", url="/"))
    db.commit()
    h = api_headers(client, user)
    listed = client.get("/api/v1/notifications", headers=h).json()
    assert listed["unread"] == 3 and len(listed["items"]) == 3
    first = listed["items"][0]["id"]
    assert client.post(f"/api/v1/notifications/{first}/read", headers=h).json()["read_at"]
    assert client.get("/api/v1/notifications", headers=h).json()["unread"] == 2
    foreign = db.scalars(select(Notification).where(Notification.user_id == other.id)).one()
    assert client.post(f"/api/v1/notifications/{foreign.id}/read", headers=h).status_code == 404
    assert client.post("/api/v1/notifications/read-all", headers=h).json() == {"marked": 2}
    assert client.get("/api/v1/notifications?unread=true", headers=h).json()["items"] == []
    assert (
        client.get("/api/v1/notifications", headers=api_headers(client, other)).json()["unread"]
        == 1
    )


def test_scores_are_unique_per_reviewer_in_the_database(db: Session) -> None:
    constraint_names = {c.name for c in BidScore.__table__.constraints}
    assert "uq_bid_scores_bid_id_reviewer_id" in constraint_names
