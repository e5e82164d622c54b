"""API output of organisations and their profiles."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class OrganizationOut(BaseModel):
    """A unit as the API returns it; contacts are null for anonymous callers."""

    id: int
    name: str
    kind: str
    kind_label: str
    credit_code: str | None
    region_code: str
    address: str
    description: str
    contact_name: str | None
    contact_phone: str | None
    is_chain_leader: bool
    is_active: bool
    is_sample: bool
    chain_ids: list[int]
    chain_names: list[str]
    partner_ids: list[int]
    updated_at: datetime


class OrganizationPage(BaseModel):
    """One page of units."""

    items: list[OrganizationOut]
    total: int
    page: int
    per_page: int
