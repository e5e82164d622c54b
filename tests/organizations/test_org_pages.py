"""Unit directory: filters on kind, chain and chain leaders, on pages and the API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.chain_world import build
from tests.support import Factory


def test_directory_filters_and_api(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    factory.org("enterprise", name="无关联的外地企业")
    page = client.get(f"/organizations?chain={w.chain.id}&kind=enterprise")
    assert "北海重工集团" in page.text and "蓝港海工科技" in page.text
    assert "滨海海洋大学" not in page.text and "无关联的外地企业" not in page.text
    assert "北海重工集团" in client.get("/organizations?leaders=1").text
    assert "蓝港海工科技" not in client.get("/organizations?leaders=1").text
    body = client.get("/api/v1/organizations?kind=university").json()
    assert [o["name"] for o in body["items"]] == ["滨海海洋大学"]
    assert body["items"][0]["contact_name"] is None
    profile = client.get(f"/api/v1/organizations/{w.leader.id}").json()
    assert profile["counts"]["demands"] == 1 and profile["counts"]["platforms"] == 1
