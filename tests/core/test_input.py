"""Input hygiene in one place: hostile values through every API create and update (generated
from the OpenAPI document), query strings, page forms and imports get a 4xx with a Chinese
message naming the field, never a 500 — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import typing
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic_core.core_schema import ErrorType

from silian.core.fields import check_input, split_list, text_problem
from silian.core.validation import MESSAGES, message_for
from tests.support import Factory, api_headers, csrf, login

CJK = re.compile(r"[\u4e00-\u9fff]")
HUGE = 2**64
JSON = {"Content-Type": "application/json"}
HOSTILE: list[Any] = [
    "正常\x00文字",
    "\x01\x1b\x7f下\u0085一行",
    "\ud800孤立代理",
    "\ufeff\u202e\u200b零宽与反向 𝕏𝔸𝕄",
    "甲" * 60_000,
    HUGE,
    float("inf"),
    True,
    None,
    {"a": ["\x00"]},
]
PER_FIELD = [HOSTILE[0], HOSTILE[3], None]


def _is_chinese(text: str) -> bool:
    return bool(CJK.search(text))


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def _sample(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A value the schema accepts (the default where there is one)."""
    schema = _resolve(spec, schema)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for option in schema.get("anyOf", []):
        if option.get("type") != "null":
            return _sample(spec, option)
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "date":
            return "2030-01-01"
        length = max(schema.get("minLength", 1), 12)
        return ("测试内容足够长的文字" * 3)[: min(length, schema.get("maxLength", length))]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _sample(spec, v) for k, v in props.items() if k in schema.get("required", [])}
    return None


def _body_operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                out.append((method, path, _resolve(spec, content["application/json"]["schema"])))
    return out


def _path_for(path: str, ids: dict[str, int]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return "submit" if name == "action" else str(ids.get(name, 1))

    return re.sub(r"\{([a-z_]+)\}", fill, path)


ID_OF = {
    "/api/v1/demands": "demand_id",
    "/api/v1/achievements": "achievement_id",
    "/api/v1/talent-needs": "need_id",
    "/api/v1/education/named-classes": "class_id",
}


def _assert_refusal_names_field(response: Any, field: str, value: Any) -> None:
    assert response.status_code < 500, (field, repr(value)[:80], response.text[:300])
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body.get("detail"), str) and _is_chinese(body["detail"]), body
        for message in body.get("errors", {}).values():
            assert _is_chinese(message), body
        if response.status_code == 422 and _must_refuse(value):
            assert any(k.split(".")[0] == field for k in body["errors"]), (field, body)
    elif _must_refuse(value):
        raise AssertionError(f"{field}={value!r:.80} accepted: {response.text[:200]}")


def _must_refuse(value: Any) -> bool:
    """Values input hygiene refuses in any field (control characters, ints beyond 64 bits).

    Control characters that Python counts as whitespace (U+0085) may instead be stripped from
    the ends or split on by a field's own parsing: nothing hostile is stored either way.
    """
    if isinstance(value, str):
        value = "".join(ch for ch in value if not ch.isspace())
    try:
        check_input(value)
    except ValueError:
        return True
    return value == float("inf")


def test_hostile_values_through_every_create_and_update(
    client: TestClient, factory: Factory
) -> None:
    """Every JSON create and update operation of the OpenAPI document, every field, every
    hostile value: a 2xx or a 4xx with Chinese messages naming the field, never a 5xx."""
    spec = client.get("/api/v1/openapi.json").json()
    uni = factory.org("university")
    office = api_headers(client, factory.user("office"))
    expert = api_headers(client, factory.user("expert", org=uni))
    operations = _body_operations(spec)
    assert len(operations) >= 12, [p for _, p, _ in operations]
    enterprise = factory.org()
    extra = {  # what the document cannot say: which unit an office enters a record for
        "/api/v1/demands": {"organization_id": enterprise.id},
        "/api/v1/talent-needs": {"organization_id": enterprise.id},
        "/api/v1/achievements": {"organization_id": uni.id},
        "/api/v1/education/named-classes": {
            "university_id": uni.id,
            "enterprise_id": enterprise.id,
        },
    }

    def baseline(path: str, schema: dict[str, Any]) -> dict[str, Any]:
        base = _sample(spec, schema)
        for prefix, values in extra.items():
            if path.startswith(prefix) and "{action}" not in path:
                base |= values
        return dict(base)

    ids: dict[str, int] = {}
    for method, path, schema in operations:  # one valid record per feature, to update
        if method == "post" and path in ID_OF:
            response = client.post(path, json=baseline(path, schema), headers=office)
            assert response.status_code == 201, (path, response.text)
            ids[ID_OF[path]] = response.json()["id"]
    sent = 0
    for method, path, schema in operations:
        url = _path_for(path, ids)
        headers = expert if "/talents/me" in path else office
        base = baseline(path, schema)
        fields = list(schema.get("properties", {}))

        def send(
            body: dict[str, Any], method: str = method, url: str = url, headers: Any = headers
        ) -> Any:
            # ASCII JSON, so a lone surrogate travels as the escape \ud800 a client may send.
            payload = json.dumps(body, ensure_ascii=True)
            return client.request(method, url, content=payload, headers=headers | JSON)

        for value in HOSTILE:  # every field hostile at once: each must be named
            response = send(base | dict.fromkeys(fields, value))
            for field in fields:
                _assert_refusal_names_field(response, field, value)
            sent += 1
        for field in fields:  # one field at a time, the rest valid: reaches the service
            for value in PER_FIELD:
                _assert_refusal_names_field(send(base | {field: value}), field, value)
                sent += 1
    assert sent > 500


