"""Input and output shapes of platform services and bookings (pages and API)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from silian.core.fields import Multiline, split_list
from silian.core.money import Amount
from silian.core.schemas import InputModel

ServiceKind = Literal["equipment", "testing", "small_batch", "poc_funding"]


PlatformKind = Literal["pilot", "poc"]
PlatformStatus = Literal["active", "building", "suspended"]

# The platform form's field names, as a stale save lists what others changed.
PLATFORM_LABELS = {
    "name": "平台名称",
    "kind": "平台类型",
    "organization_id": "运营单位",
    "chain_id": "主要服务产业链",
    "chain_ids": "服务的产业链",
    "status": "运营状态",
    "capabilities": "服务能力",
    "equipment": "主要设备",
    "support_amount": "获得支持资金",
    "description": "平台简介",
}


class PlatformIn(InputModel):
    """A platform as the office registers it (or its operator keeps it): the chains it serves,
    the first being its primary chain."""

    name: str = Field(min_length=1, max_length=200)
    kind: PlatformKind = "pilot"
    organization_id: int = Field(ge=1)
    chain_ids: list[int] = Field(default_factory=list, max_length=50)
    description: Multiline = Field(default="", max_length=4000)
    capabilities: list[str] = Field(default_factory=list, max_length=50)
    equipment: list[str] = Field(default_factory=list, max_length=100)
    support_amount: Amount = Field(default=Decimal(0), ge=0, le=Decimal("999999999999.99"))
    status: PlatformStatus = "active"

    @field_validator("capabilities", "equipment", mode="before")
    @classmethod
    def _split(cls, value: object) -> list[str]:
        return split_list(value)


class ServiceIn(InputModel):
    """A service a platform publishes: unit, price, capacity per day and the dates it is open."""

    name: str = Field(min_length=1, max_length=200)
    kind: ServiceKind = "equipment"
    description: Multiline = Field(default="", max_length=4000)
    unit: str = Field(default="次", min_length=1, max_length=20)
    # Numeric(12, 2): at most ten digits before the point.
    unit_price: Amount = Field(default=Decimal(0), ge=0, le=Decimal("9999999999.99"))
    capacity_per_day: int = Field(default=1, ge=1, le=100_000)
    available_from: date | None = None
    available_to: date | None = None


class BookingIn(InputModel):
    """A booking request: which service, the dates and the units per day."""

    service_id: int = Field(ge=1)
    start_date: date
    end_date: date
    # Units wanted on each day of the range; the service refuses zero or negative.
    quantity: int = Field(le=100_000)
    team_name: str = Field(default="", max_length=200)
    remarks: Multiline = Field(default="", max_length=2000)
    demand_id: int | None = Field(default=None, ge=1)
    organization_id: int | None = Field(default=None, ge=1)


class DecisionIn(InputModel):
    """The platform's reason when it declines (optional note when it approves)."""

    reason: Multiline = Field(default="", max_length=2000)


class CompletionIn(InputModel):
    """What was actually delivered: units per day and the fee charged."""

    actual_quantity: int = Field(ge=0, le=100_000)
    fee: Amount = Field(ge=0, le=Decimal("1e11"))


class ServiceOut(BaseModel):
    """A platform service."""

    id: int
    platform_id: int
    name: str
    kind: str
    description: str
    unit: str
    unit_price: Decimal
    capacity_per_day: int
    available_from: date | None
    available_to: date | None
    is_active: bool


class BookingOut(BaseModel):
    """A booking with its decision and completion."""

    id: int
    service_id: int
    service_name: str
    platform_id: int
    organization_id: int
    organization_name: str
    requested_by_id: int | None
    start_date: date
    end_date: date
    quantity: int
    amount: Decimal
    status: str
    remarks: str
    team_name: str
    demand_id: int | None
    decision_reason: str
    decided_at: datetime | None
    actual_quantity: int | None
    fee: Decimal | None
    completed_on: date | None


class MonthFigureOut(BaseModel):
    """One month of a platform: unit-days available and booked, utilisation, income."""

    month: str
    available_unit_days: int
    booked_unit_days: int
    utilisation: float | None
    income: Decimal


class PlatformOut(BaseModel):
    """A platform with its services."""

    id: int
    name: str
    kind: str
    organization_id: int
    organization_name: str
    chain_id: int | None
    chain_ids: list[int]
    description: str
    capabilities: list[str]
    equipment: list[str]
    support_amount: Decimal
    status: str
    services: list[ServiceOut]


class DayLoadOut(BaseModel):
    """Units held on one day of a service, against its capacity."""

    day: date
    booked: int
    capacity: int
