"""API shapes shared by features: the input base model with its hygiene rules, error bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from silian.core.fields import MULTILINE, Multiline, check_input


class InputModel(BaseModel):
    """Base of every input schema (pages, API, import): one place for input hygiene.

    Before any field's own validation, its raw value is refused if it holds a control character
    (tabs and line breaks are allowed only in ``Multiline`` fields), a lone surrogate, or an
    integer outside 64 bits; numbers may not be NaN or infinite.
    """

    model_config = ConfigDict(allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _hygiene(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        multiline = field is not None and any(m is MULTILINE for m in field.metadata)
        check_input(value, multiline=multiline)
        return value


class ActionIn(InputModel):
    """Body of a workflow action; remarks are required when returning a listing."""

    remarks: Multiline = Field(default="", max_length=2000)


class ErrorOut(BaseModel):
    """Error body: a message and, for validation errors, one message per field path."""

    detail: str = Field(description="给用户看的中文说明")
    errors: dict[str, str] = Field(
        default_factory=dict, description="校验错误：字段路径 → 中文说明（其他错误为空）"
    )
