"""Validated input and API output of achievements."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, NotRequired

from pydantic import BaseModel, ConfigDict, Field, field_validator
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from silian.achievements.choices import IP_TYPES, ORIGINS, STAGES, TRADE_TYPES, TRANSFER_MODES
from silian.core.fields import Multiline, blank_to_none, split_list, split_people
from silian.core.money import Money
from silian.core.schemas import InputModel

# Field labels, used in validation reports (web forms and imports).
LABELS = {
    "title": "成果名称",
    "summary": "成果简介",
    "keywords": "关键词",
    "inventors": "完成人",
    "organization_id": "所属单位",
    "discipline": "学科",
    "chain_id": "所属产业链",
    "trl": "技术成熟度(TRL)",
    "stage": "所处阶段",
    "ip_type": "知识产权类型",
    "ip_status": "知识产权状态",
    "registered_on": "登记日期",
    "patent_numbers": "专利号",
    "transfer_modes": "转化方式",
    "price": "意向价格(元)",
    "trade_type": "交易方式",
    "application_field": "应用领域",
    "indicators": "技术指标",
    "innovations": "创新点",
    "advantages": "竞争优势",
    "markets": "市场前景",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "origin": "成果来源",
    "funding_programme": "资助项目",
}


MAX_INVENTORS = 30
MAX_INVENTOR_NAME = 30
MAX_INVENTOR_UNIT = 100


class Inventor(TypedDict):
    """One person who made the achievement (完成人), as stored: a name, perhaps their unit and
    their share in percent; the expert workspace matches ``name`` to a talent profile."""

    name: str
    unit: NotRequired[str]
    share: NotRequired[int]


def _inventors(value: Any) -> list[dict[str, Any]]:
    """Inventors from a separated string or a list, checked; ValueError names 完成人."""
    try:
        people = split_people(value)
    except ValueError as exc:
        raise ValueError(f"完成人{exc}") from None
    if len(people) > MAX_INVENTORS:
        raise ValueError(f"完成人最多{MAX_INVENTORS}人（现有{len(people)}人）")
    for person in people:
        name = person["name"]
        if len(name) > MAX_INVENTOR_NAME:
            raise ValueError(f"完成人“{name[:12]}…”的姓名不能超过{MAX_INVENTOR_NAME}个字")
        unit = person.get("unit", "")
        if not isinstance(unit, str) or len(unit) > MAX_INVENTOR_UNIT:
            raise ValueError(f"完成人“{name}”的单位应为不超过{MAX_INVENTOR_UNIT}个字的文字")
        if not unit:
            person.pop("unit", None)
        share = person.get("share")
        if "share" in person and (
            isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 100
        ):
            raise ValueError(f"完成人“{name}”的贡献份额应为 0–100 的整数")
        extra = set(person) - {"name", "unit", "share"}
        if extra:
            raise ValueError(f"完成人“{name}”含不允许的字段：{'、'.join(sorted(extra))}")
    return people


def _choice(value: Any, choices: Any, field: str) -> str:
    found = choices.value_for(str(value)) if value is not None else None
    if found is None:
        raise ValueError("可选值：" + "、".join(label for _, label in choices))
    return str(found)


class AchievementIn(InputModel):
    """Fields a publisher fills in for an achievement."""

    title: str = Field(min_length=2, max_length=200)
    summary: Multiline = Field(min_length=10, max_length=5000)
    keywords: list[str] = Field(default_factory=list, max_length=10)
    inventors: list[Inventor] = Field(
        default_factory=list,
        max_length=MAX_INVENTORS,
        description="完成人：姓名列表，或以顿号、逗号、分号、空格分隔的文字；"
        "单位可写在姓名后的括号中，如 王海（滨海大学）",
    )
    organization_id: int | None = None
    discipline: str = Field(default="", max_length=30)
    chain_id: int | None = None
    trl: int = Field(default=3, ge=1, le=9)
    stage: str = "lab"
    ip_type: str = "invention_patent"
    ip_status: str = Field(default="", max_length=20)
    registered_on: date | None = None
    patent_numbers: list[str] = Field(default_factory=list, max_length=50)
    transfer_modes: list[str] = Field(default_factory=list)
    price: Money = Field(default=None, ge=0, le=Decimal("1e11"))
    trade_type: str = "listing"
    application_field: str = Field(default="", max_length=200)
    indicators: Multiline = Field(default="", max_length=5000)
    innovations: Multiline = Field(default="", max_length=5000)
    advantages: Multiline = Field(default="", max_length=5000)
    markets: Multiline = Field(default="", max_length=5000)
    contact_name: str = Field(default="", max_length=50)
    contact_phone: str = Field(default="", max_length=30)
    origin: str = "original"
    funding_programme: str = Field(default="", max_length=200)

    @field_validator("title", "summary", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("keywords", "patent_numbers", mode="before")
    @classmethod
    def _list(cls, value: Any) -> list[str]:
        return split_list(value)

    @field_validator("inventors", mode="before")
    @classmethod
    def _people(cls, value: Any) -> list[dict[str, Any]]:
        return _inventors(value)

    @field_validator("organization_id", "chain_id", "registered_on", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("trl", mode="before")
    @classmethod
    def _trl(cls, value: Any) -> Any:
        return 3 if blank_to_none(value) is None else value

    @field_validator("stage")
    @classmethod
    def _stage(cls, value: str) -> str:
        return _choice(value, STAGES, "stage")

    @field_validator("ip_type")
    @classmethod
    def _ip(cls, value: str) -> str:
        return _choice(value, IP_TYPES, "ip_type")

    @field_validator("trade_type")
    @classmethod
    def _trade(cls, value: str) -> str:
        return _choice(value, TRADE_TYPES, "trade_type")

    @field_validator("origin")
    @classmethod
    def _origin(cls, value: str) -> str:
        return _choice(value, ORIGINS, "origin")

    @field_validator("transfer_modes", mode="before")
    @classmethod
    def _modes(cls, value: Any) -> list[str]:
        return [_choice(v, TRANSFER_MODES, "transfer_modes") for v in split_list(value)]


class AchievementOut(BaseModel):
    """An achievement as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    summary: str
    keywords: list[str]
    inventors: list[Inventor]
    organization_id: int
    organization_name: str
    discipline: str
    category: str
    chain_id: int | None
    trl: int
    stage: str
    ip_type: str
    ip_status: str
    registered_on: date | None
    patent_numbers: list[str]
    transfer_modes: list[str]
    price: Decimal | None
    trade_type: str
    application_field: str
    status: str
    review_remarks: str
    published_at: datetime | None
    updated_at: datetime
    is_sample: bool


class AchievementPage(BaseModel):
    """One page of achievements."""

    items: list[AchievementOut]
    total: int
    page: int
    per_page: int
