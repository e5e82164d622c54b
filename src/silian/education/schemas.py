"""Validated input and API output of the education chain: classes, bases, consortia, colleges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from silian.core.fields import Multiline, blank_to_none
from silian.core.schemas import InputModel

CLASS_LABELS = {
    "name": "冠名班名称",
    "university_id": "办学院校",
    "enterprise_id": "冠名企业",
    "major_name": "专业",
    "students": "在读学生数",
    "graduation_year": "毕业年份",
    "investment_project_id": "关联招商引资项目",
}


class NamedClassIn(InputModel):
    """Fields of a company-named class (冠名班)."""

    name: str = Field(min_length=2, max_length=200)
    university_id: int | None = None
    enterprise_id: int
    major_name: str = Field(min_length=2, max_length=100)
    students: int | None = Field(default=0, ge=0, le=10000)
    graduation_year: int = Field(ge=2000, le=2100)
    investment_project_id: int | None = None

    @field_validator("name", "major_name", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("university_id", "students", "investment_project_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("enterprise_id", "graduation_year", mode="before")
    @classmethod
    def _required(cls, value: Any) -> Any:
        # Declared non-null in the API; a blank form field or null gets the usual message.
        if blank_to_none(value) is None:
            raise ValueError("必填")
        return value

    @field_validator("students", mode="after")
    @classmethod
    def _students(cls, value: int | None) -> int:
        return value or 0


class OrgRef(BaseModel):
    """A short reference to a unit."""

    id: int
    name: str
    kind: str


class NamedClassOut(BaseModel):
    """A named class as the API returns it."""

    id: int
    name: str
    university: OrgRef
    enterprise: OrgRef
    major_name: str
    students: int
    graduation_year: int
    investment_project_id: int | None
    investment_project_name: str | None
    is_sample: bool
    updated_at: datetime


class TrainingBaseOut(BaseModel):
    """A public training base (公共实训基地)."""

    id: int
    name: str
    organization: OrgRef
    chain_id: int | None
    yearly_capacity: int
    trainees_this_year: int
    programmes: list[str]
    description: str
    is_sample: bool


class ConsortiumOut(BaseModel):
    """An industry–education consortium (产教联合体) with its members."""

    id: int
    name: str
    kind: str
    kind_label: str
    chain_id: int | None
    lead_organization: OrgRef
    members: list[OrgRef]
    description: str
    is_sample: bool


class IndustryCollegeOut(BaseModel):
    """A modern industry college (现代产业学院)."""

    id: int
    name: str
    university: OrgRef
    chain_id: int | None
    partner_names: list[str]
    majors: list[str]
    students: int
    is_sample: bool


class NamedClassPage(BaseModel):
    """One page of named classes."""

    items: list[NamedClassOut]
    total: int
    page: int
    per_page: int


class TrainingBasePage(BaseModel):
    """One page of training bases."""

    items: list[TrainingBaseOut]
    total: int
    page: int
    per_page: int


class ConsortiumPage(BaseModel):
    """One page of consortia."""

    items: list[ConsortiumOut]
    total: int
    page: int
    per_page: int


class IndustryCollegePage(BaseModel):
    """One page of industry colleges."""

    items: list[IndustryCollegeOut]
    total: int
    page: int
    per_page: int


# --- consortia, colleges, bases, major offerings and the majors catalogue (editing) ----------

CONSORTIUM_LABELS = {
    "name": "联合体名称",
    "kind": "类型",
    "chain_id": "服务产业链",
    "lead_organization_id": "牵头单位",
    "deputy_ids": "副理事长单位",
    "member_ids": "成员单位",
    "majors": "共建专业",
    "programmes": "培训项目",
    "yearly_intake": "年招生规模",
    "description": "简介",
}
COLLEGE_LABELS = {
    "name": "产业学院名称",
    "university_id": "所属高校",
    "chain_id": "服务产业链",
    "partner_names": "合作企业",
    "majors": "开设专业",
    "students": "在校生数",
    "yearly_intake": "年招生规模",
}
BASE_LABELS = {
    "name": "实训基地名称",
    "organization_id": "运营单位",
    "chain_id": "服务产业链",
    "yearly_capacity": "年培训能力（人次）",
    "trainees_this_year": "本年已培训（人次）",
    "programmes": "培训方向",
    "description": "简介",
}
OFFERING_LABELS = {
    "university_id": "开设院校",
    "major_id": "专业",
    "chain_id": "面向产业链",
    "yearly_intake": "年招生人数",
    "duration_years": "学制（年）",
    "first_year": "首次招生年份",
    "last_year": "停招年份",
    "note": "备注",
}
MAPPING_LABELS = {"discipline_ids": "对应学科", "chain_weights": "对应产业链及权重"}


def _text_list(value: Any) -> Any:
    # Forms send one item per line; the API sends a list.
    if isinstance(value, str):
        return [line.strip() for line in value.replace("、", "\n").splitlines() if line.strip()]
    return value


def _id_list(value: Any) -> Any:
    if isinstance(value, str):
        return [v for v in value.replace("，", ",").split(",") if v.strip()]
    if isinstance(value, list):
        return [v for v in value if not (isinstance(v, str) and not v.strip())]
    return value


class ConsortiumIn(InputModel):
    """Fields of an industry–education consortium (产教联合体) with its members and roles."""

    name: str = Field(min_length=2, max_length=200)
    kind: str
    chain_id: int | None = None
    lead_organization_id: int
    deputy_ids: list[int] = Field(default_factory=list, max_length=100)
    member_ids: list[int] = Field(default_factory=list, max_length=500)
    majors: list[str] = Field(default_factory=list, max_length=100)
    programmes: list[str] = Field(default_factory=list, max_length=100)
    yearly_intake: int = Field(default=0, ge=0, le=1_000_000)
    description: Multiline = Field(default="", max_length=5000)

    @field_validator("name", "kind", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("chain_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("lead_organization_id", "yearly_intake", mode="before")
    @classmethod
    def _required(cls, value: Any) -> Any:
        if blank_to_none(value) is None:
            raise ValueError("必填")
        return value

    @field_validator("deputy_ids", "member_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        return _id_list(value)

    @field_validator("majors", "programmes", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _text_list(value)


class IndustryCollegeIn(InputModel):
    """Fields of a modern industry college (现代产业学院)."""

    name: str = Field(min_length=2, max_length=200)
    university_id: int
    chain_id: int | None = None
    partner_names: list[str] = Field(default_factory=list, max_length=100)
    majors: list[str] = Field(default_factory=list, max_length=100)
    students: int = Field(default=0, ge=0, le=1_000_000)
    yearly_intake: int = Field(default=0, ge=0, le=1_000_000)

    @field_validator("name", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("chain_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("university_id", "students", "yearly_intake", mode="before")
    @classmethod
    def _required(cls, value: Any) -> Any:
        if blank_to_none(value) is None:
            raise ValueError("必填")
        return value

    @field_validator("partner_names", "majors", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _text_list(value)


class TrainingBaseIn(InputModel):
    """Fields of a public training base (公共实训基地)."""

    name: str = Field(min_length=2, max_length=200)
    organization_id: int
    chain_id: int | None = None
    yearly_capacity: int = Field(ge=0, le=10_000_000)
    trainees_this_year: int = Field(default=0, ge=0, le=10_000_000)
    programmes: list[str] = Field(default_factory=list, max_length=100)
    description: Multiline = Field(default="", max_length=5000)

    @field_validator("name", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("chain_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("organization_id", "yearly_capacity", "trainees_this_year", mode="before")
    @classmethod
    def _required(cls, value: Any) -> Any:
        if blank_to_none(value) is None:
            raise ValueError("必填")
        return value

    @field_validator("programmes", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _text_list(value)


class MajorOfferingIn(InputModel):
    """Fields of a major a university runs (开设专业), a new one opened for a chain included."""

    university_id: int | None = None
    major_id: int
    chain_id: int | None = None
    yearly_intake: int = Field(ge=0, le=100_000)
    duration_years: int = Field(default=4, ge=1, le=8)
    first_year: int = Field(ge=1949, le=2100)
    last_year: int | None = Field(default=None, ge=1949, le=2100)
    note: Multiline = Field(default="", max_length=2000)

    @field_validator("university_id", "chain_id", "last_year", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("major_id", "yearly_intake", "duration_years", "first_year", mode="before")
    @classmethod
    def _required(cls, value: Any) -> Any:
        if blank_to_none(value) is None:
            raise ValueError("必填")
        return value


class MajorMappingIn(InputModel):
    """A major's CSL disciplines and its chains with weights (1–10)."""

    discipline_ids: list[int] = Field(default_factory=list, max_length=20)
    chain_weights: dict[int, int] = Field(default_factory=dict, max_length=30)

    @field_validator("discipline_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        return _id_list(value)

    @field_validator("chain_weights", mode="after")
    @classmethod
    def _weights(cls, value: dict[int, int]) -> dict[int, int]:
        for chain_id, weight in value.items():
            if not 1 <= chain_id <= 2**31 - 1:
                raise ValueError(f"产业链编号无效：{chain_id}")
            if not 1 <= weight <= 10:
                raise ValueError("产业链权重应为 1 到 10 的整数")
        return value


class ConsortiumMemberOut(OrgRef):
    """A member unit with its role in the consortium."""

    role: str
    role_label: str


class ConsortiumDetailOut(BaseModel):
    """A consortium as the editing API returns it: members with roles, majors, intake."""

    id: int
    name: str
    kind: str
    kind_label: str
    chain_id: int | None
    lead_organization: OrgRef
    members: list[ConsortiumMemberOut]
    majors: list[str]
    programmes: list[str]
    yearly_intake: int
    description: str
    is_sample: bool


class MajorOfferingOut(BaseModel):
    """A major a university runs, with expected graduates this year."""

    id: int
    university: OrgRef
    major_id: int
    major_code: str
    major_name: str
    major_level: str
    chain_id: int | None
    yearly_intake: int
    duration_years: int
    first_year: int
    last_year: int | None
    note: str
    is_sample: bool


class MajorOfferingPage(BaseModel):
    """One page of major offerings."""

    items: list[MajorOfferingOut]
    total: int
    page: int
    per_page: int


class FitMajorOut(BaseModel):
    """One major's supply and demand in the year."""

    major: str
    graduates: float
    class_students: float
    supply: float
    demand: int
    balance: float


class FitUniversityOut(BaseModel):
    """One university's graduates and the part the demand absorbs."""

    university_id: int
    university: str
    supply: float
    absorbed: float
    index: float | None


class FitYearOut(BaseModel):
    """Supply, demand and the index in one year (trend)."""

    year: int
    supply: float
    demand: float
    index: float | None


class FitUnmatchedOut(BaseModel):
    """A major name in the demand that is not in the catalogue (counted as naming no major)."""

    name: str
    count: int


class FitOut(BaseModel):
    """The majors–industry fit index for a year, city-wide or for one chain."""

    year: int
    chain_id: int | None
    supply: float
    demand: float
    matched: float
    index: float | None
    gap: float
    surplus: float
    trainees: float
    unspecified_demand: int
    unmatched: list[FitUnmatchedOut]
    formula: str
    majors: list[FitMajorOut]
    surpluses: list[FitMajorOut]
    gaps: list[FitMajorOut]
    universities: list[FitUniversityOut]
    trend: list[FitYearOut]
