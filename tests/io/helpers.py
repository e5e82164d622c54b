"""Build import files and count rows for the import/export tests."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.core.audit import AuditLog
from silian.demands.models import Demand

ACHIEVEMENT_HEADERS = [
    "外部编号",
    "成果名称",
    "单位名称",
    "成果简介",
    "关键词",
    "技术成熟度(TRL)",
    "所处阶段",
    "转化方式",
    "意向价格(元)",
    "所属产业链",
]


def achievement_row(ref: str, org: str, **changes: Any) -> list[Any]:
    """One valid achievement row (in ACHIEVEMENT_HEADERS order), with changes by header."""
    row = {
        "外部编号": ref,
        "成果名称": f"海水淡化反渗透膜抗污染改性技术{ref}",
        "单位名称": org,
        "成果简介": "通过表面接枝两性离子聚合物，显著降低反渗透膜的有机污染和生物污染。",
        "关键词": "反渗透膜、海水淡化",
        "技术成熟度(TRL)": 5,
        "所处阶段": "小试",
        "转化方式": "转让、许可",
        "意向价格(元)": 800000,
        "所属产业链": "",
    }
    row.update(changes)
    return [row[h] for h in ACHIEVEMENT_HEADERS]


DEMAND_HEADERS = [
    "外部编号",
    "需求名称",
    "单位名称",
    "需求描述",
    "预算/榜额(元)",
    "截止日期",
    "保密要求",
]


def demand_row(ref: str, org: str, **changes: Any) -> list[Any]:
    """One valid demand row (in DEMAND_HEADERS order)."""
    row = {
        "外部编号": ref,
        "需求名称": f"深远海养殖网箱防腐涂层{ref}",
        "单位名称": org,
        "需求描述": "网箱在海水中三年内腐蚀严重，需要耐蚀寿命八年以上的涂层工艺。",
        "预算/榜额(元)": "面议",
        "截止日期": "2030-12-31",
        "保密要求": "公开",
    }
    row.update(changes)
    return [row[h] for h in DEMAND_HEADERS]


def write_xlsx(path: Path, headers: list[str], rows: list[list[Any]]) -> Path:
    """An .xlsx file with a header row and rows."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_csv(path: Path, headers: list[str], rows: list[list[Any]], encoding: str) -> Path:
    """A CSV file in encoding."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def read_xlsx(path: Path) -> list[list[Any]]:
    """All rows of the first sheet as values."""
    workbook = load_workbook(path, read_only=True)
    rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    return rows


def counts(db: Session) -> tuple[int, int, int]:
    """(achievements, demands, audit rows) as committed now."""
    db.rollback()  # end any read snapshot so other sessions' commits are visible
    return (
        db.scalar(select(func.count()).select_from(Achievement)) or 0,
        db.scalar(select(func.count()).select_from(Demand)) or 0,
        db.scalar(select(func.count()).select_from(AuditLog)) or 0,
    )
