"""Challenge and deal pages: the hall's countdown, choosing a demand, the deal's history."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.brokerage.models import Deal, MatchFeedback
from silian.challenges import service
from tests.brokerage.helpers import broker, match, pair
from tests.challenges.helpers import SETTINGS, Clock, published_demand
from tests.support import Factory, csrf, login


def test_hall_countdown_and_choosing_a_demand(
    client: TestClient, db: Session, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch)
    poster, office = factory.user("enterprise"), factory.user("office")
    assert poster.organization is not None
    demand = published_demand(db, poster.organization)
    other = published_demand(db, factory.org("enterprise"))
    login(client, poster)
    form = client.get("/challenges/new").text
    assert f'<option value="{demand.id}"' in form and f'<option value="{other.id}"' not in form
    missing = client.post(
        "/challenges/new",
        data={"csrf_token": csrf(client), "bidding_deadline": SETTINGS["bidding_deadline"]},
    )
    assert missing.status_code == 422 and "请选择要揭榜挂帅的需求" in missing.text
    item = service.create_challenge(db, poster, demand.id, dict(SETTINGS))
    service.publish_challenge(db, office, item.id)
    hall = TestClient(client.app).get("/challenges").text
    assert demand.title in hall and "剩 10 天" in hall
    assert f'<option value="{demand.id}"' not in client.get("/challenges/new").text


def test_deal_page_shows_the_suggestions_feedback_history(
    client: TestClient, db: Session, factory: Factory
) -> None:
    user, profile = broker(db, factory, "刘经纪")
    demand, achievement = pair(db, factory.org("enterprise"), factory.org("university"))
    m = match(db, demand, achievement, profile.id)
    db.add(
        MatchFeedback(match_id=m.id, user_id=user.id, verdict="useful", comment="企业认为方向对口")
    )
    deal = Deal(title="推进器降噪对接", broker_id=profile.id, match_id=m.id, stage="contacted")
    db.add(deal)
    db.commit()
    login(client, user)
    page = client.get(f"/deals/{deal.id}").text
    assert "推荐反馈：有用" in page and "企业认为方向对口" in page
