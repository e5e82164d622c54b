"""Validated input and API output of applications, hires, dispatches, projects, recommendations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from silian.core.fields import Multiline, blank_to_none, split_list
from silian.core.money import Money
from silian.core.schemas import InputModel

MONEY_CAP = Decimal("1e9")

APPLICATION_LABELS = {
    "need_id": "人才需求",
    "talent_id": "推荐人才",
    "note": "申请说明/推荐理由",
    "reason": "不录用原因",
    "hired_on": "录用日期",
}
DISPATCH_LABELS = {
    "start_on": "派驻开始日期",
    "end_on": "派驻结束日期",
    "host_share": "高校/院所承担比例(%)",
    "scene_share": "企业承担比例(%)",
    "note": "备注",
}
PROJECT_LABELS = {
    "organization_id": "申报企业",
    "name": "项目名称",
    "chain_id": "所属产业链",
    "year": "申报年度",
    "requested_rights": "申请的权限",
    "rights": "授予的权限",
    "remarks": "评审意见",
}
RECOMMENDATION_LABELS = {
    "talent_id": "推荐人才",
    "right": "依据的权限",
    "annual_salary": "约定年薪(元)",
    "reason": "推荐理由",
    "remarks": "确认意见",
}


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ApplicationIn(InputModel):
    """An application to a need: by the talent (no talent_id) or a recommendation of talent_id."""

    need_id: int
    talent_id: int | None = None
    note: Multiline = Field(default="", max_length=2000)

    @field_validator("talent_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("note", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _strip(value)


class ApplicationActionIn(InputModel):
    """What a stage change may carry: the reason of a decline, the date of a hire."""

    reason: Multiline = Field(default="", max_length=2000)
    hired_on: date | None = None

    @field_validator("hired_on", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("reason", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _strip(value)


class DispatchIn(InputModel):
    """A co-shared talent's dispatch to the scene enterprise; the two cost shares sum to 100."""

    start_on: date
    end_on: date | None = None
    host_share: Decimal = Field(ge=0, le=100, decimal_places=2)
    scene_share: Decimal = Field(ge=0, le=100, decimal_places=2)
    note: Multiline = Field(default="", max_length=2000)

    @field_validator("end_on", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("note", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _strip(value)

    @field_validator("end_on")
    @classmethod
    def _order(cls, value: date | None, info: Any) -> date | None:
        start = info.data.get("start_on")
        if value is not None and start is not None and value < start:
            raise ValueError("派驻结束日期不能早于开始日期")
        return value

    @model_validator(mode="after")
    def _shares(self) -> DispatchIn:
        total = self.host_share + self.scene_share
        if total != 100:
            raise ValueError(f"成本分担比例之和须为 100%（现为 {total.normalize():f}%）")
        return self


class AchievementLinkIn(InputModel):
    """An existing achievement produced at the scene."""

    achievement_id: int


class ProjectIn(InputModel):
    """An enterprise's application for an industry–talent project (产才融合项目) for a year."""

    organization_id: int | None = None
    name: str = Field(min_length=4, max_length=200)
    chain_id: int | None = None
    year: int = Field(ge=2000, le=2100)
    requested_rights: list[Literal["self_recommend", "salary_grading"]] = Field(
        min_length=1, max_length=2
    )

    @field_validator("organization_id", "chain_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("name", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _strip(value)

    @field_validator("requested_rights", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return sorted(set(split_list(value))) if not isinstance(value, list) else value


class ProjectReviewIn(InputModel):
    """The office's decision on a project application: the rights granted, or the reason."""

    decision: Literal["approve", "reject"]
    rights: list[Literal["self_recommend", "salary_grading"]] = Field(
        default_factory=list, max_length=2
    )
    remarks: Multiline = Field(default="", max_length=2000)

    @field_validator("rights", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return sorted(set(split_list(value))) if not isinstance(value, list) else value

    @field_validator("remarks", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _strip(value)

    @model_validator(mode="after")
    def _complete(self) -> ProjectReviewIn:
        if self.decision == "approve" and not self.rights:
            raise ValueError("认定项目须至少授予一项权限")
        if self.decision == "reject" and not self.remarks:
            raise ValueError("不予认定须填写评审意见")
        return self


class RecommendationIn(InputModel):
    """An enterprise's recommendation under its project's right (按薪定才 needs the salary)."""

    project_id: int
    talent_id: int
    right: Literal["self_recommend", "salary_grading"]
    annual_salary: Money = Field(default=None, ge=0, le=MONEY_CAP)
    reason: Multiline = Field(default="", max_length=2000)

    @field_validator("reason", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _strip(value)

    @model_validator(mode="after")
    def _salary(self) -> RecommendationIn:
        if self.right == "salary_grading" and self.annual_salary is None:
            raise ValueError("按薪定才须填写约定年薪")
        return self


class DecisionIn(InputModel):
    """The office's remarks on confirming or not confirming a recommendation."""

    remarks: Multiline = Field(default="", max_length=2000)

    @field_validator("remarks", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _strip(value)


class ApplicationOut(BaseModel):
    """An application as the API returns it."""

    id: int
    need_id: int
    need_position: str
    talent_id: int
    talent_name: str
    organization_id: int
    channel: str
    channel_label: str
    status: str
    status_label: str
    note: str
    decline_reason: str
    hire_id: int | None
    created_at: datetime
    updated_at: datetime


class DispatchOut(BaseModel):
    """A dispatch as the API returns it."""

    id: int
    scene_organization_id: int
    scene_name: str
    start_on: date
    end_on: date | None
    host_share: Decimal
    scene_share: Decimal
    note: str


class HireOut(BaseModel):
    """A hire with its dispatches and linked achievements."""

    id: int
    application_id: int
    need_id: int
    need_position: str
    talent_id: int
    talent_name: str
    organization_id: int
    chain_id: int | None
    co_shared: bool
    host_organization_id: int | None
    host_name: str | None
    scene_organization_id: int | None
    scene_name: str | None
    hired_on: date
    dispatches: list[DispatchOut]
    achievement_ids: list[int]


class ProjectOut(BaseModel):
    """An industry–talent project as hiring's API returns it."""

    id: int
    name: str
    organization_id: int
    organization_name: str
    chain_id: int | None
    year: int
    status: str
    status_label: str
    requested_rights: list[str]
    rights: list[str]
    rights_labels: list[str]
    review_remarks: str
    talents_gathered: int


class RecommendationOut(BaseModel):
    """A recommendation with its grading."""

    id: int
    project_id: int
    organization_id: int
    talent_id: int
    talent_name: str
    right: str
    right_label: str
    annual_salary: Decimal | None
    grade: str | None
    grade_label: str
    rule_id: int | None
    rule_grade: str | None
    rule_threshold: Decimal | None
    rule_scope: str
    grading_note: str
    reason: str
    status: str
    status_label: str
    decision_remarks: str
    created_at: datetime
