"""One-time messages after an action: set on the redirect, shown once, escaped like any text."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.core.flash import FLASH_COOKIE, MAX_LENGTH, redirect
from silian.notifications import service as notifications
from silian.talent import service as talent
from tests.support import Factory, csrf, login

STATUS = 'class="flash ok" role="status">'


def test_redirect_carries_the_message_in_a_cookie() -> None:
    response = redirect("/demands/1", "需求已提交审核")
    assert response.status_code == 303
    assert response.headers["location"] == "/demands/1"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{FLASH_COOKIE}={quote('需求已提交审核')}")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_long_messages_are_cut() -> None:
    cookie = redirect("/", "长" * 1000).headers["set-cookie"]
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    assert value == quote("长" * MAX_LENGTH)


def test_message_shows_once_and_is_escaped(client: TestClient) -> None:
    client.cookies.set(FLASH_COOKIE, quote("<script>alert(1)</script>已保存"))
    first = client.get("/")
    assert STATUS + "&lt;script&gt;alert(1)&lt;/script&gt;已保存</div>" in first.text
    assert "<script>alert(1)" not in first.text
    # The page that showed it clears it (a browser then drops the cookie).
    assert f'{FLASH_COOKIE}=""; expires=' in first.headers["set-cookie"]


def test_a_feature_action_tells_the_user_what_happened(
    client: TestClient, factory: Factory, db: Session
) -> None:
    owner = factory.user("enterprise")
    need = talent.create_need(db, owner, {"position": "焊接工艺工程师", "headcount": 2})
    login(client, owner)
    response = client.post(f"/talent-needs/{need.id}/close", data={"csrf_token": csrf(client)})
    assert response.status_code == 200  # followed the redirect to the need's page
    assert STATUS + "人才需求已关闭</div>" in response.text


def test_marking_the_bell_read_says_how_many(
    client: TestClient, factory: Factory, db: Session
) -> None:
    user = factory.user("broker")
    for title in ("新的撮合建议待处理", "合同节点即将到期"):
        notifications.notify(db, user.id, "match_assigned", title, "/brokerage")
    db.commit()
    login(client, user)
    first = client.post("/notifications/read-all", data={"csrf_token": csrf(client)})
    assert STATUS + "已将 2 条提醒标为已读</div>" in first.text
    again = client.post("/notifications/read-all", data={"csrf_token": csrf(client)})
    assert STATUS + "没有未读提醒</div>" in again.text
