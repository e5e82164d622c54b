"""API shapes shared by features."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ActionIn(BaseModel):
    """Body of a workflow action; remarks are required when returning a listing."""

    remarks: str = Field(default="", max_length=2000)


class ErrorOut(BaseModel):
    """Error body: a message and, for validation errors, one message per field."""

    detail: str
    errors: dict[str, str] = Field(default_factory=dict)
