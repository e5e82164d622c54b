"""`silian figures refresh` from the command line: the days it covers, bad dates, reruns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from silian.cli import app
from silian.config import get_settings
from silian.insights.models import CITY, FigureDay
from tests.support import Factory


@pytest.fixture
def run(db_url: str, tmp_path: Path) -> Iterator[Any]:
    """Invoke the CLI against this test's database."""
    runner = CliRunner()
    env = {"SILIAN_DATABASE_URL": db_url, "SILIAN_HOME": str(tmp_path / "home")}

    def invoke(*args: str) -> Any:
        get_settings.cache_clear()
        return runner.invoke(app, list(args), env=env)

    yield invoke
    get_settings.cache_clear()


def test_refresh_writes_each_day_once(run: Any, db: Session, factory: Factory) -> None:
    factory.org("enterprise", name="命令行测试企业")
    result = run("figures", "refresh", "--from", "2026-05-01", "--to", "2026-05-03")
    assert result.exit_code == 0, result.output
    assert "共 3 天" in result.output
    days = db.scalars(select(FigureDay.day).where(FigureDay.chain_id == CITY).distinct()).all()
    assert len(days) == 3
    rows = db.scalar(select(func.count(FigureDay.id)))
    again = run("figures", "refresh", "--from", "2026-05-02", "--to", "2026-05-03")
    assert again.exit_code == 0, again.output
    db.expire_all()
    assert db.scalar(select(func.count(FigureDay.id))) == rows


def test_bad_dates_are_named(run: Any) -> None:
    result = run("figures", "refresh", "--from", "2026-02-30")
    assert result.exit_code == 2
    assert "--from 应为 YYYY-MM-DD" in result.output and "Traceback" not in result.output
    result = run("figures", "refresh", "--from", "2026-05-03", "--to", "2026-05-01")
    assert result.exit_code == 2 and "--from 不能晚于 --to" in result.output
