"""API shapes shared by features: the input base model with its hygiene rules, error bodies."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from silian.core.fields import MULTILINE, Multiline, check_input

# The hygiene rules as JSON Schema patterns, so the OpenAPI document states what is refused.
TEXT_PATTERN = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
LINE_PATTERN = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"


def _with_pattern(schema: dict[str, Any], pattern: str) -> None:
    if schema.get("type") == "string" and "pattern" not in schema and "format" not in schema:
        schema["pattern"] = pattern
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            _with_pattern(option, pattern)
    if isinstance(schema.get("items"), dict):
        _with_pattern(schema["items"], pattern)


def _document_text_rules(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Add the text rules to every string property of an input model's JSON schema."""
    for name, prop in schema.get("properties", {}).items():
        field = model.model_fields.get(name)
        multiline = field is not None and any(m is MULTILINE for m in field.metadata)
        _with_pattern(prop, TEXT_PATTERN if multiline else LINE_PATTERN)


class InputModel(BaseModel):
    """Base of every input schema (pages, API, import): one place for input hygiene.

    Before any field's own validation, its raw value is refused if it holds a control character
    (tabs and line breaks are allowed only in ``Multiline`` fields), a lone surrogate, or an
    integer outside 64 bits; numbers may not be NaN or infinite.
    """

    model_config = ConfigDict(allow_inf_nan=False, json_schema_extra=_document_text_rules)

    @field_validator("*", mode="before")
    @classmethod
    def _hygiene(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        multiline = field is not None and any(m is MULTILINE for m in field.metadata)
        check_input(value, multiline=multiline)
        if isinstance(value, bool) and field is not None and not _takes_bool(field.annotation):
            # Lax pydantic reads true as 1: a yes/no where a number or text belongs is refused.
            raise ValueError("取值类型有误：此处不是“是/否”")
        return value


def _takes_bool(annotation: Any) -> bool:
    """Whether a field's type admits a bool (bool itself, in a union, or anything)."""
    if annotation is bool or annotation is Any:
        return True
    return any(_takes_bool(arg) for arg in get_args(annotation))


class ActionIn(InputModel):
    """Body of a workflow action; remarks are required when returning a listing."""

    remarks: Multiline = Field(default="", max_length=2000)


class ErrorOut(BaseModel):
    """Error body: a message and, for validation errors, one message per field path."""

    detail: str = Field(description="给用户看的中文说明")
    errors: dict[str, str] = Field(
        default_factory=dict, description="校验错误：字段路径 → 中文说明（其他错误为空）"
    )
