"""Validated input and API output of policies and subsidy applications."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, field_validator

from silian.core.fields import Multiline, blank_to_none, split_list
from silian.core.money import Money
from silian.core.schemas import InputModel
from silian.subsidies.choices import FORMULAS, ORG_KINDS, POLICY_KINDS

MAX_MONEY = Decimal("1e11")


def _choice(value: Any, choices: Any) -> str:
    found = choices.value_for(str(value)) if value is not None else None
    if found is None:
        raise ValueError("可选值：" + "、".join(label for _, label in choices))
    return str(found)


class PolicyIn(InputModel):
    """A policy's terms: kind, eligibility, formula, cap per organisation and year, validity."""

    title: str = Field(min_length=2, max_length=200)
    kind: str = "other"
    issuer: str = Field(default="", max_length=100)
    eligibility: Multiline = Field(default="", max_length=4000)
    eligible_kinds: list[str] = Field(default_factory=list, max_length=4)
    content: Multiline = Field(default="", max_length=8000)
    formula: str = "percentage"
    fact_label: str = Field(default="", max_length=50)
    rate: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=4)
    fixed_amount: Money = Field(default=None, gt=0, le=MAX_MONEY)
    per_application_max: Money = Field(default=None, gt=0, le=MAX_MONEY)
    cap_per_org_year: Money = Field(default=None, ge=0, le=MAX_MONEY)
    valid_from: date | None = None
    valid_to: date | None = None
    is_active: bool = True

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return _choice(value, POLICY_KINDS)

    @field_validator("formula")
    @classmethod
    def _formula(cls, value: str) -> str:
        return _choice(value, FORMULAS)

    @field_validator("eligible_kinds", mode="before")
    @classmethod
    def _kinds(cls, value: Any) -> list[str]:
        return [_choice(v, ORG_KINDS) for v in split_list(value)]

    @field_validator("rate", "valid_from", "valid_to", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        value = blank_to_none(value)
        if isinstance(value, str):
            value = value.strip().removesuffix("%").removesuffix("％")
        return value


def policy_term_errors(clean: PolicyIn) -> dict[str, str]:
    """Messages for terms that do not fit together (a formula without its numbers …)."""
    errors: dict[str, str] = {}
    if clean.formula == "percentage":
        if clean.rate is None:
            errors["rate"] = "按比例计算的政策须填写补贴比例（%）"
        if not clean.fact_label:
            errors["fact_label"] = "按比例计算的政策须写明计算基数（如 年薪、猎头费用）"
    elif clean.fixed_amount is None:
        errors["fixed_amount"] = "定额政策须填写补贴金额"
    if clean.valid_from and clean.valid_to and clean.valid_to < clean.valid_from:
        errors["valid_to"] = "有效期止不能早于有效期起"
    return errors


class ApplicationIn(InputModel):
    """A unit's application: the policy, the year and the facts the amount is computed from."""

    policy_id: int = Field(gt=0)
    organization_id: int | None = Field(default=None, gt=0)
    year: int = Field(ge=2000, le=2100)
    fact_amount: Money = Field(default=None, ge=0, le=MAX_MONEY)
    persons: int | None = Field(default=None, gt=0, le=100_000)
    reason: Multiline = Field(default="", max_length=4000)

    @field_validator("persons", "organization_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)


class ReviewIn(InputModel):
    """The office's remarks on approval, return or rejection."""

    remarks: Multiline = Field(default="", max_length=2000)


class PayIn(InputModel):
    """The date the subsidy was paid out."""

    paid_on: date | None = None

    @field_validator("paid_on", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)


class PolicyOut(BaseModel):
    """A policy as the API shows it."""

    id: int
    title: str
    kind: str
    issuer: str
    eligibility: str
    eligible_kinds: list[str]
    content: str
    formula: str
    fact_label: str
    rate: Decimal | None
    fixed_amount: Decimal | None
    per_application_max: Decimal | None
    cap_per_org_year: Decimal | None
    valid_from: date | None
    valid_to: date | None
    is_active: bool
    version: int


class TrailOut(BaseModel):
    """One step of an application's approval trail (from the audit log)."""

    at: datetime
    actor: str
    action: str
    summary: str


class ApplicationOut(BaseModel):
    """A subsidy application with its computation, cap usage and trail."""

    id: int
    policy_id: int
    policy_title: str
    organization_id: int
    organization_name: str
    year: int
    fact_amount: Decimal | None
    persons: int | None
    amount: Decimal
    computation: str
    reason: str
    status: str
    review_remarks: str
    submitted_at: datetime | None
    decided_at: datetime | None
    paid_on: date | None
    version: int
    cap_per_org_year: Decimal | None
    cap_used: Decimal
    trail: list[TrailOut]
