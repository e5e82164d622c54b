"""Validated input and API output of demands."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from silian.core.fields import Multiline, blank_to_none, split_list
from silian.core.money import Money
from silian.core.schemas import InputModel
from silian.demands.choices import CONFIDENTIALITY, LIST_TYPES

LABELS = {
    "title": "需求名称",
    "list_type": "榜单类型",
    "organization_id": "发布单位",
    "region_code": "所在区市",
    "public_summary": "公开摘要",
    "problem": "需求描述",
    "background": "背景",
    "current_solutions": "现有方案",
    "wanted_outcome": "期望成果",
    "indicators_must": "必须达到的指标",
    "indicators_nice": "期望达到的指标",
    "keywords": "关键词",
    "chain_id": "所属产业链",
    "discipline": "学科",
    "wanted_trl": "期望成熟度(TRL)",
    "budget": "预算/榜额(元)",
    "deadline": "截止日期",
    "registered_on": "填报日期",
    "confidentiality": "保密要求",
    "ip_terms": "知识产权约定",
    "eligibility": "揭榜条件",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
}


def _choice(value: Any, choices: Any) -> str:
    found = choices.value_for(str(value)) if value is not None else None
    if found is None:
        raise ValueError("可选值：" + "、".join(label for _, label in choices))
    return str(found)


class DemandIn(InputModel):
    """Fields an enterprise (or an office, for 政府榜) fills in for a demand."""

    title: str = Field(min_length=2, max_length=200)
    list_type: str = "enterprise"
    organization_id: int | None = None
    region_code: str = Field(default="", max_length=12)
    public_summary: Multiline = Field(default="", max_length=2000)
    problem: Multiline = Field(min_length=10, max_length=5000)
    background: Multiline = Field(default="", max_length=5000)
    current_solutions: Multiline = Field(default="", max_length=5000)
    wanted_outcome: Multiline = Field(default="", max_length=5000)
    indicators_must: Multiline = Field(default="", max_length=5000)
    indicators_nice: Multiline = Field(default="", max_length=5000)
    keywords: list[str] = Field(default_factory=list, max_length=10)
    chain_id: int | None = None
    discipline: str = Field(default="", max_length=30)
    wanted_trl: int | None = Field(default=None, ge=1, le=9)
    budget: Money = Field(default=None, ge=0, le=Decimal("1e11"))
    deadline: date | None = None
    registered_on: date | None = None
    confidentiality: str = "public"
    ip_terms: Multiline = Field(default="", max_length=2000)
    eligibility: Multiline = Field(default="", max_length=2000)
    contact_name: str = Field(default="", max_length=50)
    contact_phone: str = Field(default="", max_length=30)

    @field_validator("title", "problem", "public_summary", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("keywords", mode="before")
    @classmethod
    def _list(cls, value: Any) -> list[str]:
        return split_list(value)

    @field_validator(
        "organization_id", "chain_id", "wanted_trl", "deadline", "registered_on", mode="before"
    )
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("list_type")
    @classmethod
    def _list_type(cls, value: str) -> str:
        return _choice(value, LIST_TYPES)

    @field_validator("confidentiality")
    @classmethod
    def _conf(cls, value: str) -> str:
        return _choice(value, CONFIDENTIALITY)

    @model_validator(mode="after")
    def _summary_for_confidential(self) -> DemandIn:
        if self.confidentiality != "public" and len(self.public_summary) < 10:
            raise ValueError("非公开需求请填写至少10个字的公开摘要")
        return self


class DemandOut(BaseModel):
    """A demand as the API returns it; confidential details are null for outsiders."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    list_type: str
    organization_id: int
    organization_name: str
    region_code: str
    public_summary: str
    keywords: list[str]
    chain_id: int | None
    discipline: str
    wanted_trl: int | None
    budget: Decimal | None
    deadline: date | None
    confidentiality: str
    status: str
    review_remarks: str | None
    published_at: datetime | None
    updated_at: datetime
    details_visible: bool
    problem: str | None
    background: str | None
    current_solutions: str | None
    wanted_outcome: str | None
    indicators_must: str | None
    indicators_nice: str | None
    ip_terms: str | None
    eligibility: str | None
    contact_name: str | None
    contact_phone: str | None
    is_sample: bool


class DemandPage(BaseModel):
    """One page of demands."""

    items: list[DemandOut]
    total: int
    page: int
    per_page: int
