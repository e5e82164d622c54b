"""Validated input and API output of training programmes and enrolments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from silian.core.fields import Multiline, blank_to_none, split_list
from silian.core.schemas import InputModel
from silian.training.choices import PROGRAMME_STATUS


class ProgrammeIn(InputModel):
    """A programme's terms: base, name, chain, skills, hours, dates, seats."""

    base_id: int = Field(gt=0)
    name: str = Field(min_length=2, max_length=200)
    chain_id: int | None = Field(default=None, gt=0)
    skills: list[str] = Field(default_factory=list, max_length=20)
    hours: int = Field(gt=0, le=10_000)
    starts_on: date
    ends_on: date
    seats: int = Field(gt=0, le=100_000)
    description: Multiline = Field(default="", max_length=4000)
    status: str = "open"

    @field_validator("skills", mode="before")
    @classmethod
    def _skills(cls, value: Any) -> list[str]:
        return split_list(value)

    @field_validator("chain_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        found = PROGRAMME_STATUS.value_for(value)
        if found is None:
            raise ValueError("可选值：" + "、".join(label for _, label in PROGRAMME_STATUS))
        return found


class CompletionIn(InputModel):
    """A completion: the date and, if one was issued, the certificate number."""

    completed_on: date | None = None
    certificate_no: str | None = Field(default=None, max_length=60)

    @field_validator("completed_on", "certificate_no", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        value = blank_to_none(value)
        return value.strip() if isinstance(value, str) else value


class ProgrammeOut(BaseModel):
    """A programme as the API shows it."""

    id: int
    base_id: int
    base_name: str
    organization_id: int
    name: str
    chain_id: int | None
    skills: list[str]
    hours: int
    starts_on: date
    ends_on: date
    seats: int
    taken: int
    seats_left: int
    description: str
    status: str
    version: int


class EnrolmentOut(BaseModel):
    """An enrolment as the API shows it."""

    id: int
    programme_id: int
    programme_name: str
    user_id: int
    person: str
    status: str
    enrolled_at: datetime
    completed_on: date | None
    certificate_no: str | None


class BaseUseOut(BaseModel):
    """A training base's capacity and utilisation for a year."""

    base_id: int
    name: str
    year: int
    capacity: int
    programmes: int
    seats: int
    trainees: int
    completions: int
    certificates: int
    utilisation: float | None


class EnrolIn(InputModel):
    """An enrolment request: the caller enrols themselves, so there is nothing else to state."""
