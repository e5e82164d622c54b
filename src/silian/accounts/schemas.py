"""Validated input and output shapes for accounts."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator

from silian.accounts.choices import ROLES
from silian.core.schemas import InputModel

_USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{3,64}$")


class UserIn(InputModel):
    """A new user account."""

    username: str
    password: str = Field(min_length=8, max_length=128)
    role: str
    display_name: str = Field(default="", max_length=100)
    organization_id: int | None = None

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        value = value.strip()
        if not _USERNAME.match(value):
            raise ValueError("用户名应为3–64位字母、数字、下划线、点或连字符")
        return value

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        if value not in ROLES:
            raise ValueError("角色应为：" + "、".join(ROLES.values))
        return value


class UserOut(BaseModel):
    """A user as the API shows it."""

    id: int
    username: str
    display_name: str
    role: str
    organization_id: int | None


class Token(BaseModel):
    """OAuth2 bearer token response."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
