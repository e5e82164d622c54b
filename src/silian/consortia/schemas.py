"""Input and output shapes of consortia, common-technology projects and co-built institutes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from silian.core.fields import Multiline
from silian.core.money import Amount
from silian.core.schemas import InputModel

# Numeric(14, 2): at most twelve digits before the point.
MAX_AMOUNT = Decimal("999999999999.99")
MemberPart = Literal["core", "research", "application", "support"]
ContributionKind = Literal["funding", "site", "equipment", "talent", "technology", "other"]


class MemberIn(InputModel):
    """One member unit of a consortium and its part."""

    organization_id: int = Field(ge=1)
    part: MemberPart = "research"


class ConsortiumIn(InputModel):
    """A consortium as the office records it: lead enterprise, members, chain and goal."""

    name: str = Field(min_length=1, max_length=200)
    lead_organization_id: int = Field(ge=1)
    chain_id: int | None = Field(default=None, ge=1)
    goal: Multiline = Field(default="", max_length=4000)
    founded_on: date | None = None
    members: list[MemberIn] = Field(default_factory=list, max_length=200)


class TaskIn(InputModel):
    """What one member unit does in a project, with its share of the budget."""

    organization_id: int = Field(ge=1)
    task: str = Field(min_length=1, max_length=2000)
    budget: Amount | None = Field(default=None, ge=0, le=MAX_AMOUNT)


class MilestoneIn(InputModel):
    """A project milestone: name, due date and (once reached) the date it was done."""

    name: str = Field(min_length=1, max_length=200)
    due_on: date
    done_on: date | None = None


class ProjectIn(InputModel):
    """A common-technology project: title, budget, planned end, members' tasks, milestones."""

    title: str = Field(min_length=1, max_length=200)
    budget: Amount = Field(ge=0, le=MAX_AMOUNT)
    description: Multiline = Field(default="", max_length=4000)
    due_on: date | None = None
    tasks: list[TaskIn] = Field(default_factory=list, max_length=100)
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=100)


class TransitionIn(InputModel):
    """The date a project started or was accepted (today when left out)."""

    on: date | None = None


class MilestoneDoneIn(InputModel):
    """The date a milestone was reached (today when left out)."""

    done_on: date | None = None


class OutputIn(InputModel):
    """An existing achievement a project produced, and when."""

    achievement_id: int = Field(ge=1)
    produced_on: date | None = None


class PartnerIn(InputModel):
    """A co-builder of an institute and what it contributes."""

    organization_id: int = Field(ge=1)
    kind: ContributionKind = "funding"
    contribution: str = Field(default="", max_length=2000)
    amount: Amount | None = Field(default=None, ge=0, le=MAX_AMOUNT)


class InstituteIn(InputModel):
    """A co-built new-type R&D institute: name, its own unit, chain, partners."""

    name: str = Field(min_length=1, max_length=200)
    organization_id: int | None = Field(default=None, ge=1)
    chain_id: int | None = Field(default=None, ge=1)
    founded_on: date | None = None
    description: Multiline = Field(default="", max_length=4000)
    partners: list[PartnerIn] = Field(default_factory=list, max_length=100)


class InstituteTalentIn(InputModel):
    """A talent the institute has gathered and the date they joined (today when left out)."""

    talent_id: int = Field(ge=1)
    joined_on: date | None = None


class InstituteAchievementIn(InputModel):
    """An achievement of the institute; a contract value signed off the platform is entered
    with its evidence."""

    achievement_id: int = Field(ge=1)
    linked_on: date | None = None
    evidence_amount: Amount | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    evidence: Multiline = Field(default="", max_length=2000)


# --- output ------------------------------------------------------------------------------------


class MemberOut(BaseModel):
    """A member unit and its part."""

    organization_id: int
    organization_name: str
    organization_kind: str
    part: str


class ConsortiumOut(BaseModel):
    """A consortium with its members and the ids of its projects."""

    id: int
    name: str
    lead_organization_id: int
    lead_organization_name: str
    chain_id: int | None
    goal: str
    founded_on: date | None
    members: list[MemberOut]
    project_ids: list[int]


class TaskOut(BaseModel):
    """A member's task in a project."""

    id: int
    organization_id: int
    organization_name: str
    task: str
    budget: Decimal | None


class MilestoneOut(BaseModel):
    """A project milestone."""

    id: int
    name: str
    due_on: date
    done_on: date | None


class OutputOut(BaseModel):
    """An achievement a project produced."""

    achievement_id: int
    title: str
    produced_on: date


class ProjectOut(BaseModel):
    """A common-technology project with its tasks, milestones and outputs."""

    id: int
    consortium_id: int
    consortium_name: str
    title: str
    budget: Decimal
    description: str
    status: str
    started_on: date | None
    due_on: date | None
    accepted_on: date | None
    tasks: list[TaskOut]
    milestones: list[MilestoneOut]
    outputs: list[OutputOut]


class PartnerOut(BaseModel):
    """A co-builder and its contribution."""

    organization_id: int
    organization_name: str
    kind: str
    contribution: str
    amount: Decimal | None


class InstituteTalentOut(BaseModel):
    """A gathered talent."""

    talent_id: int
    name: str
    grade: str | None
    joined_on: date


class InstituteAchievementOut(BaseModel):
    """An institute's achievement with its contract value and whether it is major."""

    achievement_id: int
    title: str
    linked_on: date
    contract_value: Decimal | None
    evidence_amount: Decimal | None
    evidence: str
    is_major: bool


class InstituteOut(BaseModel):
    """A co-built institute with partners, talents (and counts by grade) and achievements."""

    id: int
    name: str
    organization_id: int | None
    chain_id: int | None
    founded_on: date | None
    description: str
    partners: list[PartnerOut]
    talents: list[InstituteTalentOut]
    talents_by_grade: dict[str, int]
    achievements: list[InstituteAchievementOut]
    major_achievements: int


# The forms' field names, as a stale save lists what others changed.
CONSORTIUM_LABELS = {
    "name": "联合体名称",
    "lead_organization_id": "牵头企业",
    "chain_id": "产业链",
    "founded_on": "组建日期",
    "goal": "攻关目标",
    "members": "成员单位及分工",
}
PROJECT_LABELS = {
    "title": "项目名称",
    "budget": "项目总经费",
    "due_on": "计划完成日期",
    "description": "攻关内容",
    "tasks": "成员任务分工",
    "milestones": "项目节点",
    "status": "状态",
}
INSTITUTE_LABELS = {
    "name": "机构名称",
    "organization_id": "机构单位",
    "chain_id": "产业链",
    "founded_on": "成立日期",
    "description": "机构简介",
    "partners": "共建单位及投入",
}
