"""Login, logout, throttling, cookies and the OAuth2 token endpoint."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import PASSWORD, Factory, api_headers, csrf, login


def test_login_sets_httponly_samesite_cookie(client: TestClient, factory: Factory) -> None:
    user = factory.user("enterprise")
    token = csrf(client)
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "silian_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie.replace("Lax", "lax")
    assert client.get("/my").status_code == 200


def test_wrong_password_is_rejected_without_saying_which(
    client: TestClient, factory: Factory
) -> None:
    user = factory.user("enterprise")
    response = client.post(
        "/login", data={"username": user.username, "password": "nope", "csrf_token": csrf(client)}
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_login_is_throttled_after_repeated_failures(client: TestClient, factory: Factory) -> None:
    user = factory.user("enterprise")
    token = csrf(client)
    for _ in range(5):
        client.post(
            "/login", data={"username": user.username, "password": "x", "csrf_token": token}
        )
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "登录失败次数过多" in response.text


def test_login_form_requires_csrf(client: TestClient, factory: Factory) -> None:
    user = factory.user("enterprise")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 403


def test_logout_invalidates_old_session_cookie(client: TestClient, factory: Factory) -> None:
    user = factory.user("university")
    login(client, user)
    stolen = client.cookies.get("silian_session")
    client.post("/logout", data={"csrf_token": csrf(client)})
    client.cookies.set("silian_session", str(stolen))
    response = client.get("/my", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_login_redirect_stays_on_site(client: TestClient, factory: Factory) -> None:
    user = factory.user("enterprise")
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": csrf(client),
            "next": "//evil.example.com/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_api_token_flow(client: TestClient, factory: Factory) -> None:
    user = factory.user("broker")
    headers = api_headers(client, user)
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["role"] == "broker"
    assert client.get("/api/v1/me").status_code == 401
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401


def test_password_is_hashed_with_argon2(factory: Factory) -> None:
    user = factory.user("expert")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
