"""Validated input and API output of contracts, deals, matches and brokerage figures."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from silian.brokerage.choices import DEAL_CHANNELS, DEAL_STAGES, FAIL_REASONS, TRADE_MODES
from silian.core.fields import Multiline, blank_to_none, split_list
from silian.core.money import Amount, Money
from silian.core.schemas import InputModel

# 技术合同登记号: year (4) + registering region's division code (6) + serial (6), e.g.
# 2026370200000123 for a contract registered in Qingdao in 2026.
REGISTRATION_NO = re.compile(r"^(?P<year>\d{4})(?P<region>\d{6})(?P<serial>\d{6})$")
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
}  # fmt: skip


def registration_error(value: str, signed_on: date | None) -> str:
    """Why value is not a valid 技术合同登记号 for a contract signed on signed_on ('' if valid)."""
    found = REGISTRATION_NO.match(value)
    if not found:
        return "技术合同登记号应为16位数字：年份4位 + 登记机构行政区划代码6位 + 流水号6位"
    year = int(found["year"])
    if found["region"][:2] not in PROVINCES:
        return "登记号中的行政区划代码无效"
    if signed_on is not None and not signed_on.year <= year <= signed_on.year + 1:
        return "登记号年份应为签订当年或次年"
    if int(found["serial"]) == 0:
        return "登记号流水号不能为0"
    return ""


def _choice(value: Any, choices: Any) -> str:
    found = choices.value_for(str(value)) if value is not None else None
    if found is None:
        raise ValueError("可选值：" + "、".join(label for _, label in choices))
    return str(found)


class MilestoneIn(InputModel):
    """A contract milestone: name, due date, amount."""

    name: str = Field(min_length=1, max_length=200)
    due_on: date
    amount: Amount = Field(default=Decimal(0), ge=0, le=Decimal("1e11"))


class ContractIn(InputModel):
    """A technology contract's terms; parties default from the award or the deal."""

    title: str = Field(min_length=2, max_length=200)
    amount: Amount = Field(ge=0, le=Decimal("1e11"))
    signed_on: date
    registration_no: str | None = Field(default=None, max_length=40)
    trade_mode: str = "transfer"
    broker_fee: Amount = Field(default=Decimal(0), ge=0, le=Decimal("1e11"))
    milestones: list[MilestoneIn] = Field(min_length=1, max_length=20)

    @field_validator("registration_no", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        value = blank_to_none(value)
        return value.strip() if isinstance(value, str) else value

    @field_validator("broker_fee", mode="before")
    @classmethod
    def _fee(cls, value: Any) -> Any:
        value = blank_to_none(value)
        return Decimal(0) if value is None else value

    @field_validator("trade_mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        return _choice(value, TRADE_MODES)

    @model_validator(mode="after")
    def _consistent(self) -> ContractIn:
        if self.registration_no:
            error = registration_error(self.registration_no, self.signed_on)
            if error:
                raise ValueError(error)
        if sum((m.amount for m in self.milestones), Decimal(0)) > self.amount:
            raise ValueError("各节点金额之和不能超过合同金额")
        if self.broker_fee > self.amount:
            raise ValueError("经纪服务费不能超过合同金额")
        return self


class ContractCreateIn(ContractIn):
    """Create a contract from an awarded challenge or a signed deal (exactly one)."""

    challenge_id: int | None = None
    deal_id: int | None = None

    @model_validator(mode="after")
    def _source(self) -> ContractCreateIn:
        if (self.challenge_id is None) == (self.deal_id is None):
            raise ValueError("请指定合同来源：揭榜挂帅榜单或对接项目（二选一）")
        return self


class MilestoneDoneIn(InputModel):
    """Marking a milestone done needs the evidence."""

    evidence: Multiline = Field(min_length=2, max_length=2000)
    done_on: date | None = None


class PaymentIn(InputModel):
    """A payment received."""

    amount: Amount = Field(gt=0, le=Decimal("1e11"))
    received_on: date
    note: Multiline = Field(default="", max_length=500)


class MilestoneOut(BaseModel):
    """A milestone as stored, with its overdue flag."""

    id: int
    seq: int
    name: str
    due_on: date
    amount: Decimal
    done_on: date | None
    evidence: str
    overdue: bool


class PaymentOut(BaseModel):
    """A payment as stored."""

    id: int
    amount: Decimal
    received_on: date
    note: str


class ContractOut(BaseModel):
    """A contract with its milestones and payments."""

    id: int
    title: str
    deal_id: int | None
    challenge_id: int | None
    amount: Decimal
    signed_on: date
    registration_no: str | None
    trade_mode: str
    broker_fee: Decimal
    seller_id: int | None
    seller_name: str | None
    buyer_id: int | None
    buyer_name: str | None
    status: str
    accepted_on: date | None
    paid: Decimal
    milestones: list[MilestoneOut]
    payments: list[PaymentOut]
    version: int


class StepIn(InputModel):
    """One step of a deal: the stage reached, a note, the date, the next action and its due date."""

    stage: str
    note: Multiline = Field(min_length=2, max_length=2000)
    happened_on: date | None = None
    next_action: str = Field(default="", max_length=200)
    next_due: date | None = None
    fail_reason: str = ""
    expected_amount: Money = Field(default=None, ge=0, le=Decimal("1e11"))

    @field_validator("happened_on", "next_due", "expected_amount", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("stage")
    @classmethod
    def _stage(cls, value: str) -> str:
        return _choice(value, DEAL_STAGES)

    @model_validator(mode="after")
    def _failure(self) -> StepIn:
        if self.stage == "failed":
            if self.fail_reason not in FAIL_REASONS:
                raise ValueError("未成交时请选择原因类别")
        elif self.fail_reason:
            self.fail_reason = ""
        if self.stage not in ("signed", "implemented", "failed") and not self.next_action.strip():
            raise ValueError("请填写下一步行动")
        if self.next_action.strip() and self.next_due is None:
            raise ValueError("请填写下一步行动的截止日期")
        return self


class DealOpenIn(InputModel):
    """Open a deal from a match in one's queue."""

    match_id: int
    channel: str = "broker"
    trade_mode: str = "transfer"
    note: Multiline = Field(default="", max_length=2000)
    next_action: str = Field(min_length=2, max_length=200)
    next_due: date

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        return _choice(value, DEAL_CHANNELS)

    @field_validator("trade_mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        return _choice(value, TRADE_MODES)


class ReassignIn(InputModel):
    """The office moves a match to another broker."""

    broker_id: int
    note: Multiline = Field(default="", max_length=500)


class DealStepOut(BaseModel):
    """One step of a deal's timeline."""

    id: int
    stage: str
    note: str
    happened_on: date
    next_action: str
    next_due: date | None
    fail_reason: str
    created_at: datetime


class DealOut(BaseModel):
    """A deal with its timeline."""

    id: int
    title: str
    demand_id: int | None
    achievement_id: int | None
    match_id: int | None
    broker_id: int | None
    broker_name: str | None
    seller_id: int | None
    buyer_id: int | None
    stage: str
    channel: str
    trade_mode: str
    expected_amount: Decimal | None
    next_action: str
    next_due: date | None
    last_activity_on: date | None
    signed_on: date | None
    fail_reason: str
    stale: bool
    version: int
    steps: list[DealStepOut]


class MatchOut(BaseModel):
    """A suggested pair in a broker's queue."""

    id: int
    source_kind: str
    source_id: int
    target_kind: str
    target_id: int
    score: float
    reasons: dict[str, Any]
    status: str
    broker_id: int | None
    assignment_note: str
    deal_id: int | None


# --- broker training and certification -----------------------------------------------------


class TrainingIn(InputModel):
    """A broker training course."""

    name: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=2000, le=2100)
    hours: int = Field(ge=1, le=2000)
    organizer_id: int | None = Field(default=None, ge=1)
    chain_id: int | None = Field(default=None, ge=1)
    starts_on: date | None = None
    courses: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("courses", mode="before")
    @classmethod
    def _courses(cls, value: Any) -> list[str]:
        return split_list(value)

    @field_validator("organizer_id", "chain_id", "starts_on", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)


class EnrollIn(InputModel):
    """A registered user (by id or username) enrolled in a course."""

    user_id: int | None = Field(default=None, ge=1)
    username: str = Field(default="", max_length=64)
    enrolled_on: date | None = None

    @field_validator("user_id", "enrolled_on", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)


class ExamIn(InputModel):
    """An exam result out of 100; PASS_MARK or more passes."""

    exam_score: int = Field(ge=0, le=100)
    exam_on: date


class CertifyIn(InputModel):
    """A certificate issued to a trainee who passed; the trainee becomes a Broker."""

    certificate_no: str = Field(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9-]+$")
    certified_on: date
    specialties: list[str] = Field(default_factory=list, max_length=10)
    organization_id: int | None = Field(default=None, ge=1)
    max_active_deals: int = Field(default=10, ge=1, le=500)

    @field_validator("specialties", mode="before")
    @classmethod
    def _specialties(cls, value: Any) -> list[str]:
        return split_list(value)

    @field_validator("organization_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)


class EnrollmentOut(BaseModel):
    """A trainee's enrolment, exam result and certificate."""

    id: int
    training_id: int
    user_id: int
    trainee_name: str
    enrolled_on: date
    exam_score: int | None
    exam_on: date | None
    passed: bool | None
    certificate_no: str | None
    certified_on: date | None
    broker_id: int | None


class TrainingOut(BaseModel):
    """A broker training course with the counts read from its enrolments."""

    id: int
    name: str
    year: int
    hours: int
    organizer_id: int | None
    organizer_name: str | None
    chain_id: int | None
    starts_on: date | None
    courses: list[str]
    trainees: int
    passed: int
    certificates_issued: int
    enrollments: list[EnrollmentOut] | None = None


class TrainingFiguresOut(BaseModel):
    """The training figures the city reports for a period (and chain)."""

    trained: int
    passed: int
    certified: int
    active_brokers: int
