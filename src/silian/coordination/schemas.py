"""Validated input and API output of investment projects, with the talent-needs table."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from silian.coordination.choices import PROJECT_STATUS
from silian.core.fields import Multiline, blank_to_none
from silian.core.money import Money
from silian.core.schemas import InputModel

LABELS = {
    "name": "项目名称",
    "organization_id": "投资企业",
    "chain_id": "所属产业链",
    "region_code": "所在区市",
    "opening_date": "投产日期",
    "investment": "投资额(元)",
    "talent_needs": "分专业人才需求",
    "description": "项目简介",
    "status": "项目状态",
}
NEED_COLUMNS = {"major": "专业", "year": "年份", "count": "人数"}
MAX_NEED_ROWS = 50
# A national catalogue code: 6 digits (undergraduate 080601, vocational 460301), maybe a letter.
CODE_PATTERN = re.compile(r"^\d{4,6}[A-Za-z]{0,2}$")
# Form fields of the needs editor: one list per column, a row per position.
FORM_COLUMNS = ("need_major", "need_year", "need_count")


class NeedsError(ValueError):
    """A malformed needs table: the message names the row and the column."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _positive(value: Any) -> int | None:
    text = _cell(value).removesuffix("人")
    if isinstance(value, bool) or not re.fullmatch(r"\d{1,6}", text):
        return None
    number = int(text)
    return number if number >= 1 else None


def parse_needs(rows: Any) -> list[dict[str, Any]]:
    """The needs table as clean rows {major, code, year, count}; NeedsError naming the row and
    column of the first problems (blank rows are skipped but keep their number)."""
    if rows is None or rows == "":
        return []
    if isinstance(rows, str):
        rows = _text_rows(rows)
    if not isinstance(rows, list):
        raise NeedsError("应为行的列表（专业、年份、人数）")
    problems: list[str] = []
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, int], int] = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            problems.append(f"第 {number} 行应为对象（专业、年份、人数）")
            continue
        major = _cell(row.get("major")) or _cell(row.get("code"))
        year_raw, count_raw = row.get("year"), row.get("count")
        if not major and not _cell(year_raw) and not _cell(count_raw):
            continue
        if not major:
            problems.append(f"第 {number} 行「专业」不能为空（填专业名称或专业代码）")
        elif len(major) > 100:
            problems.append(f"第 {number} 行「专业」不能超过100个字符")
        year_text = _cell(year_raw).removesuffix("年")
        year = int(year_text) if re.fullmatch(r"\d{4}", year_text) else None
        if year is None or not 2000 <= year <= 2100:
            problems.append(f"第 {number} 行「年份」应为 2000–2100 之间的年份")
        count = _positive(count_raw)
        if count is None:
            problems.append(f"第 {number} 行「人数」应为正整数")
        elif count > 100000:
            problems.append(f"第 {number} 行「人数」不能超过 100000")
        if problems or year is None or count is None:
            continue
        code = _cell(row.get("code"))
        if CODE_PATTERN.match(major):
            code, major = major, ""  # the service names it from the catalogue
        key = (major.lower() or code, year)
        if key in seen:
            problems.append(f"第 {number} 行与第 {seen[key]} 行的专业和年份重复，请合并人数")
            continue
        seen[key] = number
        out.append({"major": major, "code": code, "year": year, "count": count})
    if len(out) > MAX_NEED_ROWS:
        problems.append(f"最多 {MAX_NEED_ROWS} 行")
    if problems:
        raise NeedsError("；".join(problems[:5]) + ("；……" if len(problems) > 5 else ""))
    return out


def _text_rows(text: str) -> list[dict[str, Any]]:
    """Lines of 专业, 年份, 人数 (comma, 、, tab or spaces) as rows: the import's text form."""
    out: list[dict[str, Any]] = []
    for line in re.split(r"[\n;；]", text):
        parts = [p for p in re.split(r"[,，、\t ]+", line.strip()) if p]
        parts += [""] * (3 - len(parts))
        out.append({"major": parts[0], "year": parts[1], "count": parts[2]})
    while out and not any(out[-1].values()):
        out.pop()
    return out


