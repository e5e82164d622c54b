"""Validated input and API output of challenges, bids and scores."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from silian.challenges.choices import FEEDBACK_REASONS, IP_TERMS
from silian.core.fields import Multiline, blank_to_none, split_list
from silian.core.money import Amount, Money, is_negotiable
from silian.core.schemas import InputModel

LABELS = {
    "bidding_deadline": "揭榜截止日期",
    "phases": "阶段安排",
    "criteria": "评审指标",
    "prize": "榜额/奖金",
    "ip_terms": "知识产权约定",
    "confidential": "保密要求",
    "terms_text": "保密与参与条款",
    "proposal": "技术方案",
    "team_name": "团队名称",
    "team_members": "团队成员",
    "trl": "成熟度(TRL)",
    "trl_evidence": "成熟度证明",
    "amount": "报价",
    "schedule": "进度安排",
    "attachments": "附件名称",
}


def _choice(value: Any, choices: Any) -> str:
    found = choices.value_for(str(value)) if value is not None else None
    if found is None:
        raise ValueError("可选值：" + "、".join(label for _, label in choices))
    return str(found)


class PhaseIn(InputModel):
    """One phase of a challenge: name, dates and what it is judged on."""

    name: str = Field(min_length=1, max_length=100)
    starts_on: date
    ends_on: date
    criteria: Multiline = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _ordered(self) -> PhaseIn:
        if self.ends_on < self.starts_on:
            raise ValueError("阶段结束日期不能早于开始日期")
        return self


class CriterionIn(InputModel):
    """One evaluation criterion with its weight (percent)."""

    name: str = Field(min_length=1, max_length=50)
    weight: int = Field(ge=1, le=100)


class ChallengeIn(InputModel):
    """Challenge settings a poster fills in on a published demand."""

    bidding_deadline: date
    phases: list[PhaseIn] = Field(default_factory=list, max_length=10)
    criteria: list[CriterionIn] = Field(min_length=1, max_length=12)
    prize: Amount = Field(default=Decimal(0), ge=0, le=Decimal("1e11"))
    ip_terms: str = "solver_keeps"
    confidential: bool = False
    terms_text: Multiline = Field(default="", max_length=5000)

    @field_validator("prize", mode="before")
    @classmethod
    def _prize(cls, value: Any) -> Any:
        value = blank_to_none(value)
        if value is None or (isinstance(value, str) and is_negotiable(value)):
            return Decimal(0)  # 0 means 面议
        return value  # Amount reads 300000、80万、1.2亿 into 元 once the text is checked

    @field_validator("ip_terms")
    @classmethod
    def _ip(cls, value: str) -> str:
        return _choice(value, IP_TERMS)

    @field_validator("criteria")
    @classmethod
    def _weights(cls, value: list[CriterionIn]) -> list[CriterionIn]:
        names = [c.name.strip() for c in value]
        if len(set(names)) != len(names):
            raise ValueError("评审指标名称不能重复")
        total = sum(c.weight for c in value)
        if total != 100:
            raise ValueError(f"评审指标权重之和应为100，现为{total}")
        return value

    @model_validator(mode="after")
    def _terms(self) -> ChallengeIn:
        if self.confidential and len(self.terms_text.strip()) < 10:
            raise ValueError("保密榜单请填写至少10个字的保密与参与条款")
        return self


class TeamMemberIn(InputModel):
    """A member of a bidding team; talent_id links to a Talent profile when one exists."""

    name: str = Field(min_length=1, max_length=50)
    role: str = Field(default="", max_length=50)
    talent_id: int | None = None


class BidIn(InputModel):
    """The standard bid form (揭榜方案)."""

    team_name: str = Field(min_length=2, max_length=200)
    proposal: Multiline = Field(min_length=10, max_length=10000)
    team_members: list[TeamMemberIn] = Field(default_factory=list, max_length=30)
    trl: int | None = Field(default=None, ge=1, le=9)
    trl_evidence: Multiline = Field(default="", max_length=5000)
    amount: Money = Field(default=None, ge=0, le=Decimal("1e11"))
    schedule: Multiline = Field(default="", max_length=5000)
    attachments: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("trl", "amount", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("attachments", mode="before")
    @classmethod
    def _files(cls, value: Any) -> list[str]:
        if isinstance(value, str):
            return [line.strip() for line in value.splitlines() if line.strip()]
        return split_list(value)

    @model_validator(mode="after")
    def _evidence(self) -> BidIn:
        if self.trl is not None and not self.trl_evidence.strip():
            raise ValueError("填写成熟度时请提供证明材料说明")
        return self


class ScoreIn(InputModel):
    """One reviewer's scores of one bid: criterion name → 0..100."""

    scores: dict[str, float]
    comment: Multiline = Field(default="", max_length=2000)


