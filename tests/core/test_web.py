"""Health check, OpenAPI, security headers and error pages."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from silian.config import Settings
from tests.support import Factory, api_headers, csrf, login


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_openapi_lists_api_and_hides_pages(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = set(spec["paths"])
    assert "/api/v1/auth/token" in paths
    assert "/api/v1/achievements" in paths
    assert "/api/v1/demands/{demand_id}" in paths
    assert not any(p.startswith("/achievements") for p in paths)


def test_security_headers(client: TestClient) -> None:
    response = client.get("/")
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_unknown_page_is_a_chinese_404(client: TestClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.text


def test_unknown_page_keeps_a_signed_in_users_header(client: TestClient, factory: Factory) -> None:
    """An unknown path runs no route; the error page still shows who is signed in."""
    user = factory.user("enterprise", username="header404")
    login(client, user)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert user.name in response.text
    assert 'action="/logout"' in response.text
    client.cookies.clear()
    visitor = client.get("/no-such-page")
    assert user.name not in visitor.text
    assert 'action="/logout"' not in visitor.text


def test_static_assets_are_vendored(client: TestClient) -> None:
    assert client.get("/static/htmx.min.js").status_code == 200
    assert client.get("/static/app.css").status_code == 200


def test_api_docs_served_from_the_package_without_inline_script(client: TestClient) -> None:
    """Defect 12: Swagger UI came from a CDN with an inline script our CSP blocks."""
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assert re.search(r"<script>(?!</script>)", page.text) is None  # no inline script body
    for src in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert src.startswith(("/static/vendor/swagger-ui/", "/static/swagger-init.js")), src
        assert client.get(src).status_code == 200, src
    assert "script-src 'self'" in page.headers["content-security-policy"]
    redirect = client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200
    assert "/static/vendor/swagger-ui/oauth2-redirect.js" in redirect.text


def test_hsts_header_with_secure_cookies(settings: Settings) -> None:
    """Defect 13: no Strict-Transport-Security behind HTTPS."""
    from silian.web.app import create_app

    plain = TestClient(create_app(settings)).get("/")
    assert "strict-transport-security" not in plain.headers
    secure = TestClient(create_app(replace(settings, secure_cookies=True))).get("/")
    assert secure.headers["strict-transport-security"].startswith("max-age=31536000")


def test_405_responses_carry_allow(client: TestClient) -> None:
    """Defect 10: 405 responses lacked Allow (the API and pages)."""
    response = client.delete("/api/v1/demands/1")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PUT"
    assert response.json() == {"detail": "不支持的请求方式", "errors": {}}
    assert client.delete("/demands").headers["allow"] == "GET"
    assert client.head("/demands").headers["allow"] == "GET"  # FastAPI serves no HEAD


def test_ids_above_2_63_are_404_on_every_id_route(client: TestClient, factory: Factory) -> None:
    """Defect 8: an id above 2^63 was a 500 on every {id} route, pages included."""
    login(client, factory.user("office"))
    app: Any = client.app
    huge = str(2**64)
    routes = [(p, m) for p, m in _routes(app) if "{" in p]
    assert len(routes) > 30
    for path, methods in routes:
        url = re.sub(r"\{[a-z_]+\}", huge, path)
        for method in methods:
            response = client.request(method, url, follow_redirects=False)
            assert response.status_code == 404, (method, url, response.status_code)


def test_ids_beyond_32_bits_are_404_or_422_never_500(client: TestClient, factory: Factory) -> None:
    """Record ids are 32-bit columns on PostgreSQL: 2^31 in a path is 404 on every {id} route,
    and in a body a 422, never the database's out-of-range error as a 500."""
    login(client, factory.user("office"))
    app: Any = client.app
    routes = [(p, m) for p, m in _routes(app) if "{" in p]
    for path, methods in routes:
        url = re.sub(r"\{[a-z_]+\}", str(2**31), path)
        for method in methods:
            response = client.request(method, url, follow_redirects=False)
            assert response.status_code == 404, (method, url, response.status_code)
    headers = api_headers(client, factory.user("office"))
    body = {"title": "超大编号", "problem": "检查越界的产业链编号", "organization_id": 2**31}
    response = client.post("/api/v1/demands", json=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text


def _routes(app: Any) -> list[tuple[str, set[str]]]:
    from fastapi.routing import iter_route_contexts

    return [(r.path, set(r.methods)) for r in iter_route_contexts(app.routes) if r.methods]


def test_error_bodies_match_the_openapi_document(client: TestClient) -> None:
    """Defect 10: every 422 body contradicted the document's HTTPValidationError."""
    spec = client.get("/api/v1/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    error = spec["components"]["schemas"]["ErrorOut"]
    assert set(error["properties"]) == {"detail", "errors"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" in responses, (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if operation.get("security"):
                assert {"401", "403"} <= set(responses), (method, path)
            for status, response in responses.items():
                if status.startswith("4"):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut"), (method, path, status)
    body = client.get("/api/v1/demands", params={"page": "x"}).json()
    assert set(body) == {"detail", "errors"} and body["errors"] == {"page": "请填写整数"}


def test_headcount_null_declared_nullable_but_refused(client: TestClient) -> None:
    """Defect 10: the document said headcount may be null, the rules refused null."""
    spec = client.get("/api/v1/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert schemas["TalentNeedIn"]["properties"]["headcount"]["type"] == "integer"
    for name in ("enterprise_id", "graduation_year"):
        assert schemas["NamedClassIn"]["properties"][name]["type"] == "integer"
        assert name in schemas["NamedClassIn"]["required"]
    grade = spec["paths"]["/api/v1/salary-grade-rules/grade"]["get"]["parameters"][0]
    assert grade["schema"]["type"] == "number" and grade["schema"]["minimum"] == 0


def test_csrf_token_bound_to_the_session(app: Any, factory: Factory) -> None:
    """Defect 14: a CSRF token from one session was accepted in another; sign-in rotates it."""
    alice, mallory = factory.user("enterprise"), factory.user("enterprise")
    with TestClient(app) as a, TestClient(app) as m:
        before = csrf(a)
        login(a, alice)
        after = str(a.cookies.get("silian_csrf"))
        assert after != before  # sign-in rotates the token
        login(m, mallory)
        stolen = str(m.cookies.get("silian_csrf"))
        # Alice's browser made to post Mallory's token (cookie and field both set to it).
        a.cookies.set("silian_csrf", stolen)
        response = a.post("/logout", data={"csrf_token": stolen}, follow_redirects=False)
        assert response.status_code == 403
        a.cookies.set("silian_csrf", after)
        response = a.post("/logout", data={"csrf_token": after}, follow_redirects=False)
        assert response.status_code == 303


def test_api_datetimes_carry_a_timezone(client: TestClient, factory: Factory) -> None:
    """Defect 11: SQLite timestamps had no offset while PostgreSQL's had one."""
    headers = api_headers(client, factory.user("enterprise"))
    body = {"title": "时区测试需求", "problem": "检查时间是否带有时区偏移量。"}
    created = client.post("/api/v1/demands", json=body, headers=headers).json()
    again = client.get(f"/api/v1/demands/{created['id']}", headers=headers).json()
    for stamp in (created["updated_at"], again["updated_at"]):
        assert datetime.fromisoformat(stamp).utcoffset() == timedelta(0), stamp


def test_openapi_states_the_text_rules(client: TestClient) -> None:
    """The document's string patterns say what input hygiene refuses (one-line vs multi-line)."""
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    title = re.compile(schemas["DemandIn"]["properties"]["title"]["pattern"])
    problem = re.compile(schemas["DemandIn"]["properties"]["problem"]["pattern"])
    assert title.match("深远海养殖网箱") and not title.match("两行\n标题")
    assert problem.match("第一行\n第二行\t缩进") and not problem.match("NUL\x00")
    keyword = schemas["AchievementIn"]["properties"]["keywords"]["items"]["pattern"]
    assert not re.match(keyword, "\x1b")


def test_unit_pages_show_district_names_not_codes(client: TestClient, factory: Factory) -> None:
    """Rough edge of #15: unit pages showed raw region codes (370214)."""
    org = factory.org("enterprise", name="城阳示范企业", region_code="370214")
    page = client.get(f"/organizations/{org.id}").text
    assert "山东省青岛市城阳区" in page and ">370214<" not in page
    listing = client.get("/organizations", params={"q": "城阳示范"}).text
    assert "山东省青岛市城阳区" in listing
