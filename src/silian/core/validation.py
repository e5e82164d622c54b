"""Turn pydantic validation errors into one Chinese message per field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from silian.core.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)

_MESSAGES = {
    "missing": "必填",
    "string_too_short": "不能为空",
    "string_too_long": "不能超过{max_length}个字符",
    "int_parsing": "请填写整数",
    "float_parsing": "请填写数字",
    "decimal_parsing": "请填写数字",
    "greater_than_equal": "不能小于{ge}",
    "less_than_equal": "不能大于{le}",
    "greater_than": "必须大于{gt}",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "literal_error": "取值无效",
    "enum": "取值无效",
    "too_long": "最多{max_length}项",
}


def message_for(error: Any) -> str:
    """Chinese message for one pydantic error dict."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        # Our own validators raise ValueError with a ready Chinese message.
        return str(ctx.get("error", error.get("msg", "取值无效")))
    template = _MESSAGES.get(kind)
    if template is None:
        return str(error.get("msg", "取值无效"))
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template


def errors_by_field(exc: ValidationError) -> dict[str, str]:
    """First error message per top-level field."""
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = error.get("loc") or ("__all__",)
        field = str(loc[0])
        out.setdefault(field, message_for(error))
    return out


def parse(model: type[M], data: dict[str, Any]) -> M:
    """Validate data into model or raise ValidationFailed with per-field Chinese messages."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(errors_by_field(exc)) from exc