@pytest.mark.parametrize("value", ["\x00", "a\x01b", "%00"])
def test_nul_byte_500_on_postgresql_in_every_query_string(
    client: TestClient, factory: Factory, value: str
) -> None:
    """Defect 3: one GET with a NUL in a query parameter was a 500 on PostgreSQL, on every list
    page and endpoint. Every GET of the document and every page list, every parameter name."""
    spec = client.get("/api/v1/openapi.json").json()
    headers = api_headers(client, factory.user("office"))
    raw = value.replace("%00", "\x00")
    for path, operations in spec["paths"].items():
        if "get" not in operations or "{" in path:
            continue
        names = {"q", "chain", "org", "status", "kind"} | {
            p["name"] for p in operations["get"].get("parameters", [])
        }
        for name in names:
            response = client.get(path, params={name: raw}, headers=headers)
            assert response.status_code == 422, (path, name, response.text[:200])
            if path.startswith("/api/"):
                assert name in response.json()["errors"], response.json()
    for page in ("/demands", "/achievements", "/talents", "/talent-needs", "/organizations"):
        response = client.get(page, params={"q": raw})
        assert response.status_code == 422 and "控制字符" in response.text, page


def test_nul_in_a_page_form_and_the_login_form_is_a_422(
    client: TestClient, factory: Factory
) -> None:
    user = factory.user("enterprise")
    login(client, user)
    response = client.post(
        "/demands/new",
        data={
            "title": "标题\x00",
            "problem": "问题描述足够长的文字内容",
            "csrf_token": csrf(client),
        },
    )
    assert response.status_code == 422 and "控制字符" in response.text
    response = client.post("/api/v1/auth/token", data={"username": "x\x00", "password": "whatever"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"username": "不能包含控制字符（U+0000）"}


def test_scalar_where_a_list_is_expected_is_a_422_naming_the_field(
    client: TestClient, factory: Factory
) -> None:
    """Defect 9: "keywords": true (and transfer_modes, patent_numbers) was a 500; a wrongly typed
    transfer_modes was silently taken as []."""
    uni = factory.org("university")
    headers = api_headers(client, factory.user("office"))
    base = {
        "title": "测试成果",
        "summary": "这是一个足够长的成果简介文字。",
        "organization_id": uni.id,
    }
    for field, value in [
        ("keywords", True),
        ("keywords", 5),
        ("transfer_modes", 5),
        ("transfer_modes", {"license": 1}),
        ("transfer_modes", False),
        ("patent_numbers", {}),
        ("patent_numbers", [{"no": 1}]),
    ]:
        response = client.post("/api/v1/achievements", json=base | {field: value}, headers=headers)
        assert response.status_code == 422, (field, value, response.text)
        assert set(response.json()["errors"]) == {field}, response.json()


def test_type_errors_in_english_are_chinese(client: TestClient, factory: Factory) -> None:
    """Defect 15: type errors were reported in pydantic's English."""
    headers = api_headers(client, factory.user("office"))
    body = {"title": 123, "problem": ["x"], "wanted_trl": "three", "budget": "NaN", "deadline": 5}
    response = client.post("/api/v1/demands", json=body, headers=headers)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) >= {"title", "problem", "wanted_trl", "budget", "deadline"}
    assert all(_is_chinese(m) for m in errors.values()), errors
    assert errors["title"] == "应为文字"


def test_every_pydantic_error_type_has_a_chinese_message() -> None:
    for kind in typing.get_args(ErrorType):
        message = message_for({"type": kind, "msg": "English", "ctx": {}})
        assert _is_chinese(message), kind
    assert message_for({"type": "literal_error", "ctx": {"expected": "'a' or 'b'"}}) == (
        "取值无效，可选值：'a', 'b'"
    )
    assert "string_type" in MESSAGES


def test_text_rules() -> None:
    assert text_problem("多行\n文字\t缩进\r\n") is None
    assert text_problem("一行\n", multiline=False) == "不能包含换行符或制表符"
    assert text_problem("\x00") == "不能包含控制字符（U+0000）"
    assert text_problem("\x9f") == "不能包含控制字符（U+009F）"
    assert text_problem("零宽\u200b与 emoji 👍") is None
    with pytest.raises(ValueError, match="数值超出范围"):
        check_input([1, 2**63])
    check_input({"a": [-(2**63), "ok"]})
    with pytest.raises(ValueError):
        split_list(True)
    assert split_list("甲、乙,乙 丙") == ["甲", "乙", "丙"]
