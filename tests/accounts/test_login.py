"""Login, logout, throttling, cookies and the OAuth2 token endpoint."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from silian.accounts.models import LoginAttempt
from silian.accounts.service import client_address
from silian.cli import proxy_options
from silian.config import Settings, load_settings, parse_trusted_proxies
from silian.core.db import utcnow
from silian.web.app import create_app
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


# --- Login throttling (issue 14, defect 4: the throttle locked out everyone behind one address) --


def _client_from(app: Any, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def _token(client: TestClient, username: str, password: str, **headers: str) -> Response:
    return client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}, headers=headers
    )


@pytest.fixture
def quick_settings(settings: Settings) -> Settings:
    """The default limits, without the delay a throttled address's failures get."""
    return dataclasses.replace(settings, login_address_delay=0.0)


def test_defect4_made_up_usernames_from_one_address_do_not_lock_out_a_real_user(
    quick_settings: Settings, factory: Factory
) -> None:
    user = factory.user("enterprise")
    app = create_app(quick_settings)
    with _client_from(app, "203.0.113.7") as client:
        for i in range(quick_settings.login_max_address_failures + 5):
            _token(client, f"made-up-{i}", "guess")
        # The address is throttled: its failures now answer 429 with Retry-After …
        wrong = _token(client, user.username, "wrong-password")
        assert wrong.status_code == 429
        assert int(wrong.headers["retry-after"]) > 0
        # … yet the real user's right password from the same address still signs in,
        assert _token(client, user.username, PASSWORD).status_code == 200
        # through the login page too.
        token = csrf(client)
        page = client.post(
            "/login",
            data={"username": user.username, "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert page.status_code == 303
    # Another address is not affected at all.
    with _client_from(app, "198.51.100.9") as other:
        assert _token(other, "made-up-x", "guess").status_code == 401


def test_defect4_throttled_address_answers_failures_late(
    settings: Settings, factory: Factory
) -> None:
    slow = dataclasses.replace(settings, login_max_address_failures=2, login_address_delay=0.3)
    with _client_from(create_app(slow), "203.0.113.8") as client:
        for i in range(2):
            assert _token(client, f"nobody{i}", "guess").status_code == 401
        started = time.perf_counter()
        assert _token(client, "nobody", "guess").status_code == 429
        assert time.perf_counter() - started >= 0.3


def test_defect4_locked_account_owner_signs_in_after_the_window(
    quick_settings: Settings, factory: Factory, db: Session
) -> None:
    user = factory.user("enterprise")
    app = create_app(quick_settings)
    with _client_from(app, "203.0.113.10") as attacker:
        for _ in range(quick_settings.login_max_failures):
            assert _token(attacker, user.username, "guess").status_code == 401
        locked = _token(attacker, user.username, PASSWORD)
        assert locked.status_code == 429
        assert "该账号" in locked.json()["detail"]
        assert 0 < int(locked.headers["retry-after"]) <= quick_settings.login_lock_seconds
    # The account lock holds from every address (guessing is spread over many addresses) …
    with _client_from(app, "198.51.100.20") as owner:
        assert _token(owner, user.username, PASSWORD).status_code == 429
        # … until the window has passed since those failures.
        db.execute(
            update(LoginAttempt)
            .where(LoginAttempt.username == user.username)
            .values(created_at=utcnow() - timedelta(seconds=quick_settings.login_lock_seconds + 1))
        )
        db.commit()
        assert _token(owner, user.username, PASSWORD).status_code == 200


def test_defect4_refused_attempts_on_a_locked_account_do_not_extend_the_lock(
    quick_settings: Settings, factory: Factory, db: Session
) -> None:
    user = factory.user("broker")
    app = create_app(quick_settings)
    with _client_from(app, "203.0.113.11") as client:
        for _ in range(quick_settings.login_max_failures):
            _token(client, user.username, "guess")
        for _ in range(10):
            assert _token(client, user.username, "guess").status_code == 429
    failures = db.scalar(select(func.count()).where(LoginAttempt.username == user.username))
    assert failures == quick_settings.login_max_failures


def test_defect4_forwarded_for_is_believed_only_from_trusted_proxies(
    quick_settings: Settings, factory: Factory, db: Session
) -> None:
    proxied = dataclasses.replace(quick_settings, trusted_proxies=("10.0.0.0/8",))
    app = create_app(proxied)
    with _client_from(app, "10.1.2.3") as via_proxy:
        _token(via_proxy, "ghost-a", "x", **{"X-Forwarded-For": "192.0.2.44"})
    with _client_from(app, "203.0.113.50") as direct:
        _token(direct, "ghost-b", "x", **{"X-Forwarded-For": "192.0.2.45"})
    seen = dict(db.execute(select(LoginAttempt.username, LoginAttempt.ip)).all())
    assert seen == {"ghost-a": "192.0.2.44", "ghost-b": "203.0.113.50"}


def test_defect4_users_behind_one_proxy_are_not_locked_out_together(
    quick_settings: Settings, factory: Factory
) -> None:
    user = factory.user("university")
    proxied = dataclasses.replace(
        quick_settings, trusted_proxies=("10.0.0.1",), login_max_address_failures=6
    )
    with _client_from(create_app(proxied), "10.0.0.1") as proxy:
        # One anonymous client behind the proxy guesses; the user is another client.
        for i in range(proxied.login_max_address_failures + 1):
            _token(proxy, f"made-up-{i}", "x", **{"X-Forwarded-For": "192.0.2.66"})
        assert _token(proxy, "made-up", "x", **{"X-Forwarded-For": "192.0.2.66"}).status_code == (
            429
        )
        assert _token(proxy, "made-up", "x", **{"X-Forwarded-For": "192.0.2.67"}).status_code == 401
        ok = _token(proxy, user.username, PASSWORD, **{"X-Forwarded-For": "192.0.2.66"})
        assert ok.status_code == 200


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.1", None, "203.0.113.1"),
        ("203.0.113.1", "192.0.2.1", "203.0.113.1"),  # untrusted peer: header ignored
        ("10.0.0.5", "192.0.2.1", "192.0.2.1"),
        ("10.0.0.5", "6.6.6.6, 192.0.2.1", "192.0.2.1"),  # a client-written hop is not believed
        ("10.0.0.5", "192.0.2.1, 10.0.0.9", "192.0.2.1"),  # two trusted hops
        ("10.0.0.5", "10.0.0.7, 10.0.0.9", "10.0.0.7"),  # every hop trusted: the first one
        ("10.0.0.5", "not-an-ip", "10.0.0.5"),
        ("::1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_defect4_client_address(peer: str, forwarded: str | None, expected: str) -> None:
    assert client_address(peer, forwarded, ("10.0.0.0/8", "::1")) == expected


def test_defect4_trusted_proxies_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_trusted_proxies("10.0.0.1, 192.168.0.0/16 ::1") == (
        "10.0.0.1/32",
        "192.168.0.0/16",
        "::1/128",
    )
    with pytest.raises(ValueError, match="SILIAN_TRUSTED_PROXIES"):
        parse_trusted_proxies("10.0.0.1,proxy.local")
    monkeypatch.setenv("SILIAN_TRUSTED_PROXIES", "127.0.0.1")
    monkeypatch.setenv("SILIAN_LOGIN_MAX_ADDRESS_FAILURES", "12")
    loaded = load_settings()
    assert loaded.trusted_proxies == ("127.0.0.1/32",)
    assert loaded.login_max_address_failures == 12


@pytest.mark.parametrize("trusted", [(), ("10.0.0.0/8",)])
def test_defect4_serve_passes_proxy_headers_only_from_trusted_proxies(
    settings: Settings, trusted: tuple[str, ...]
) -> None:
    options = proxy_options(dataclasses.replace(settings, trusted_proxies=trusted))
    # Drive uvicorn's own proxy middleware with the options `silian serve` passes it.
    seen: list[str] = []

    async def echo(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["client"][0])

    app: Any = echo
    if options["proxy_headers"]:
        app = ProxyHeadersMiddleware(echo, trusted_hosts=options["forwarded_allow_ips"])
    for peer in ("10.9.9.9", "203.0.113.9"):
        scope = {
            "type": "http",
            "client": (peer, 1234),
            "headers": [(b"x-forwarded-for", b"192.0.2.99")],
            "scheme": "http",
        }
        asyncio.run(app(scope, None, None))
    if trusted:
        assert seen == ["192.0.2.99", "203.0.113.9"]
    else:
        assert options["forwarded_allow_ips"] == ""
        assert seen == ["10.9.9.9", "203.0.113.9"]


def test_password_is_checked_without_holding_a_database_connection(
    client: TestClient, factory: Factory, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """50 simultaneous sign-ins emptied the pool while argon2 hashed (500s after 30 s)."""
    from silian.accounts import service
    from silian.core.db import get_engine

    user = factory.user("enterprise")
    held: list[int] = []
    real = service.verify_password

    def spy(stored: str, password: str) -> bool:
        held.append(get_engine(db_url).pool.checkedout())  # type: ignore[attr-defined]
        return real(stored, password)

    monkeypatch.setattr(service, "verify_password", spy)
    assert _token(client, user.username, PASSWORD).status_code == 200
    assert _token(client, user.username, "wrong").status_code == 401
    assert held == [0, 0]
