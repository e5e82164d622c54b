"""`silian import` / `silian export` from the command line: exit codes, tables, no tracebacks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from silian.achievements.models import Achievement
from silian.cli import app
from silian.config import get_settings
from tests.io.helpers import (
    ACHIEVEMENT_HEADERS,
    achievement_row,
    counts,
    read_xlsx,
    write_xlsx,
)
from tests.support import Factory

UNI = "青岛测试大学"


@pytest.fixture
def run(db_url: str, tmp_path: Path) -> Iterator[Any]:
    """Invoke the CLI against this test's database."""
    runner = CliRunner()
    env = {"SILIAN_DATABASE_URL": db_url, "SILIAN_HOME": str(tmp_path / "home")}
    get_settings.cache_clear()

    def invoke(*args: str) -> Any:
        get_settings.cache_clear()
        return runner.invoke(app, list(args), env=env)

    yield invoke
    get_settings.cache_clear()


def test_bad_excel_import_is_reported_row_by_row_and_writes_nothing(
    run: Any, db: Session, factory: Factory, tmp_path: Path
) -> None:
    factory.org("university", name=UNI)
    factory.user("office", username="office1")
    before = counts(db)
    rows = [
        achievement_row("A-1", UNI),
        achievement_row("A-2", UNI, 所处阶段="大试"),
        achievement_row("A-3", "没有这个大学"),
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", ACHIEVEMENT_HEADERS, rows)
    report = tmp_path / "errors.csv"
    result = run("import", "achievements", str(path), "--report", str(report))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    saved = report.read_text(encoding="utf-8-sig").splitlines()
    assert saved[0] == "行,列,原因" and saved[1].startswith("3,所处阶段,")
    assert saved[2].startswith("4,单位名称,")
    assert "所处阶段" in result.output and "没有这个大学" in result.output
    assert "未写入任何数据" in result.output
    lines = [line for line in result.output.splitlines() if "│" in line]
    assert any(" 3 " in line and "所处阶段" in line for line in lines)
    assert any(" 4 " in line and "单位名称" in line for line in lines)
    assert counts(db) == before


def test_good_import_skip_invalid_and_export(
    run: Any, db: Session, factory: Factory, tmp_path: Path
) -> None:
    factory.org("university", name=UNI)
    factory.user("office", username="office1")
    rows = [achievement_row("A-1", UNI), achievement_row("A-2", UNI, 所处阶段="大试")]
    path = write_xlsx(tmp_path / "mixed.xlsx", ACHIEVEMENT_HEADERS, rows)
    result = run("import", "achievements", str(path), "--skip-invalid", "--as", "office1")
    assert result.exit_code == 0, result.output
    assert "新增 1 条" in result.output and "跳过 1 行" in result.output
    db.rollback()
    assert db.scalars(select(Achievement.source_ref)).all() == ["A-1"]

    good = write_xlsx(tmp_path / "good.xlsx", ACHIEVEMENT_HEADERS, [achievement_row("A-1", UNI)])
    result = run("import", "achievements", str(good), "--publish")
    assert result.exit_code == 0, result.output
    assert "更新 1 条" in result.output

    out = tmp_path / "out.xlsx"
    result = run("export", "achievements", str(out), "--status", "published")
    assert result.exit_code == 0, result.output
    assert "已导出 1 条" in result.output
    assert read_xlsx(out)[1][0] == "A-1"


def test_dry_run_and_org_option(run: Any, db: Session, factory: Factory, tmp_path: Path) -> None:
    uni = factory.org("university", name=UNI)
    factory.user("office")
    headers = [h for h in ACHIEVEMENT_HEADERS if h != "单位名称"]
    full = achievement_row("A-1", UNI)
    row = [v for h, v in zip(ACHIEVEMENT_HEADERS, full, strict=True) if h != "单位名称"]
    path = write_xlsx(tmp_path / "a.xlsx", headers, [row])
    result = run("import", "achievements", str(path), "--dry-run", "--org", str(uni.id))
    assert result.exit_code == 0, result.output
    assert "检查通过" in result.output
    assert counts(db)[0] == 0


def test_clear_errors_without_tracebacks(
    run: Any, db: Session, factory: Factory, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", ACHIEVEMENT_HEADERS, [achievement_row("A-1", UNI)])
    result = run("import", "achievements", str(path))
    assert result.exit_code == 1
    assert "没有可用的政府部门" in result.output
    factory.user("office", username="office1")
    for args, expected in (
        (("import", "achievements", str(path), "--as", "nobody"), "用户不存在"),
        (("import", "achievements", str(path), "--org", "无此单位"), "机构不存在"),
        (("import", "achievements", str(tmp_path / "missing.csv")), "文件不存在"),
        (("import", "achievements", str(tmp_path / "a.txt")), "无法识别的文件类型"),
        (("export", "demands", str(tmp_path / "d.csv"), "--status", "nope"), "状态“nope”无效"),
        (("export", "demands", str(tmp_path / "no-dir" / "d.csv")), "无法写入文件"),
    ):
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert expected in result.output, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_template_command(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    result = run("export", "demands", str(out), "--template")
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8-sig").startswith("外部编号,需求名称,单位名称")


def test_cli_map_and_ignore_settle_unknown_columns(
    run: Any, db: Session, factory: Factory, tmp_path: Path
) -> None:
    from tests.io import messy

    factory.org("university", name=messy.UNI)
    factory.org("university", name=messy.UNI2)
    factory.user("office", username="office1")
    path = messy.build_achievements(tmp_path / "成果登记表.xlsx")
    before = counts(db)
    stopped = run("import", "achievements", str(path))
    assert stopped.exit_code == 1 and "Traceback" not in stopped.output
    assert "未知列“备注”" in stopped.output and "表头：工作表“成果登记”第 4 行" in stopped.output
    assert counts(db) == before
    bad_map = run("import", "achievements", str(path), "--map", "备注")
    assert bad_map.exit_code == 1 and "原列名=字段" in bad_map.output
    checked = run("import", "achievements", str(path), "--map", "备注=应用领域", "--dry-run")
    assert checked.exit_code == 1 and "4 行有错误" in checked.output, checked.output
    assert (
        "备注→应用领域" in checked.output
        and "意向价格（万元）→意向价格(元)（万元）" in checked.output
    )
    done = run("import", "achievements", str(path), "--ignore", "备注", "--skip-invalid")
    assert done.exit_code == 0, done.output
    assert "已忽略的列：备注" in done.output and "新增 6 条" in done.output
    titles = set(db.scalars(select(Achievement.title)))
    assert titles == {g.title for g in messy.GOOD}