class FeedbackIn(InputModel):
    """Feedback to a bidder not chosen: a reason category and a note."""

    reason: str
    note: Multiline = Field(min_length=5, max_length=2000)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        return _choice(value, FEEDBACK_REASONS)


class AwardIn(InputModel):
    """The award: the winning bid and feedback for every other live bid (keyed by bid id)."""

    bid_id: int
    feedback: dict[int, FeedbackIn] = Field(default_factory=dict)


class CloseIn(InputModel):
    """Closing a challenge without award needs a reason."""

    reason: Multiline = Field(min_length=2, max_length=2000)


class ReviewerIn(InputModel):
    """Assign an expert (a Talent with an account) as reviewer."""

    talent_id: int


class ConflictIn(InputModel):
    """A reviewer's conflict-of-interest declaration: bids they must not score."""

    bid_ids: list[int] = Field(default_factory=list)
    note: Multiline = Field(default="", max_length=2000)


class PhaseOut(BaseModel):
    """A phase as stored."""

    name: str
    starts_on: date
    ends_on: date
    criteria: str


class CriterionOut(BaseModel):
    """A criterion as stored."""

    name: str
    weight: int


class ChallengeOut(BaseModel):
    """A challenge as the API returns it."""

    id: int
    demand_id: int
    title: str
    list_type: str
    organization_id: int
    organization_name: str
    public_summary: str
    status: str
    bidding_deadline: date
    days_left: int
    phases: list[PhaseOut]
    criteria: list[CriterionOut]
    scoring_criteria: list[CriterionOut] | None
    prize: Decimal
    ip_terms: str
    confidential: bool
    terms_text: str
    terms_accepted: bool
    # The demand's full text (problem, indicators, contact …); null until the caller may read it.
    details: dict[str, str] | None
    close_reason: str
    awarded_bid_id: int | None
    published_at: datetime | None
    version: int


class ChallengePage(BaseModel):
    """One page of challenges."""

    items: list[ChallengeOut]
    total: int
    page: int
    per_page: int


class TeamMemberOut(BaseModel):
    """A team member as stored."""

    name: str
    role: str = ""
    talent_id: int | None = None


class BidOut(BaseModel):
    """A bid as its author, the poster (after the deadline) or a reviewer sees it."""

    id: int
    demand_id: int
    organization_id: int | None
    organization_name: str | None
    team_name: str
    proposal: str
    team_members: list[TeamMemberOut]
    trl: int | None
    trl_evidence: str
    amount: Decimal | None
    schedule: str
    attachments: list[str]
    status: str
    feedback_reason: str
    feedback: str
    submitted_at: datetime | None
    version: int


class ScoreOut(BaseModel):
    """One stored score."""

    id: int
    bid_id: int
    reviewer_id: int
    scores: dict[str, float]
    weights: dict[str, float]
    total: float
    comment: str


class BidEvaluationOut(BaseModel):
    """Per-bid evaluation figures: reviewer totals, mean, spread and outlier flags."""

    bid_id: int
    team_name: str
    status: str
    totals: dict[str, float]
    mean: float | None
    spread: float | None
    outliers: list[str]
    wide_spread: bool


class ReviewerOut(BaseModel):
    """An assigned reviewer."""

    id: int
    talent_id: int
    name: str
    user_id: int
    declared: bool
    conflict_bid_ids: list[int]


class ChallengeCreateIn(ChallengeIn):
    """Challenge settings plus the published demand they apply to."""

    demand_id: int
