"""Importing the spreadsheets offices actually send: titles, merged cells, synonyms, 万元, words."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.demands.models import Demand
from silian.io.service import import_records
from tests.io import messy
from tests.io.helpers import counts
from tests.support import Factory


@pytest.fixture
def world(factory: Factory, db: Session) -> dict[str, Any]:
    """The units of the messy sheets and an office user."""
    return {
        "uni": factory.org("university", name=messy.UNI),
        "uni2": factory.org("university", name=messy.UNI2),
        "ent": factory.org("enterprise", name=messy.ENT),
        "office": factory.user("office"),
    }


def _without_bad_rows(path: Path) -> Path:
    """The messy sheet with its four bad rows cleared (kept blank, so row numbers stay)."""
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    for number in messy.BAD:
        for column in range(1, len(messy.HEADERS) + 1):
            sheet.cell(row=number, column=column).value = None
    workbook.save(path)
    return path


def test_unknown_column_stops_the_messy_sheet_before_any_row(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    path = messy.build_achievements(tmp_path / "成果登记表.xlsx")
    before = counts(db)
    report = import_records(db, world["office"], "achievements", path)
    db.commit()
    assert report.header_row == 4
    assert report.file_error and report.total == 0
    assert [e.column for e in report.errors] == ["备注"]
    reason = report.errors[0].reason
    assert "未知列“备注”" in reason and "--map 备注=字段" in reason and "--ignore 备注" in reason
    assert "可对应的字段：" in reason and "应用领域" in reason
    assert counts(db) == before


def test_messy_sheet_names_exactly_the_bad_rows_and_writes_nothing(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    path = messy.build_achievements(tmp_path / "成果登记表.xlsx")
    before = counts(db)
    report = import_records(db, world["office"], "achievements", path, ignore=["备注"])
    db.commit()
    assert not report.written and not report.file_error
    assert report.invalid_rows == sorted(messy.BAD)
    assert report.total == len(messy.GOOD) + len(messy.BAD)
    found = {e.row: (e.column, e.reason) for e in report.errors}
    for row, (column, word) in messy.BAD.items():
        assert found[row][0] == column, (row, found[row])
        assert word in found[row][1], (row, found[row])
    assert len(report.errors) == len(messy.BAD)
    assert counts(db) == before
    assert any("说明文字" in s and "第 20 行" in s for s in report.skipped)


def _check_good_rows(db: Session, world: dict[str, Any]) -> None:
    items = {a.title: a for a in db.scalars(select(Achievement))}
    assert len(items) == len(messy.GOOD)
    for good in messy.GOOD:
        item = items[good.title]
        org = world["uni"] if good.org == messy.UNI else world["uni2"]
        assert item.organization_id == org.id, good.row
        assert (item.trl, item.stage) == (good.trl, good.stage), good.row
        assert (item.ip_type, item.ip_status) == (good.ip_type, good.ip_status), good.row
        assert item.transfer_modes == good.modes, good.row
        assert item.price == good.price, good.row
        assert item.registered_on == good.registered_on, good.row
        assert item.discipline == good.discipline, good.row
        assert item.contact_name == good.contact_name, good.row
        assert item.contact_phone == good.contact_phone, good.row
        assert item.summary == messy.SUMMARY and item.status == "draft"
    assert items["海洋牧场水质在线监测仪"].patent_numbers == ["ZL202110123456.7"]


def test_messy_sheet_with_skip_invalid_keeps_every_value_of_every_good_row(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    path = messy.build_achievements(tmp_path / "成果登记表.xlsx")
    report = import_records(
        db, world["office"], "achievements", path, ignore=["备注"], skip_invalid=True
    )
    db.commit()
    assert report.written and report.created == len(messy.GOOD)
    assert report.invalid_rows == sorted(messy.BAD)
    _check_good_rows(db, world)


def test_messy_sheet_without_bad_rows_imports_all_or_nothing_clean(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    path = _without_bad_rows(messy.build_achievements(tmp_path / "成果登记表.xlsx"))
    report = import_records(db, world["office"], "achievements", path, mapping={"备注": "应用领域"})
    db.commit()
    assert report.ok and report.written, report.errors
    assert report.created == len(messy.GOOD)
    _check_good_rows(db, world)
    # The mapped column is kept, not dropped.
    first = db.scalar(select(Achievement).where(Achievement.title == messy.GOOD[0].title))
    assert first is not None and first.application_field == "重点推荐"
    # The preview shows the rows as they will be stored.
    row6 = report.preview[0]
    assert row6.row == 6 and row6.values["price"] == "120万元"
    assert row6.values["trl"] == "6" and row6.values["stage"] == "中试"
    assert row6.values["organization_id"] == messy.UNI
    uses = {u.header: (u.field, u.how) for u in report.columns}
    assert uses["完成单位"] == ("organization_id", "known")
    assert uses["联系人姓名"] == ("contact_name", "known")
    assert uses["联系人电话"] == ("contact_phone", "known")
    assert uses["备注"] == ("application_field", "mapped")
    assert uses["序号"] == (None, "numbering")
    price = next(u for u in report.columns if u.field == "price")
    assert price.unit_label == "万元"


def test_messy_demand_sheet(db: Session, world: dict[str, Any], tmp_path: Path) -> None:
    path = messy.build_demands(tmp_path / "需求征集表.xlsx")
    stopped = import_records(db, world["office"], "demands", path)
    assert [e.column for e in stopped.errors] == ["合作方式"]
    report = import_records(db, world["office"], "demands", path, ignore=["合作方式"])
    db.commit()
    assert report.ok and report.created == 2, report.errors
    assert report.header_row == 3
    coating, sensor = sorted(db.scalars(select(Demand)), key=lambda d: d.id)
    assert coating.budget == Decimal("2000000") and sensor.budget is None
    assert coating.deadline == date(2026, 12, 31) and sensor.deadline == date(2027, 6, 30)
    assert coating.confidentiality == "public" and sensor.confidentiality == "confidential"
    assert coating.region_code == "370211" and sensor.region_code == "370211"
    assert (coating.wanted_trl, sensor.wanted_trl) == (6, 8)
    assert coating.registered_on == date(2026, 7, 3)
    assert sensor.registered_on == date(2026, 7, 4)
    assert all(d.organization_id == world["ent"].id for d in (coating, sensor))


def test_header_is_found_on_any_sheet_and_csv_titles_are_skipped(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    workbook = Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "填表说明"
    notes.append(["请按第二个工作表填写"])
    data = workbook.create_sheet("成果")
    data.append(["科技成果汇总"])
    data.append(["项目名称", "单位", "内容简介", "技术成熟度等级", "转让价格（元）"])
    data.append(["高效换热器", messy.UNI, messy.SUMMARY, "６级", "300,000"])
    path = tmp_path / "两个工作表.xlsx"
    workbook.save(path)
    report = import_records(db, world["office"], "achievements", path)
    db.commit()
    assert report.ok and report.sheet == "成果" and report.header_row == 2, report.errors
    item = db.scalars(select(Achievement)).one()
    assert (item.trl, item.stage, item.price) == (6, "pilot", Decimal("300000"))
    csv_path = tmp_path / "成果.csv"
    csv_path.write_text(
        "2026 年成果清单,,\n,,\n成果名称,所属单位,成果简介,价格(万元)\n"
        f"低温储氢材料,{messy.UNI2},{messy.SUMMARY},协商\n",
        encoding="gbk",
    )
    report = import_records(db, world["office"], "achievements", csv_path)
    assert report.ok and report.header_row == 3, report.errors


def test_map_and_ignore_are_checked(db: Session, world: dict[str, Any], tmp_path: Path) -> None:
    path = messy.build_demands(tmp_path / "需求征集表.xlsx")
    report = import_records(db, world["office"], "demands", path, mapping={"合作方式": "不存在"})
    assert "不是可导入的字段" in report.errors[0].reason
    report = import_records(db, world["office"], "demands", path, ignore=["没有这列", "合作方式"])
    assert [e.reason for e in report.errors] == ["--ignore 指定的列“没有这列”在表头中不存在"]
    report = import_records(
        db, world["office"], "demands", path, mapping={"合作方式": "揭榜条件"}, dry_run=True
    )
    assert report.ok and not report.written
    assert report.preview[0].values["eligibility"] == "合作开发"


def test_units_row_number_row_totals_and_departments(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["成果名称", "单位名称", "成果简介", "价格", "所处阶段"])
    sheet.append([None, None, None, "（万元）", None])  # units printed under the header
    sheet.append([1, 2, 3, 4, 5])  # column numbers
    sheet.append(["高效换热器", f"{messy.UNI}（能源学院）", messy.SUMMARY, 80, "中试完成"])
    sheet.append(["合计", None, None, 80, None])
    path = tmp_path / "带单位行.xlsx"
    workbook.save(path)
    report = import_records(db, world["office"], "achievements", path)
    db.commit()
    assert report.ok and report.total == 1, report.errors
    item = db.scalars(select(Achievement)).one()
    assert item.price == Decimal("800000") and (item.stage, item.trl) == ("pilot", 6)
    assert item.organization_id == world["uni"].id


def test_the_lead_researcher_column_is_the_contact(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["成果名称", "完成单位", "成果简介", "成果负责人", "联系方式"])
    sheet.append(["高效换热器", messy.UNI, messy.SUMMARY, "王海", "0532-85950001"])
    path = tmp_path / "负责人.xlsx"
    workbook.save(path)
    report = import_records(db, world["office"], "achievements", path)
    db.commit()
    assert report.ok, report.errors
    item = db.scalars(select(Achievement)).one()
    assert (item.contact_name, item.contact_phone) == ("王海", "0532-85950001")


def test_a_column_without_header_but_with_data_must_be_decided(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["成果名称", "单位名称", "成果简介"])
    sheet.append(["高效换热器", messy.UNI, messy.SUMMARY, "王老师 13800000000"])
    path = tmp_path / "无表头列.xlsx"
    workbook.save(path)
    report = import_records(db, world["office"], "achievements", path)
    assert [e.column for e in report.errors] == ["第4列"]
    assert "没有表头但有数据" in report.errors[0].reason
    report = import_records(db, world["office"], "achievements", path, mapping={"第4列": "联系人"})
    db.commit()
    assert report.ok, report.errors
    assert db.scalars(select(Achievement)).one().contact_name == "王老师 13800000000"


def test_the_main_inventors_column_keeps_every_name_and_unit(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["2026年度科技成果登记表"])
    sheet.append(["序号", "成果名称", "完成单位", "成果简介", "主要完成人（排名不分先后）"])
    names = " 王海(滨海大学)，李娜\n张伟；赵敏 等"
    sheet.append([1, "高效换热器", messy.UNI, messy.SUMMARY, names])
    sheet.append([2, "海水淡化膜", messy.UNI, messy.SUMMARY, "钱进（滨海大学，海洋学院）"])
    path = tmp_path / "完成人.xlsx"
    workbook.save(path)
    report = import_records(db, world["office"], "achievements", path)
    db.commit()
    assert report.ok and report.total == 2, report.errors
    found = {a.title: a.inventors for a in db.scalars(select(Achievement))}
    assert found["高效换热器"] == [
        {"name": "王海", "unit": "滨海大学"},
        {"name": "李娜"},
        {"name": "张伟"},
        {"name": "赵敏"},
    ]
    assert found["海水淡化膜"] == [{"name": "钱进", "unit": "滨海大学，海洋学院"}]


def test_a_name_too_long_in_the_inventors_column_names_row_and_column(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["成果名称", "单位名称", "成果简介", "发明人"])
    sheet.append(["高效换热器", messy.UNI, messy.SUMMARY, "王" * 31])
    path = tmp_path / "发明人.xlsx"
    workbook.save(path)
    before = counts(db)
    report = import_records(db, world["office"], "achievements", path)
    db.commit()
    assert [(e.row, e.column) for e in report.errors] == [(2, "发明人")]
    assert "完成人" in report.errors[0].reason and "30" in report.errors[0].reason
    assert counts(db) == before
