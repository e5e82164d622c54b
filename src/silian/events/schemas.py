"""Validated input and API output of events, entries, registrations, scores and leads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from silian.brokerage.choices import TRADE_MODES
from silian.core.fields import Multiline, blank_to_none
from silian.core.schemas import InputModel
from silian.events.choices import EVENT_KINDS

LABELS = {
    "kind": "活动类型",
    "title": "活动名称",
    "starts_at": "举办时间",
    "location": "举办地点",
    "online_url": "线上链接",
    "capacity": "参会名额",
    "chain_id": "产业链",
    "description": "活动介绍",
    "criteria": "评审指标",
}

# Scores of the annual selection are given on this scale, per criterion.
SCORE_MIN = 0.0
SCORE_MAX = 100.0


class CriterionIn(InputModel):
    """One criterion of the annual selection with its weight (percent)."""

    name: str = Field(min_length=1, max_length=50)
    weight: int = Field(ge=1, le=100)


class EventIn(InputModel):
    """What the office fills in for a roadshow, showcase or annual selection."""

    kind: str
    title: str = Field(min_length=4, max_length=200)
    starts_at: datetime
    location: str = Field(default="", max_length=200)
    online_url: str = Field(default="", max_length=300)
    capacity: int | None = Field(default=None, ge=1, le=100000)
    chain_id: int | None = None
    description: Multiline = Field(default="", max_length=5000)
    criteria: list[CriterionIn] = Field(default_factory=list, max_length=12)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        found = EVENT_KINDS.value_for(value)
        if found is None:
            raise ValueError("可选值：" + "、".join(label for _, label in EVENT_KINDS))
        return found

    @field_validator("capacity", "chain_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("title", "location", "online_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("online_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("线上链接应以 https:// 或 http:// 开头")
        return value

    @model_validator(mode="after")
    def _place_and_criteria(self) -> EventIn:
        if not self.location and not self.online_url:
            raise ValueError("请填写举办地点或线上链接")
        if self.kind == "selection":
            names = [c.name.strip() for c in self.criteria]
            if not names:
                raise ValueError("年度优选请设置评审指标")
            if len(set(names)) != len(names):
                raise ValueError("评审指标名称不能重复")
            total = sum(c.weight for c in self.criteria)
            if total != 100:
                raise ValueError(f"评审指标权重之和应为100，现为{total}")
        elif self.criteria:
            raise ValueError("只有年度优选设置评审指标")
        return self


class EntryIn(InputModel):
    """Enter one of one's published achievements for an event."""

    achievement_id: int
    presenter: str = Field(default="", max_length=50)


class EntryReviewIn(InputModel):
    """The office's decision on an entry, with running order and presenter."""

    decision: str = "approve"
    running_order: int | None = Field(default=None, ge=1, le=1000)
    presenter: str | None = Field(default=None, max_length=50)

    @field_validator("decision")
    @classmethod
    def _decision(cls, value: str) -> str:
        if value not in ("approve", "reject"):
            raise ValueError("可选值：approve（入选）、reject（不入选）")
        return value

    @field_validator("running_order", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)


class RegistrationIn(InputModel):
    """An enterprise registers attendees for an event."""

    attendees: int = Field(ge=1, le=50)
    contact_name: str = Field(default="", max_length=50)


class JudgeIn(InputModel):
    """Assign an expert (a talent with an account) as a judge."""

    talent_id: int


class ConflictIn(InputModel):
    """A judge's conflict declaration: entries they must not score (may be none)."""

    entry_ids: list[int] = Field(default_factory=list)
    note: Multiline = Field(default="", max_length=2000)


class ScoreIn(InputModel):
    """One judge's scores of one entry: criterion name → score on the 0–100 scale."""

    scores: dict[str, float]
    comment: Multiline = Field(default="", max_length=2000)


class LeadIn(InputModel):
    """A lead after an event: an enterprise interested in an entered achievement."""

    achievement_id: int
    organization_id: int
    contact_name: str = Field(default="", max_length=50)
    note: Multiline = Field(default="", max_length=2000)


class LeadDealIn(InputModel):
    """Turn a lead into a deal: the first next action and its due date."""

    trade_mode: str = "transfer"
    next_action: str = Field(min_length=2, max_length=200)
    next_due: date

    @field_validator("trade_mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        found = TRADE_MODES.value_for(value)
        if found is None:
            raise ValueError("可选值：" + "、".join(label for _, label in TRADE_MODES))
        return found


class CriterionOut(BaseModel):
    """A criterion as stored."""

    name: str
    weight: int


class EventOut(BaseModel):
    """An event as the API returns it."""

    id: int
    kind: str
    title: str
    starts_at: datetime
    location: str
    online_url: str
    capacity: int | None
    registered: int
    chain_id: int | None
    description: str
    status: str
    criteria: list[CriterionOut]
    results_published_at: datetime | None
    version: int


class EventPage(BaseModel):
    """One page of events."""

    items: list[EventOut]
    total: int
    page: int
    per_page: int


class EntryOut(BaseModel):
    """An entry as the API returns it."""

    id: int
    event_id: int
    achievement_id: int
    achievement_title: str
    organization_id: int | None
    status: str
    running_order: int | None
    presenter: str
    rank: int | None
    award: str
    final_score: float | None


class RegistrationOut(BaseModel):
    """A registration as the API returns it."""

    id: int
    event_id: int
    organization_id: int
    organization_name: str
    attendees: int
    contact_name: str


class JudgeOut(BaseModel):
    """A judge as the API returns it."""

    id: int
    event_id: int
    talent_id: int
    name: str
    declared: bool
    conflict_entry_ids: list[int]


class ScoreOut(BaseModel):
    """A judge's score as the API returns it."""

    id: int
    entry_id: int
    talent_id: int
    score: float
    scores: dict[str, float]
    comment: str


class RankingRowOut(BaseModel):
    """One line of the ranking: an entry's mean, its judges' spread and its rank."""

    entry_id: int
    achievement_title: str
    judges: int
    mean: float | None
    lowest: float | None
    spread: float | None
    rank: int | None
    award: str


class LeadOut(BaseModel):
    """A lead as the API returns it."""

    id: int
    event_id: int
    achievement_id: int
    organization_id: int
    organization_name: str
    contact_name: str
    note: str
    status: str
    deal_id: int | None
