"""Exports use the import columns, respect what the user may see, and re-import cleanly."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.achievements import service as achievements
from silian.achievements.models import Achievement
from silian.chains.models import IndustryChain
from silian.demands import service as demands
from silian.demands.models import Demand
from silian.io.columns import columns_for
from silian.io.service import export_records, import_records
from tests.io.helpers import counts, read_xlsx
from tests.support import Factory

SUMMARY = "通过表面接枝两性离子聚合物，显著降低反渗透膜的有机污染和生物污染。"
SHARES = [{"name": "王海", "unit": "滨海大学", "share": 60}, {"name": "李娜", "share": 40}]
PROBLEM = "网箱在海水中三年内腐蚀严重，需要耐蚀寿命八年以上的涂层工艺。"


@pytest.fixture
def world(factory: Factory, db: Session) -> dict[str, Any]:
    """Units, users and a few records in different states."""
    uni = factory.org("university", name="青岛测试大学")
    ent = factory.org("enterprise", name="甲公司")
    other = factory.org("enterprise", name="乙公司")
    office = factory.user("office")
    boss = factory.user("enterprise", org=ent)
    rival = factory.user("enterprise", org=other)
    chain = IndustryChain(code="marine", name="海洋装备产业链")
    db.add(chain)
    db.flush()
    a1 = achievements.create_achievement(
        db,
        office,
        {
            "title": '=HYPERLINK("http://x")抗污染膜',
            "summary": SUMMARY,
            "keywords": "反渗透膜、海水淡化",
            "inventors": "王海（滨海大学）、李娜",
            "organization_id": uni.id,
            "chain_id": chain.id,
            "trl": 6,
            "stage": "pilot",
            "ip_type": "software_copyright",
            "patent_numbers": "ZL202110123456.7、ZL202110654321.X",
            "transfer_modes": ["license", "equity"],
            "price": "1234567.89",
            "contact_phone": "13800000000",
            "indicators": "-20℃ 下通量不低于 45 L/(m²·h)",
        },
    )
    a1.source_ref = "A-1"
    # Shares come from elsewhere (the demo); a sheet names people only and must keep them.
    a1.inventors = SHARES
    a2 = achievements.create_achievement(
        db, office, {"title": "无编号的成果", "summary": SUMMARY, "organization_id": uni.id}
    )
    d_public = demands.create_demand(
        db,
        rival,
        {
            "title": "乙公司公开需求",
            "problem": PROBLEM,
            "budget": "500000",
            "deadline": "2030-12-31",
        },
    )
    d_secret = demands.create_demand(
        db,
        rival,
        {
            "title": "乙公司保密需求",
            "problem": PROBLEM,
            "confidentiality": "confidential",
            "public_summary": "征集长效防腐涂层方案，细节签署保密协议后提供",
            "contact_name": "李经理",
        },
    )
    d_draft = demands.create_demand(db, rival, {"title": "乙公司草稿需求", "problem": PROBLEM})
    d_own = demands.create_demand(db, boss, {"title": "甲公司草稿需求", "problem": PROBLEM})
    for item in (d_public, d_secret):
        demands.change_status(db, rival, item.id, "submit")
        demands.change_status(db, office, item.id, "approve")
    d_public.source_ref, d_secret.source_ref = "D-1", "D-2"
    db.commit()
    return {
        "office": office,
        "boss": boss,
        "a1": a1.id,
        "a2": a2.id,
        "demands": [d.id for d in (d_public, d_secret, d_draft, d_own)],
    }


def _as_dicts(rows: list[list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def test_xlsx_export_writes_the_import_columns_with_labels(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "成果.xlsx"
    assert export_records(db, world["office"], "achievements", path) == 2
    rows = read_xlsx(path)
    assert rows[0] == [c.header for c in columns_for("achievements")]
    first, second = _as_dicts(rows)
    assert first["外部编号"] == "A-1"
    assert first["成果名称"].startswith("=HYPERLINK")  # stored as text, never a formula
    assert first["单位名称"] == "青岛测试大学"
    assert first["所属产业链"] == "海洋装备产业链"
    assert first["所处阶段"] == "中试"
    assert first["知识产权类型"] == "软件著作权"
    assert first["转化方式"] == "许可、作价投资"
    assert first["专利号"] == "ZL202110123456.7、ZL202110654321.X"
    assert first["完成人"] == "王海（滨海大学）、李娜"
    assert float(first["意向价格(元)"]) == pytest.approx(1234567.89)
    assert first["状态"] == "草稿"
    assert second["意向价格(元)"] == "面议"
    assert second["外部编号"] is None


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_round_trip_export_then_import_changes_nothing(
    db: Session, world: dict[str, Any], tmp_path: Path, suffix: str
) -> None:
    for kind, keyed_count in (("achievements", 1), ("demands", 2)):
        first = tmp_path / f"{kind}-1{suffix}"
        export_records(db, world["office"], kind, first)
        before = counts(db)
        # Rows without 外部编号 re-import as new records: check them without writing.
        report = import_records(db, world["office"], kind, first, dry_run=True)
        assert report.ok, report.errors
        assert report.updated == keyed_count
        assert report.created == report.total - keyed_count
        db.commit()
        assert counts(db) == before
        # Only the rows with 外部编号: they update their records, and nothing changes.
        keyed = tmp_path / f"{kind}-keyed.csv"
        with first.open(encoding="utf-8-sig") if suffix == ".csv" else _xlsx_as_csv(first) as f:
            rows = [r for i, r in enumerate(csv.reader(f)) if i == 0 or r[0]]
        with keyed.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
        report = import_records(db, world["office"], kind, keyed)
        db.commit()
        assert report.ok and (report.created, report.updated) == (0, keyed_count), report.errors
        second = tmp_path / f"{kind}-2{suffix}"
        export_records(db, world["office"], kind, second)
        assert _rows(first) == _rows(second)
        assert counts(db)[:2] == before[:2]
    inventors = db.scalars(select(Achievement.inventors).where(Achievement.source_ref == "A-1"))
    assert inventors.one() == SHARES


def _rows(path: Path) -> list[list[Any]]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig") as f:
            return list(csv.reader(f))
    return read_xlsx(path)


def _xlsx_as_csv(path: Path) -> Any:
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in read_xlsx(path):
        writer.writerow(["" if v is None else v for v in row])
    buffer.seek(0)
    return buffer


def test_csv_export_quotes_formula_like_text_and_import_restores_it(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    export_records(db, world["office"], "achievements", path)
    text = path.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'-20℃" in text
    import_records(db, world["office"], "achievements", path, skip_invalid=True)
    db.commit()
    item = db.scalars(select(Achievement).where(Achievement.source_ref == "A-1")).one()
    assert item.title.startswith("=HYPERLINK") and item.indicators.startswith("-20℃")


def test_enterprise_export_hides_others_drafts_and_confidential_details(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "d.xlsx"
    assert export_records(db, world["boss"], "demands", path) == 3
    rows = {r["需求名称"]: r for r in _as_dicts(read_xlsx(path))}
    assert set(rows) == {"乙公司公开需求", "乙公司保密需求", "甲公司草稿需求"}
    secret = rows["乙公司保密需求"]
    assert secret["需求描述"] is None and secret["联系人"] is None
    assert secret["公开摘要"].startswith("征集长效防腐涂层")
    assert rows["乙公司公开需求"]["需求描述"] == PROBLEM
    assert rows["乙公司公开需求"]["截止日期"].date().isoformat() == "2030-12-31"
    # The office sees everything, confidential details included.
    assert export_records(db, world["office"], "demands", path) == 4
    office_rows = {r["需求名称"]: r for r in _as_dicts(read_xlsx(path))}
    assert office_rows["乙公司保密需求"]["联系人"] == "李经理"


def test_export_filters_by_status_value_or_label(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "d.csv"
    assert export_records(db, world["office"], "demands", path, status="published") == 2
    assert export_records(db, world["office"], "demands", path, status="揭榜中") == 2
    assert export_records(db, world["office"], "demands", path, status="draft") == 2
    assert db.scalar(select(Demand).where(Demand.title == "甲公司草稿需求")) is not None


def test_template_re_imports(db: Session, world: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "模板.xlsx"
    export_records(db, None, "demands", path, template=True)
    header, example = read_xlsx(path)
    assert "状态" not in header and example[1] == "深远海养殖网箱防腐涂层"
    report = import_records(db, world["office"], "demands", path, dry_run=True)
    # The unit is an example (its chain 海洋装备 names 海洋装备产业链); the rest is valid.
    assert {e.column for e in report.errors} == {"单位名称"}


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_export_survives_a_control_character_illegal_character_error(
    db: Session, world: dict[str, Any], tmp_path: Path, suffix: str
) -> None:
    """Defect 6: a title stored with a control character (before input hygiene) broke the Excel
    export for everyone (IllegalCharacterError); it is exported with U+FFFD in its place."""
    item = db.scalars(select(Achievement).where(Achievement.title == "无编号的成果")).one()
    item.title = "坏\x01标\x07题\x1b"  # PostgreSQL refuses NUL itself; these it stores
    db.commit()
    path = tmp_path / f"out.{suffix}"
    assert export_records(db, world["office"], "achievements", path) == 2
    if suffix == "xlsx":
        cells = [c for row in read_xlsx(path) for c in row]
    else:
        text = path.read_text(encoding="utf-8-sig")
        cells = [c for row in csv.reader(text.splitlines()) for c in row]
    assert "坏\ufffd标\ufffd题\ufffd" in cells
