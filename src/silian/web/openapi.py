"""The OpenAPI document describes the error bodies the API really sends."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from silian.core.schemas import ErrorOut

ERROR_SCHEMA = "ErrorOut"
_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
DESCRIPTIONS = {
    "400": "请求无法处理",
    "401": "需要登录令牌，或令牌无效、已过期",
    "403": "无权执行此操作",
    "404": "记录不存在或无权查看",
    "409": "当前状态不允许此操作",
    "412": "If-Match 不是记录的当前 ETag：他人已修改，请重新读取",
    "422": "请求参数有误：errors 按字段路径给出中文说明",
    "428": "缺少 If-Match：请给出要修改的记录版本（ETag）",
    "429": "登录失败次数过多，请稍后再试",
}
UNSAFE = {"post", "put", "patch", "delete"}


def _error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """The 4xx statuses an operation can answer with, from what it takes and who may call it."""
    # Any operation: hostile query strings are refused with 422 before the route runs.
    # Any operation may name a record (in its path, query or body) that does not exist.
    statuses = ["422", "404"]
    if operation.get("security"):
        statuses += ["401", "403"]
        if method in UNSAFE:
            statuses += ["400", "409"]
    if path.endswith("/auth/token"):
        statuses += ["401", "429"]
    return statuses


def error_bodies(spec: dict[str, Any]) -> dict[str, Any]:
    """spec with every operation's 4xx responses described by the real error body (ErrorOut)."""
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA] = ErrorOut.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            declared = [code for code in responses if code.startswith("4")]
            for status in dict.fromkeys([*_error_statuses(path, method, operation), *declared]):
                # Statuses a route declared itself (412/428 on conditional writes) keep their
                # description; every 4xx gets the real body.
                description = responses.get(status, {}).get("description")
                responses[status] = {
                    "description": description or DESCRIPTIONS.get(status, "请求有误"),
                    "content": {"application/json": {"schema": _REF}},
                }
    return spec


def describe_error_bodies(app: FastAPI) -> None:
    """Make app's /openapi.json describe the error bodies the exception handlers send."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = error_bodies(spec)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