def needs_text(rows: list[dict[str, Any]] | None) -> str:
    """The needs as the text form (one 专业 年份 人数 per line; the code when no name)."""
    lines = []
    for row in rows or []:
        major = row.get("major") or row.get("code") or ""
        lines.append(f"{major} {row.get('year') or ''} {row.get('count') or ''}".strip())
    return "；".join(lines)


class NeedIn(BaseModel):
    """One row of the needs table."""

    major: str = Field(default="", max_length=100, description="专业名称（或留空只填代码）")
    code: str = Field(default="", max_length=20, description="专业目录代码，如 460301")
    year: int = Field(ge=2000, le=2100, description="需要到岗的年份")
    count: int = Field(ge=1, le=100000, description="人数")


class InvestmentProjectIn(InputModel):
    """Fields of an investment project (招商引资项目)."""

    name: str = Field(min_length=2, max_length=200)
    organization_id: int | None = None
    chain_id: int | None = None
    region_code: str = Field(default="", max_length=12)
    opening_date: date | None = None
    investment: Money = Field(default=None, ge=0, le=Decimal("1e13"))
    talent_needs: list[NeedIn] = Field(default_factory=list)
    description: Multiline = Field(default="", max_length=5000)
    status: str = "signed"

    @model_validator(mode="before")
    @classmethod
    def _form_rows(cls, data: Any) -> Any:
        # The page's editor posts one list per column; the API posts talent_needs.
        if isinstance(data, dict) and "talent_needs" not in data and "need_major" in data:
            data = dict(data)
            columns = [data.pop(name, []) for name in FORM_COLUMNS]
            columns = [c if isinstance(c, list) else [c] for c in columns]
            length = max(len(c) for c in columns)
            columns = [c + [""] * (length - len(c)) for c in columns]
            data["talent_needs"] = [
                {"major": m, "year": y, "count": n} for m, y, n in zip(*columns, strict=True)
            ]
        return data

    @field_validator("name", "region_code", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("organization_id", "chain_id", "opening_date", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return blank_to_none(value)

    @field_validator("talent_needs", mode="before")
    @classmethod
    def _needs(cls, value: Any) -> Any:
        try:
            return parse_needs(value)
        except NeedsError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        if value not in PROJECT_STATUS.values:
            labels = "、".join(label for _, label in PROJECT_STATUS)
            raise ValueError(f"可选值：{labels}")
        return value


class NeedOut(BaseModel):
    """One needed major."""

    major: str
    code: str = ""
    year: int | None = None
    count: int


class InvestmentProjectOut(BaseModel):
    """An investment project as the API returns it."""

    id: int
    name: str
    organization_id: int | None
    organization_name: str | None
    chain_id: int | None
    region_code: str
    opening_date: date | None
    investment: Decimal | None
    talent_needs: list[NeedOut]
    description: str
    status: str
    status_label: str
    at_risk: bool | None = Field(description="人才到岗有风险（无法评估时为 null）")
    linked_class_ids: list[int]
    is_sample: bool
    version: int
    updated_at: datetime


class InvestmentProjectPage(BaseModel):
    """One page of investment projects."""

    items: list[InvestmentProjectOut]
    total: int
    page: int
    per_page: int


class ForecastMajorOut(BaseModel):
    """The forecast of one needed major."""

    major: str
    code: str
    need: int
    linked_class_students: int
    city_graduates: int
    expected_arrivals: float
    gap: int
    met: bool
    classes: list[dict[str, Any]]
    offerings: list[dict[str, Any]]


class ForecastOut(BaseModel):
    """The talent-arrival forecast of a project, with the assumptions used."""

    project_id: int
    assessable: bool
    reason: str
    at_risk: bool
    opening_date: date | None
    first_year: int | None
    retention_rate: float
    hire_share: float
    need: int
    expected_arrivals: float
    gap: int
    majors: list[ForecastMajorOut]
