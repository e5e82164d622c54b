"""Chain overview and chain map: real content, counts, and what each role may see."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.chain_world import build
from tests.support import Factory, api_headers, login

ROLES = ("office", "university", "enterprise", "broker", "expert", "platform")


def test_chain_list_shows_codes_disciplines_and_counts(
    client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    page = client.get("/chains")
    assert page.status_code == 200
    for text in ("海洋装备产业链", "3731", "船舶与海洋工程", "集成电路产业链"):
        assert text in page.text
    body = client.get("/api/v1/chains").json()
    assert body["total"] == 2
    marine = next(c for c in body["items"] if c["id"] == w.chain.id)
    # One published achievement and demand; drafts are not counted; the hidden talent neither.
    assert marine["counts"] == {
        "achievements": 1,
        "demands": 1,
        "enterprises": 2,
        "platforms": 1,
        "talents": 1,
    }


def test_chain_map_shows_the_four_chains(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    page = client.get(f"/chains/{w.chain.id}")
    assert page.status_code == 200
    for text in (
        "链主企业",
        "北海重工集团",
        "蓝港海工科技",
        "深海耐压壳体焊接工艺",
        "船用低噪声推进器需求",
        "海工装备中试基地",
        "李海洋",
        "海洋装备结构工程师",
        "北海重工冠名班",
        "海洋装备现代产业学院",
        "海洋装备公共实训基地",
        "海洋装备市域产教联合体",
    ):
        assert text in page.text, text
    for hidden in ("未公开的草稿成果", "尚未提交的需求草稿", "王隐名", "海工装备产才融合项目"):
        assert hidden not in page.text, hidden
    # Salary rules are for signed-in users only.
    assert "按薪定才标准" not in page.text


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_chain_map(
    role: str, client: TestClient, factory: Factory, db: Session
) -> None:
    w = build(db, factory)
    login(client, factory.user(role))
    page = client.get(f"/chains/{w.chain.id}")
    assert page.status_code == 200
    assert "按薪定才标准" in page.text and "50万元" in page.text
    assert "未公开的草稿成果" not in page.text
    assert ("海工装备产才融合项目" in page.text) == (role == "office")
    assert ("王隐名" in page.text) == (role == "office")
    assert client.get("/chains").status_code == 200


def test_inactive_chain_only_for_office(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    w.other_chain.is_active = False
    db.commit()
    assert client.get(f"/chains/{w.other_chain.id}").status_code == 404
    assert "集成电路产业链" not in client.get("/chains").text
    enterprise = api_headers(client, factory.user("enterprise"))
    assert client.get(f"/api/v1/chains/{w.other_chain.id}", headers=enterprise).status_code == 404
    office = factory.user("office")
    office_headers = api_headers(client, office)
    assert (
        client.get(f"/api/v1/chains/{w.other_chain.id}", headers=office_headers).status_code == 200
    )
    login(client, office)
    assert "集成电路产业链" in client.get("/chains").text


def test_chain_api_detail(client: TestClient, factory: Factory, db: Session) -> None:
    w = build(db, factory)
    body = client.get(f"/api/v1/chains/{w.chain.id}").json()
    assert [o["name"] for o in body["leaders"]] == ["北海重工集团"]
    assert [a["title"] for a in body["achievements"]] == ["深海耐压壳体焊接工艺"]
    assert [t["title"] for t in body["talents"]] == ["李海洋"]
    assert body["counts"]["named_classes"] == 1
    assert client.get("/api/v1/chains/9999").status_code == 404
    assert client.get("/chains/9999").status_code == 404
