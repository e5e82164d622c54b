"""Importing achievements and demands from Excel and CSV through the feature services."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.chains.models import IndustryChain
from silian.core import events
from silian.core.audit import AuditLog
from silian.core.errors import InvalidTransition, SilianError
from silian.demands.models import Demand
from silian.io import service
from silian.io.service import import_records
from tests.io.helpers import (
    ACHIEVEMENT_HEADERS,
    DEMAND_HEADERS,
    achievement_row,
    counts,
    demand_row,
    write_csv,
    write_xlsx,
)
from tests.support import Factory

UNI = "青岛测试大学"
ENT = "青岛测试装备有限公司"


@pytest.fixture
def world(factory: Factory, db: Session) -> dict[str, Any]:
    """Two units, an office user and a chain."""
    uni = factory.org("university", name=UNI)
    ent = factory.org("enterprise", name=ENT)
    office = factory.user("office")
    db.add(IndustryChain(code="marine", name="海洋装备产业链"))
    db.commit()
    return {"uni": uni, "ent": ent, "office": office}


def _errors(report: service.ImportReport) -> set[tuple[int | None, str]]:
    return {(e.row, e.column) for e in report.errors}


def test_good_xlsx_import_creates_drafts_through_the_service(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    rows = [
        achievement_row("A-1", UNI, 所属产业链="海洋装备产业链"),
        achievement_row("A-2", UNI, **{"意向价格(元)": "面议", "所处阶段": "pilot"}),
    ]
    path = write_xlsx(tmp_path / "成果.xlsx", ACHIEVEMENT_HEADERS, rows)
    report = import_records(db, world["office"], "achievements", path)
    db.commit()
    assert report.ok and report.written
    assert (report.created, report.updated, report.total) == (2, 0, 2)
    items = db.scalars(select(Achievement).order_by(Achievement.source_ref)).all()
    first, second = items
    assert first.source_ref == "A-1" and first.status == "draft"
    assert first.organization_id == world["uni"].id
    assert first.trl == 5 and first.stage == "small_pilot"
    assert first.transfer_modes == ["transfer", "license"]
    assert first.keywords == ["反渗透膜", "海水淡化"]
    assert first.price == Decimal("800000")
    assert first.chain is not None and first.chain.code == "marine"
    assert first.source_channel == "import"
    assert first.created_by_id == world["office"].id
    assert second.price is None and second.stage == "pilot"
    audit = db.scalars(select(AuditLog).where(AuditLog.entity_type == "achievements")).all()
    assert {(a.action, a.entity_id) for a in audit} == {("create", first.id), ("create", second.id)}
    assert all(a.actor_id == world["office"].id for a in audit)


def test_bad_xlsx_is_reported_row_by_row_and_writes_nothing(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    before = counts(db)
    rows = [
        achievement_row("A-1", UNI),  # row 2: fine
        achievement_row("A-2", UNI, 所处阶段="大试"),  # row 3: bad choice
        achievement_row("A-3", "不存在的大学", **{"技术成熟度(TRL)": 12}),  # row 4: two errors
        achievement_row("A-4", UNI, 成果名称="长" * 201),  # row 5: too long
        achievement_row("A-1", UNI),  # row 6: duplicate 外部编号
        achievement_row("A-6", UNI, 成果简介=None, **{"意向价格(元)": "很贵"}),  # row 7
        achievement_row("A-7", UNI, 转化方式="转让、赠送", 所属产业链="不存在链"),  # row 8
        achievement_row("A-8", UNI, **{"技术成熟度(TRL)": 4.5}),  # row 9: not an integer
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", ACHIEVEMENT_HEADERS, rows)
    report = import_records(db, world["office"], "achievements", path)
    db.commit()
    assert not report.written
    assert report.invalid_rows == [3, 4, 5, 6, 7, 8, 9]
    assert _errors(report) == {
        (3, "所处阶段"),
        (4, "单位名称"),
        (4, "技术成熟度(TRL)"),
        (5, "成果名称"),
        (6, "外部编号"),
        (7, "成果简介"),
        (7, "意向价格(元)"),
        (8, "转化方式"),
        (8, "所属产业链"),
        (9, "技术成熟度(TRL)"),
    }
    reasons = {(e.row, e.column): e.reason for e in report.errors}
    assert "实验室阶段" in reasons[(3, "所处阶段")]
    assert "不存在的大学" in reasons[(4, "单位名称")]
    assert "1–9" in reasons[(4, "技术成熟度(TRL)")]
    assert reasons[(5, "成果名称")] == "不能超过200个字符"
    assert "第 2 行" in reasons[(6, "外部编号")]
    assert reasons[(7, "成果简介")] == "必填"
    assert "无法识别的金额“很贵”" in reasons[(7, "意向价格(元)")]
    assert "4.5" in reasons[(9, "技术成熟度(TRL)")]
    assert "7 行有错误" in report.summary()
    # Nothing written: not the valid first row, no audit rows.
    assert counts(db) == before


def test_skip_invalid_writes_only_good_rows(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    rows = [
        achievement_row("A-1", UNI),
        achievement_row("A-2", UNI, 所处阶段="大试"),
        achievement_row("A-3", UNI),
    ]
    path = write_xlsx(tmp_path / "mixed.xlsx", ACHIEVEMENT_HEADERS, rows)
    received: list[events.Change] = []
    events.subscribe(received.extend)
    try:
        report = import_records(db, world["office"], "achievements", path, skip_invalid=True)
        db.commit()
    finally:
        events.unsubscribe(received.extend)
    assert report.written and report.created == 2
    assert report.invalid_rows == [3]
    refs = set(db.scalars(select(Achievement.source_ref)))
    assert refs == {"A-1", "A-3"}
    assert counts(db)[2] == 1 + 2  # office user creation + two records
    assert sorted(c.entity_id for c in received if c.entity_type == "achievements") == sorted(
        db.scalars(select(Achievement.id))
    )


def test_dry_run_checks_everything_and_writes_nothing(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    before = counts(db)
    path = write_xlsx(tmp_path / "ok.xlsx", ACHIEVEMENT_HEADERS, [achievement_row("A-1", UNI)])
    report = import_records(db, world["office"], "achievements", path, dry_run=True)
    db.commit()
    assert report.ok and not report.written and report.created == 1
    assert "试运行" in report.summary()
    assert counts(db) == before


def test_exception_midway_rolls_everything_back(
    db: Session, world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(db)
    real = service._KINDS["achievements"]
    calls = {"n": 0}

    def flaky(session: Session, user: Any, data: dict[str, Any]) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real.create(session, user, data)

    monkeypatch.setitem(
        service._KINDS,
        "achievements",
        service._Kind(
            real.model,
            real.schema,
            flaky,
            real.update,
            real.change_status,
            real.visible_query,
            real.permission,
        ),
    )
    rows = [achievement_row(f"A-{i}", UNI) for i in range(5)]
    path = write_xlsx(tmp_path / "ok.xlsx", ACHIEVEMENT_HEADERS, rows)
    with pytest.raises(RuntimeError):
        import_records(db, world["office"], "achievements", path, skip_invalid=True)
    db.commit()
    assert counts(db) == before


def test_reimport_with_source_ref_updates_instead_of_duplicating(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", ACHIEVEMENT_HEADERS, [achievement_row("A-1", UNI)])
    import_records(db, world["office"], "achievements", path)
    db.commit()
    item = db.scalars(select(Achievement)).one()
    item.contact_name = "王老师"  # a field the file has no column for
    db.commit()
    changed = [achievement_row("A-1", UNI, **{"技术成熟度(TRL)": 7, "意向价格(元)": "面议"})]
    path = write_xlsx(tmp_path / "b.xlsx", ACHIEVEMENT_HEADERS, changed)
    report = import_records(db, world["office"], "achievements", path)
    db.commit()
    assert (report.created, report.updated) == (0, 1)
    db.expire_all()
    item = db.scalars(select(Achievement)).one()
    assert item.trl == 7 and item.price is None
    assert item.contact_name == "王老师"
    actions = db.scalars(
        select(AuditLog.action).where(AuditLog.entity_type == "achievements").order_by(AuditLog.id)
    ).all()
    assert actions == ["create", "update"]


def test_publish_runs_the_review_workflow(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", ACHIEVEMENT_HEADERS, [achievement_row("A-1", UNI)])
    report = import_records(db, world["office"], "achievements", path, publish=True)
    db.commit()
    assert report.published == 1
    item = db.scalars(select(Achievement)).one()
    assert item.status == "published" and item.published_at is not None
    actions = db.scalars(
        select(AuditLog.action).where(AuditLog.entity_type == "achievements").order_by(AuditLog.id)
    ).all()
    assert actions == ["create", "submit", "approve"]


def test_org_option_and_unit_accounts(
    db: Session, world: dict[str, Any], factory: Factory, tmp_path: Path
) -> None:
    headers = [h for h in ACHIEVEMENT_HEADERS if h != "单位名称"]
    rows = [
        [
            v
            for h, v in zip(ACHIEVEMENT_HEADERS, achievement_row("A-1", UNI), strict=True)
            if h != "单位名称"
        ]
    ]
    path = write_xlsx(tmp_path / "no-org.xlsx", headers, rows)
    report = import_records(db, world["office"], "achievements", path, dry_run=True)
    assert report.errors[0].reason == "缺少必填列“单位名称”"
    report = import_records(db, world["office"], "achievements", path, org=world["uni"])
    assert report.written
    # A university account imports for its own unit only.
    teacher = factory.user("university", org=world["uni"])
    both = [achievement_row("A-2", ""), achievement_row("A-3", ENT)]
    path = write_xlsx(tmp_path / "uni.xlsx", ACHIEVEMENT_HEADERS, both)
    report = import_records(db, teacher, "achievements", path, skip_invalid=True)
    db.commit()
    assert report.created == 1 and _errors(report) == {(3, "单位名称")}
    assert "只能导入本单位" in report.errors[0].reason
    item = db.scalars(select(Achievement).where(Achievement.source_ref == "A-2")).one()
    assert item.organization_id == world["uni"].id


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "utf-8"])
def test_csv_demands_in_each_encoding(
    db: Session, world: dict[str, Any], tmp_path: Path, encoding: str
) -> None:
    rows = [
        demand_row("D-1", ENT),
        demand_row("D-2", ENT, 截止日期="2031/6/30", **{"预算/榜额(元)": "1,500,000"}),
    ]
    path = write_csv(tmp_path / "需求.csv", DEMAND_HEADERS, rows, encoding)
    report = import_records(db, world["office"], "demands", path)
    db.commit()
    assert report.ok and report.created == 2, report.errors
    assert report.encoding == encoding
    items = {d.source_ref: d for d in db.scalars(select(Demand))}
    assert items["D-1"].budget is None and items["D-1"].title.startswith("深远海")
    assert str(items["D-2"].deadline) == "2031-06-30"
    assert items["D-2"].budget == Decimal("1500000")


def test_demand_rules_come_from_the_service(
    db: Session, world: dict[str, Any], factory: Factory, tmp_path: Path
) -> None:
    boss = factory.user("enterprise", org=world["ent"])
    rows = [
        demand_row("D-1", ENT, 保密要求="保密（签署保密协议后可见）"),  # needs a public summary
        demand_row("D-2", ENT, 截止日期="明年"),
    ]
    path = write_csv(tmp_path / "d.csv", DEMAND_HEADERS, rows, "utf-8")
    report = import_records(db, boss, "demands", path)
    assert _errors(report) == {(2, "（整行）"), (3, "截止日期")}
    assert "公开摘要" in report.errors[0].reason
    assert "无法识别的日期“明年”" in report.errors[1].reason


def test_file_level_problems_are_reported_without_rows(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    office = world["office"]

    def reasons(path: Path) -> str:
        report = import_records(db, office, "achievements", path)
        assert report.file_error and not report.written
        return " ".join(e.reason for e in report.errors)

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "文件为空" in reasons(empty)
    header_only = write_xlsx(tmp_path / "h.xlsx", ACHIEVEMENT_HEADERS, [])
    assert "没有数据行" in reasons(header_only)
    missing = write_xlsx(tmp_path / "m.xlsx", ["成果名称", "单位名称"], [["标题", UNI]])
    assert reasons(missing) == "缺少必填列“成果简介”"
    twice = write_xlsx(tmp_path / "t.xlsx", [*ACHIEVEMENT_HEADERS, "成果名称"], [[1]])
    assert "重复" in reasons(twice)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert "无法读取 Excel" in reasons(broken)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert ".xlsx" in reasons(old)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00\x00\x81\x30")
    assert "编码" in reasons(binary) or "CSV" in reasons(binary)
    undecodable = tmp_path / "enc.csv"
    undecodable.write_bytes("成果名称,成果简介,单位名称\n".encode() + b"\x80\xff\xfe\x81\n")
    assert "编码" in reasons(undecodable)


def test_unknown_headers_stop_the_import_until_ignored(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    headers = [*ACHIEVEMENT_HEADERS, "备注", "状态"]
    rows = [[*achievement_row("A-1", UNI), "随便写", "已发布"]]
    path = write_xlsx(tmp_path / "x.xlsx", headers, rows)
    report = import_records(db, world["office"], "achievements", path)
    assert report.file_error and not report.written and report.total == 0
    assert [e.column for e in report.errors] == ["备注"]
    assert report.errors[0].reason.startswith("未知列“备注”（第 K 列）")
    assert "--ignore 备注" in report.errors[0].reason
    report = import_records(db, world["office"], "achievements", path, ignore=["备注"])
    db.commit()
    assert report.ok and report.created == 1
    assert db.scalars(select(Achievement)).one().status == "draft"


def test_a_row_failing_after_it_was_written_is_undone_alone(
    db: Session, world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = service._KINDS["achievements"]

    def picky(session: Session, user: Any, item_id: int, action: str, *args: Any) -> Any:
        item = session.get(Achievement, item_id)
        if item is not None and item.source_ref == "A-2" and action == "approve":
            raise InvalidTransition("不能审核")
        return real.change_status(session, user, item_id, action, *args)

    monkeypatch.setitem(
        service._KINDS,
        "achievements",
        service._Kind(
            real.model,
            real.schema,
            real.create,
            real.update,
            picky,
            real.visible_query,
            real.permission,
        ),
    )
    rows = [achievement_row(f"A-{i}", UNI) for i in range(1, 4)]
    path = write_xlsx(tmp_path / "a.xlsx", ACHIEVEMENT_HEADERS, rows)
    received: list[events.Change] = []
    events.subscribe(received.extend)
    try:
        report = import_records(
            db, world["office"], "achievements", path, skip_invalid=True, publish=True
        )
        db.commit()
    finally:
        events.unsubscribe(received.extend)
    assert report.created == 2 and report.published == 2
    assert [(e.row, e.column, e.reason) for e in report.errors] == [(3, "（整行）", "不能审核")]
    items = db.scalars(select(Achievement)).all()
    assert {i.source_ref for i in items} == {"A-1", "A-3"}
    ids = {i.id for i in items}
    audited = set(
        db.scalars(select(AuditLog.entity_id).where(AuditLog.entity_type == "achievements"))
    )
    assert audited == ids
    assert {c.entity_id for c in received if c.entity_type == "achievements"} == ids


def test_roles_that_cannot_publish_are_refused_up_front(
    db: Session, world: dict[str, Any], factory: Factory, tmp_path: Path
) -> None:
    boss = factory.user("enterprise", org=world["ent"])
    path = write_xlsx(tmp_path / "a.xlsx", ACHIEVEMENT_HEADERS, [achievement_row("A-1", ENT)])
    with pytest.raises(SilianError, match="不能导入科技成果"):
        import_records(db, boss, "achievements", path)
    with pytest.raises(SilianError, match="--publish"):
        import_records(db, boss, "demands", path, publish=True)


def test_control_characters_in_import_cells_are_row_errors(
    db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    """Defects 3 and 6 on the import path: a control character in a unit name or 外部编号 (both
    looked up in the database) or in a title is a row error naming the column, never a 500.
    (A CSV file holding a NUL is refused whole as binary.)"""
    before = counts(db)
    rows = [
        achievement_row("A-1\x01", UNI),
        achievement_row("A-2", UNI + "\x1f"),
        achievement_row("A-3", UNI, 成果名称="标题\x07响铃"),
        achievement_row("A-4", UNI, 成果名称="标题\n换行"),
    ]
    path = write_csv(tmp_path / "bad.csv", ACHIEVEMENT_HEADERS, rows, "utf-8")
    report = import_records(db, world["office"], "achievements", path)
    db.commit()
    assert not report.written
    reasons = {(e.row, e.column): e.reason for e in report.errors}
    assert reasons == {
        (2, "外部编号"): "不能包含控制字符（U+0001）",
        (2, "成果名称"): "不能包含控制字符（U+0001）",  # the helper's title ends with the ref
        (3, "单位名称"): "不能包含控制字符（U+001F）",
        (4, "成果名称"): "不能包含控制字符（U+0007）",
        (5, "成果名称"): "不能包含换行符或制表符",
    }
    assert counts(db) == before
