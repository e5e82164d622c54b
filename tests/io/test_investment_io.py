"""Import and export of investment projects and named classes: round trips through Excel and
CSV, and a bad row reported by its row number with nothing written."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.coordination.models import InvestmentProject
from silian.core import clock
from silian.education.models import NamedClass
from silian.io.service import export_records, import_records
from tests.support import Factory


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_projects_round_trip_through_excel(db: Session, factory: Factory, tmp_path: Path) -> None:
    """Exported projects import back as updates of the same projects, needs intact."""
    office = factory.user("office")
    ent = factory.org("enterprise", "青岛示例智能家电有限公司")
    needs = [
        {"major": "智能控制技术", "code": "", "year": 2027, "count": 40},
        {"major": "电气自动化技术", "code": "", "year": 2028, "count": 15},
    ]
    project = factory.investment_project(
        name="智能家电产业园三期", organization_id=ent.id, talent_needs=needs
    )
    path = tmp_path / "projects.xlsx"
    assert export_records(db, office, "investment-projects", path) == 1
    report = import_records(db, office, "investment-projects", path)
    db.commit()
    assert report.ok, report.errors
    assert (report.created, report.updated) == (0, 1)
    db.expire_all()
    again = db.get(InvestmentProject, project.id)
    assert again is not None and again.talent_needs == needs
    assert again.organization_id == ent.id


def test_bad_needs_row_is_reported_by_row_number(
    db: Session, factory: Factory, tmp_path: Path
) -> None:
    """Row 3's needs cell has a bad headcount, row 4 an unknown enterprise: both reported with
    their row numbers and columns; nothing is written."""
    office = factory.user("office")
    factory.org("enterprise", "青岛示例智能家电有限公司")
    path = _write_csv(
        tmp_path / "projects.csv",
        [
            ["项目名称", "投资企业", "投产日期", "分专业人才需求", "项目状态"],
            ["项目甲", "青岛示例智能家电有限公司", "2027-09-01", "智能控制技术 2027 40", "已签约"],
            ["项目乙", "", "2027-09-01", "软件技术 2027 5；焊接 2027 零", "已签约"],
            ["项目丙", "不存在的企业", "2027/9/1", "软件技术 2027 5", "建设中"],
        ],
    )
    report = import_records(db, office, "investment-projects", path)
    db.commit()
    assert not report.written
    by_row = {(e.row, e.column): e.reason for e in report.errors}
    assert by_row[(3, "分专业人才需求")] == "第 2 项「人数」应为正整数"
    assert "不存在的企业" in by_row[(4, "投资企业")]
    assert db.scalar(select(func.count(InvestmentProject.id))) == 0
    fixed = import_records(db, office, "investment-projects", path, skip_invalid=True)
    db.commit()
    assert fixed.created == 1
    project = db.scalar(select(InvestmentProject))
    assert project is not None and project.opening_date == date(2027, 9, 1)
    assert project.talent_needs == [
        {"major": "智能控制技术", "code": "", "year": 2027, "count": 40}
    ]


def test_named_classes_round_trip_and_school_accounts(
    db: Session, factory: Factory, tmp_path: Path
) -> None:
    """Classes export with school, enterprise and project names and import back; a school's
    account imports only its own classes; a bad year is named by row."""
    office = factory.user("office")
    school = factory.org("university", "青岛职业技术学院")
    ent = factory.org("enterprise", "青岛示例智能家电有限公司")
    project = factory.investment_project(name="智能家电产业园三期")
    factory.named_class(
        school, ent, name="海尔智能控制冠名班", students=45, investment_project_id=project.id
    )
    path = tmp_path / "classes.csv"
    assert export_records(db, office, "named-classes", path) == 1
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    assert rows[1][:3] == ["海尔智能控制冠名班", "青岛职业技术学院", "青岛示例智能家电有限公司"]
    assert rows[1][-1] == "智能家电产业园三期"
    rows.append(
        ["新冠名班", "青岛职业技术学院", "青岛示例智能家电有限公司", "软件技术", "30", "明年", ""]
    )
    rows.append(
        ["软件订单班", "青岛职业技术学院", "青岛示例智能家电有限公司", "软件技术", "30", "2028", ""]
    )
    _write_csv(path, rows)
    report = import_records(db, office, "named-classes", path)
    assert not report.written
    assert [(e.row, e.column) for e in report.errors] == [(3, "毕业年份")]
    db.rollback()
    del rows[2]
    _write_csv(path, rows)
    teacher = factory.user("university", school)
    report = import_records(db, teacher, "named-classes", path)
    db.commit()
    assert report.ok, report.errors
    assert (report.created, report.updated) == (1, 1)
    assert db.scalar(select(func.count(NamedClass.id))) == 2
    other = factory.user("university")
    refused = import_records(db, other, "named-classes", path)
    assert refused.errors and "只能导入本单位" in refused.errors[0].reason


def test_talent_needs_round_trip_and_bad_row(db: Session, factory: Factory, tmp_path: Path) -> None:
    """Needs export and import back as updates by 外部编号; a bad headcount and a bad 是/否
    are named by row and column and nothing is written."""
    ent = factory.org("enterprise", "蓝港海工科技")
    poster = factory.user("enterprise", ent)
    office = factory.user("office")
    path = _write_csv(
        tmp_path / "needs.csv",
        [
            ["外部编号", "岗位名称", "需求人数", "年薪下限", "专业要求", "共引共享岗位"],
            ["RC-1", "海工结构工程师", "3", "25万", "船舶与海洋工程", "否"],
            ["RC-2", "焊接工艺工程师", "0", "", "焊接", "否"],
            ["RC-3", "防腐研究员", "1", "", "材料", "也许"],
        ],
    )
    report = import_records(db, poster, "talent-needs", path)
    assert not report.written
    assert [(e.row, e.column) for e in report.errors] == [(3, "需求人数"), (4, "共引共享岗位")]
    db.rollback()
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    _write_csv(path, rows[:2])
    report = import_records(db, poster, "talent-needs", path)
    db.commit()
    assert report.ok and report.created == 1, report.errors
    out = tmp_path / "needs.xlsx"
    assert export_records(db, office, "talent-needs", out) >= 1
    again = import_records(db, poster, "talent-needs", out)
    db.commit()
    assert again.ok and (again.created, again.updated) == (0, 1), again.errors


def test_subsidy_application_list_round_trip(db: Session, factory: Factory, tmp_path: Path) -> None:
    """A unit imports its applications as drafts with amounts computed from the policy; an
    unknown policy is named by row; the exported list carries amount, computation and status."""
    factory.policy(title="人才薪酬补贴")
    unit = factory.org("enterprise", "蓝港海工科技")
    applicant = factory.user("enterprise", unit)
    office = factory.user("office")
    year = str(clock.today().year)
    path = _write_csv(
        tmp_path / "applications.csv",
        [
            ["政策名称", "申请年度", "年薪", "申请理由"],
            ["人才薪酬补贴", year, "30万", "引进海工结构工程师"],
            ["不存在的政策", year, "30万", "引进焊接工程师"],
        ],
    )
    report = import_records(db, applicant, "subsidy-applications", path)
    assert not report.written
    assert [(e.row, e.column) for e in report.errors] == [(3, "政策名称")]
    db.rollback()
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    _write_csv(path, rows[:2])
    report = import_records(db, applicant, "subsidy-applications", path)
    db.commit()
    assert report.ok and report.created == 1, report.errors
    out = tmp_path / "list.csv"
    assert export_records(db, office, "subsidy-applications", out) == 1
    exported = list(csv.reader(out.open(encoding="utf-8-sig")))
    header, row = exported[0], exported[1]
    assert row[header.index("申请单位")] == "蓝港海工科技"
    assert row[header.index("核定金额（元）")] == "60000"
    assert row[header.index("状态")] == "草稿"
    assert "20%" in row[header.index("计算过程")]
