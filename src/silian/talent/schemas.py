"""Validated input and API output of talents, talent needs, talent projects and salary rules."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from silian.core.fields import Multiline, blank_to_none, split_list
from silian.core.money import Money, format_money
from silian.core.schemas import InputModel
from silian.talent.choices import TALENT_GRADES

PROFILE_LABELS = {
    "name": "姓名",
    "title": "职称/职务",
    "expertise": "专业特长",
    "disciplines": "学科领域",
    "keywords": "研究方向关键词",
    "bio": "个人简介",
    "consent_public": "同意在专家库公开展示",
}

NEED_LABELS = {
    "organization_id": "需求单位",
    "position": "岗位名称",
    "headcount": "需求人数",
    "salary_min": "年薪下限(元)",
    "salary_max": "年薪上限(元)",
    "major": "专业要求",
    "requirements": "任职要求",
    "chain_id": "所属产业链",
    "co_shared": "共引共享岗位",
    "host_organization_id": "岗位所在高校/院所",
    "scene_organization_id": "提供产业场景的企业",
    "deadline": "截止日期",
}

MONEY_CAP = Decimal("1e9")


class TalentProfileIn(InputModel):
    """Fields an expert keeps on their own profile; the grade is set by 按薪定才 or the office."""

    name: str = Field(min_length=2, max_length=50)
    title: str = Field(default="", max_length=50)
    expertise: Multiline = Field(default="", max_length=5000)
    disciplines: list[str] = Field(default_factory=list, max_length=10)
    keywords: list[str] = Field(default_factory=list, max_length=20)
    bio: Multiline = Field(default="", max_length=5000)
    consent_public: bool = True

    @field_validator("name", "title", "expertise", "bio", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("disciplines", "keywords", mode="before")
    @classmethod
    def _list(cls, value: Any) -> list[str]:
        return split_list(value)


class TalentOut(BaseModel):
    """A talent profile as the API returns it."""

    id: int
    name: str
    organization_id: int | None
    organization_name: str | None
    title: str
    expertise: str
    disciplines: list[str]
    keywords: list[str]
    grade: str | None
    grade_label: str
    bio: str
    consent_public: bool
    is_sample: bool
    updated_at: datetime


class TalentPage(BaseModel):
    """One page of talents."""

    items: list[TalentOut]
    total: int
    page: int
    per_page: int


class TalentNeedIn(InputModel):
    """Fields an enterprise or university fills in for a talent need (人才需求)."""

    organization_id: int | None = None
    position: str = Field(min_length=2, max_length=100)
    headcount: int = Field(default=1, ge=1, le=10000)
    salary_min: Money = Field(default=None, ge=0, le=MONEY_CAP)
    salary_max: Money = Field(default=None, ge=0, le=MONEY_CAP)
    major: str = Field(default="", max_length=100)
    requirements: Multiline = Field(default="", max_length=5000)
    chain_id: int | None = None
    co_shared: bool = False
    host_organization_id: int | None = None
    scene_organization_id: int | None = None
    deadline: date | None = None

    @field_validator("position", "major", "requirements", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator(
        "organization_id",
        "salary_min",
        "salary_max",
        "chain_id",
        "host_organization_id",
        "scene_organization_id",
        "deadline",
        mode="before",
    )
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("headcount", mode="before")
    @classmethod
    def _headcount(cls, value: Any) -> Any:
        # The API declares headcount a non-null integer; a blank form field gets this message.
        if blank_to_none(value) is None:
            raise ValueError("请填写需求人数")
        return value

    @field_validator("salary_max")
    @classmethod
    def _order(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        low = info.data.get("salary_min")
        if value is not None and low is not None and value < low:
            raise ValueError("年薪上限不能低于年薪下限")
        return value


class TalentNeedOut(BaseModel):
    """A talent need as the API returns it."""

    id: int
    organization_id: int
    organization_name: str
    position: str
    headcount: int
    salary_min: Decimal | None
    salary_max: Decimal | None
    major: str
    requirements: str
    chain_id: int | None
    co_shared: bool
    host_organization_id: int | None = None
    scene_organization_id: int | None = None
    deadline: date | None
    status: str
    status_label: str
    is_sample: bool
    updated_at: datetime


class TalentNeedPage(BaseModel):
    """One page of talent needs."""

    items: list[TalentNeedOut]
    total: int
    page: int
    per_page: int


class TalentProjectOut(BaseModel):
    """An industry–talent project (产才融合项目) with its rights and subsidy."""

    id: int
    name: str
    organization_id: int
    organization_name: str
    chain_id: int | None
    rights: list[str]
    rights_labels: list[str]
    subsidy_amount: Decimal
    talents_gathered: int
    year: int
    status: str
    status_label: str
    is_sample: bool


class TalentProjectPage(BaseModel):
    """One page of talent projects."""

    items: list[TalentProjectOut]
    total: int
    page: int
    per_page: int


GRADE_FIELDS = tuple(f"grade_{g}" for g in TALENT_GRADES.values)


class SalaryRulesIn(InputModel):
    """按薪定才 thresholds of one chain (or the city-wide default when chain_id is null).

    A blank grade has no rule; a higher grade must need a higher salary than every lower one.
    """

    chain_id: int | None = None
    # A year's own set (e.g. the thresholds agreed for 2026 projects); null: the standing set
    # that applies in every year without one.
    year: int | None = Field(default=None, ge=2000, le=2100)
    grade_A: Money = Field(default=None, gt=0, le=MONEY_CAP)
    grade_B: Money = Field(default=None, gt=0, le=MONEY_CAP)
    grade_C: Money = Field(default=None, gt=0, le=MONEY_CAP)
    grade_D: Money = Field(default=None, gt=0, le=MONEY_CAP)
    grade_E: Money = Field(default=None, gt=0, le=MONEY_CAP)

    @field_validator("chain_id", "year", *GRADE_FIELDS, mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator(*GRADE_FIELDS[1:])
    @classmethod
    def _descending(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if value is None:
            return value
        for name in GRADE_FIELDS[: GRADE_FIELDS.index(str(info.field_name))]:
            higher = info.data.get(name)
            if higher is not None and value >= higher:
                label = TALENT_GRADES.label(name[-1])[:2]
                raise ValueError(f"应低于{label}标准（{format_money(higher)}）")
        return value

    def thresholds(self) -> dict[str, Decimal | None]:
        """Threshold per grade letter."""
        return {name[-1]: getattr(self, name) for name in GRADE_FIELDS}


class SalaryRuleRow(BaseModel):
    """The thresholds of one chain (chain_id null: the city-wide default)."""

    chain_id: int | None
    chain_name: str
    year: int | None = Field(default=None, description="该年度专用标准；null 为常设标准")
    thresholds: dict[str, Decimal | None]
    etag: str = Field(description="ETag of this chain's threshold set: send it in If-Match to PUT")


class GradeOut(BaseModel):
    """The grade a salary earns under 按薪定才."""

    chain_id: int | None
    salary: Decimal
    grade: str | None
    grade_label: str
    rule_source: str
