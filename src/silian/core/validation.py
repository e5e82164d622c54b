"""Turn pydantic validation errors into one Chinese message per field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from silian.core.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)

# Every pydantic-core error type an input can cause, in Chinese (ctx values fill the braces).
# Types that only a programming error can raise fall back to FALLBACK, still in Chinese.
MESSAGES = {
    "missing": "必填",
    "missing_argument": "必填",
    "missing_keyword_only_argument": "必填",
    "missing_positional_only_argument": "必填",
    "none_required": "应为空",
    "extra_forbidden": "不允许的字段",
    "unexpected_keyword_argument": "不允许的字段",
    "unexpected_positional_argument": "不允许的参数",
    "multiple_argument_values": "参数重复",
    "json_invalid": "不是有效的 JSON",
    "json_type": "应为 JSON 文本",
    "recursion_loop": "数据嵌套过深",
    "recursion_depth_exceeded": "数据嵌套过深",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "dataclass_type": "应为对象",
    "dataclass_exact_type": "应为对象",
    "dict_type": "应为对象",
    "mapping_type": "应为对象",
    "frozen_dict_type": "应为对象",
    "ordered_dict_type": "应为对象",
    "counter_type": "应为对象",
    "arguments_type": "参数格式无效",
    "invalid_key": "字段名无效",
    "named_tuple_type": "应为列表",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "set_type": "应为列表",
    "frozen_set_type": "应为列表",
    "deque_type": "应为列表",
    "iterable_type": "应为列表",
    "iteration_error": "列表内容无效",
    "set_item_not_hashable": "列表项无效",
    "too_short": "至少{min_length}项",
    "too_long": "最多{max_length}项",
    "string_type": "应为文字",
    "string_unicode": "应为有效的 UTF-8 文字",
    "string_too_short": "不能为空",
    "string_too_long": "不能超过{max_length}个字符",
    "string_pattern_mismatch": "格式不正确",
    "string_not_ascii": "只能包含英文字母、数字和符号",
    "bytes_type": "应为文字",
    "bytes_too_short": "内容太短",
    "bytes_too_long": "内容太长",
    "bytes_invalid_encoding": "编码无效",
    "bool_type": "应为是或否（true/false）",
    "bool_parsing": "应为是或否（true/false）",
    "int_type": "请填写整数",
    "int_parsing": "请填写整数",
    "int_parsing_size": "数值超出范围",
    "int_from_float": "请填写整数",
    "float_type": "请填写数字",
    "float_parsing": "请填写数字",
    "finite_number": "请填写有限的数字",
    "decimal_type": "请填写数字",
    "decimal_parsing": "请填写数字",
    "decimal_max_digits": "最多{max_digits}位数字",
    "decimal_max_places": "最多{decimal_places}位小数",
    "decimal_whole_digits": "整数部分最多{whole_digits}位",
    "fraction_type": "请填写数字",
    "fraction_parsing": "请填写数字",
    "complex_type": "请填写数字",
    "complex_str_parsing": "请填写数字",
    "multiple_of": "应为{multiple_of}的倍数",
    "greater_than": "必须大于{gt}",
    "greater_than_equal": "不能小于{ge}",
    "less_than": "必须小于{lt}",
    "less_than_equal": "不能大于{le}",
    "literal_error": "取值无效，可选值：{expected}",
    "enum": "取值无效，可选值：{expected}",
    "union_tag_invalid": "类型取值无效",
    "union_tag_not_found": "缺少类型字段",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_inexact": "日期不能带时间",
    "date_past": "应为过去的日期",
    "date_future": "应为将来的日期",
    "time_type": "时间格式应为 HH:MM",
    "time_parsing": "时间格式应为 HH:MM",
    "datetime_type": "时间格式应为 YYYY-MM-DDTHH:MM:SS",
    "datetime_parsing": "时间格式应为 YYYY-MM-DDTHH:MM:SS",
    "datetime_object_invalid": "时间无效",
    "datetime_from_date_parsing": "时间格式应为 YYYY-MM-DDTHH:MM:SS",
    "datetime_past": "应为过去的时间",
    "datetime_future": "应为将来的时间",
    "timezone_naive": "时间不能带时区",
    "timezone_aware": "时间应带时区",
    "timezone_offset": "时区不符合要求",
    "time_delta_type": "时长格式无效",
    "time_delta_parsing": "时长格式无效",
    "url_type": "应为网址",
    "url_parsing": "网址格式无效",
    "url_syntax_violation": "网址格式无效",
    "url_too_long": "网址太长",
    "url_scheme": "网址协议无效",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "UUID 格式无效",
    "uuid_version": "UUID 版本无效",
    "assertion_error": "取值无效",
    "is_instance_of": "类型无效",
    "is_subclass_of": "类型无效",
    "callable_type": "类型无效",
}
FALLBACK = "取值无效"


def message_for(error: Any) -> str:
    """Chinese message for one pydantic error dict (never the English default)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        # Our own validators raise ValueError with a ready Chinese message.
        return str(ctx.get("error", FALLBACK))
    template = MESSAGES.get(kind, FALLBACK)
    if "expected" in ctx:  # pydantic joins the choices in English: 'a', 'b' or 'c'
        ctx = {**ctx, "expected": str(ctx["expected"]).replace(" or ", ", ")}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return template.split("{")[0].rstrip("，：") or FALLBACK


def field_path(loc: Any) -> str:
    """Dotted field path of an error location, without the request part (body, query, path)."""
    parts = [str(p) for p in loc or () if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "__all__"


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
