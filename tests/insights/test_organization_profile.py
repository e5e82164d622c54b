"""Unit profiles (an insights view): real content, and drafts never shown to outsiders."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.chain_world import build
from tests.support import Factory, api_headers, login

OUTSIDER_ROLES = ("enterprise", "broker", "expert", "platform", "university")


def test_profile_shows_published_records(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    page = client.get(f"/organizations/{w.university.id}")
    assert page.status_code == 200
    for text in (
        "滨海海洋大学",
        "高校",
        "深海耐压壳体焊接工艺",
        "李海洋",
        "北海重工冠名班",
        "海洋装备公共实训基地",
        "海洋装备现代产业学院",
        "海洋装备市域产教联合体",
        "海洋装备产业链",
    ):
        assert text in page.text, text
    assert "未公开的草稿成果" not in page.text
    assert "登录后可见" in page.text


def test_leader_profile(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    page = client.get(f"/organizations/{w.leader.id}")
    for text in ("链主企业", "船用低噪声推进器需求", "海工装备中试基地", "海洋装备结构工程师"):
        assert text in page.text, text
    assert "海工装备产才融合项目" not in page.text


@pytest.mark.parametrize("role", OUTSIDER_ROLES)
def test_outsiders_never_see_drafts(
    role: str, client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    user = factory.user(role)
    login(client, user)
    page = client.get(f"/organizations/{w.university.id}")
    assert page.status_code == 200
    assert "未公开的草稿成果" not in page.text
    assert "尚未提交的需求草稿" not in client.get(f"/organizations/{w.enterprise.id}").text
    assert "王隐名" not in client.get(f"/organizations/{w.enterprise.id}").text
    body = client.get(
        f"/api/v1/organizations/{w.university.id}", headers=api_headers(client, user)
    ).json()
    assert [a["title"] for a in body["achievements"]] == ["深海耐压壳体焊接工艺"]
    assert body["contact_name"] is not None


def test_members_and_office_see_own_drafts(
    client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    login(client, factory.user("university", org=w.university))
    assert "未公开的草稿成果" in client.get(f"/organizations/{w.university.id}").text
    login(client, factory.user("office"))
    page = client.get(f"/organizations/{w.enterprise.id}")
    assert "尚未提交的需求草稿" in page.text and "王隐名" in page.text
    assert "海工装备产才融合项目" in client.get(f"/organizations/{w.leader.id}").text


def test_inactive_unit_hidden(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    w.enterprise.is_active = False
    db.commit()
    assert client.get(f"/organizations/{w.enterprise.id}").status_code == 404
    assert client.get(f"/api/v1/organizations/{w.enterprise.id}").status_code == 404
    login(client, factory.user("enterprise", org=w.enterprise))
    assert client.get(f"/organizations/{w.enterprise.id}").status_code == 200
    login(client, factory.user("office"))
    assert client.get(f"/organizations/{w.enterprise.id}").status_code == 200
