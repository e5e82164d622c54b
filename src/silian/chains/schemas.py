"""API output of industry chains and their chain maps."""

from __future__ import annotations

from pydantic import BaseModel


class ChainOut(BaseModel):
    """A chain with its GB/T 4754 codes, disciplines and counts of public records."""

    id: int
    code: str
    name: str
    description: str
    keywords: list[str]
    gbt_codes: list[str]
    disciplines: list[str]
    sort_order: int
    is_active: bool
    counts: dict[str, int]


class ChainPage(BaseModel):
    """One page of chains."""

    items: list[ChainOut]
    total: int
    page: int
    per_page: int


class UnitRef(BaseModel):
    """A short reference to a unit on the chain map."""

    id: int
    name: str
    kind: str
    is_chain_leader: bool


class RecordRef(BaseModel):
    """A short reference to a record on the chain map."""

    id: int
    title: str


class ChainMapOut(ChainOut):
    """A chain with its leaders, units and the newest public records around it."""

    leaders: list[UnitRef]
    enterprises: list[UnitRef]
    research_units: list[UnitRef]
    achievements: list[RecordRef]
    demands: list[RecordRef]
    platforms: list[RecordRef]
    talents: list[RecordRef]
    talent_needs: list[RecordRef]
    named_classes: list[RecordRef]
