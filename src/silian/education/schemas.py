"""Validated input and API output of the education chain: classes, bases, consortia, colleges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from silian.core.fields import blank_to_none
from silian.core.schemas import InputModel

CLASS_LABELS = {
    "name": "冠名班名称",
    "university_id": "办学院校",
    "enterprise_id": "冠名企业",
    "major_name": "专业",
    "students": "在读学生数",
    "graduation_year": "毕业年份",
    "investment_project_id": "关联招商引资项目",
}


class NamedClassIn(InputModel):
    """Fields of a company-named class (冠名班)."""

    name: str = Field(min_length=2, max_length=200)
    university_id: int | None = None
    enterprise_id: int
    major_name: str = Field(min_length=2, max_length=100)
    students: int | None = Field(default=0, ge=0, le=10000)
    graduation_year: int = Field(ge=2000, le=2100)
    investment_project_id: int | None = None

    @field_validator("name", "major_name", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("university_id", "students", "investment_project_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("enterprise_id", "graduation_year", mode="before")
    @classmethod
    def _required(cls, value: Any) -> Any:
        # Declared non-null in the API; a blank form field or null gets the usual message.
        if blank_to_none(value) is None:
            raise ValueError("必填")
        return value

    @field_validator("students", mode="after")
    @classmethod
    def _students(cls, value: int | None) -> int:
        return value or 0


class OrgRef(BaseModel):
    """A short reference to a unit."""

    id: int
    name: str
    kind: str


class NamedClassOut(BaseModel):
    """A named class as the API returns it."""

    id: int
    name: str
    university: OrgRef
    enterprise: OrgRef
    major_name: str
    students: int
    graduation_year: int
    investment_project_id: int | None
    investment_project_name: str | None
    is_sample: bool
    updated_at: datetime


class TrainingBaseOut(BaseModel):
    """A public training base (公共实训基地)."""

    id: int
    name: str
    organization: OrgRef
    chain_id: int | None
    yearly_capacity: int
    trainees_this_year: int
    programmes: list[str]
    description: str
    is_sample: bool


class ConsortiumOut(BaseModel):
    """An industry–education consortium (产教联合体) with its members."""

    id: int
    name: str
    kind: str
    kind_label: str
    chain_id: int | None
    lead_organization: OrgRef
    members: list[OrgRef]
    description: str
    is_sample: bool


class IndustryCollegeOut(BaseModel):
    """A modern industry college (现代产业学院)."""

    id: int
    name: str
    university: OrgRef
    chain_id: int | None
    partner_names: list[str]
    majors: list[str]
    students: int
    is_sample: bool


class NamedClassPage(BaseModel):
    """One page of named classes."""

    items: list[NamedClassOut]
    total: int
    page: int
    per_page: int


class TrainingBasePage(BaseModel):
    """One page of training bases."""

    items: list[TrainingBaseOut]
    total: int
    page: int
    per_page: int


class ConsortiumPage(BaseModel):
    """One page of consortia."""

    items: list[ConsortiumOut]
    total: int
    page: int
    per_page: int


class IndustryCollegePage(BaseModel):
    """One page of industry colleges."""

    items: list[IndustryCollegeOut]
    total: int
    page: int
    per_page: int
