"""Backups: every row of every table, and the secret key, survive backup and restore."""

from __future__ import annotations

import dataclasses
import os
import shutil
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from silian.accounts.models import LoginAttempt, User
from silian.brokerage.models import Contract, ContractPayment, Deal, DealStep, Match, MatchFeedback
from silian.challenges.models import Challenge, ChallengeAcceptance
from silian.config import Settings
from silian.core.backup import BackupError, backup, non_empty_tables, restore
from silian.core.db import get_engine, session_factory
from silian.core.idempotency import IdempotencyKey
from silian.core.scheduler import JobLease
from silian.demo.loader import load_demo
from silian.education.models import Major, MajorOffering
from silian.insights.models import FigureDay
from silian.notifications.models import Notification
from silian.organizations.models import Organization
from tests.conftest import PG_ADMIN_URL, _backends, _pg_available


def _fill(db_url: str) -> None:
    """Rows in every table: the demo city plus the few tables it leaves empty."""
    load_demo(db_url)
    with session_factory(db_url)() as session:
        # The demo loads the majors catalogue; a school's offering of one of them.
        major = session.scalars(select(Major).order_by(Major.id)).first() or Major(
            code="080901", name="计算机科学与技术", category="工学"
        )
        session.add(major)
        university = session.scalars(
            select(Organization).where(Organization.kind == "university").order_by(Organization.id)
        ).first()
        assert university is not None
        session.flush()
        session.add(MajorOffering(university_id=university.id, major_id=major.id, first_year=2020))
        session.add(LoginAttempt(username="someone", ip="192.0.2.1", success=False))
        match = session.scalars(select(Match).order_by(Match.id)).first()
        assert match is not None
        session.add(MatchFeedback(match_id=match.id, verdict="useful", score=0.5, rank=1))
        user = session.scalars(select(User).order_by(User.id)).first()
        assert user is not None
        session.add(
            IdempotencyKey(
                user_id=user.id,
                key="retry-1",
                request_hash="0" * 64,
                status_code=201,
                response_body={"id": 1},
                expires_at=datetime(2030, 1, 1, tzinfo=UTC),
            )
        )
        session.add(FigureDay(day=date(2026, 12, 1), chain_id=0, figure="x", value=Decimal(1)))
        session.add(Notification(user_id=user.id, kind="deal", title="有对接待跟进"))
        session.add(
            JobLease(
                name="remind",
                done_slot=datetime(2026, 12, 1, 0, 0, tzinfo=UTC),
                last_result="提醒：揭榜即将截止 1 条",
                runs=1,
            )
        )
        challenge = session.scalars(select(Challenge).order_by(Challenge.id)).first()
        deal = session.scalars(select(Deal).order_by(Deal.id)).first()
        contract = session.scalars(select(Contract).order_by(Contract.id)).first()
        assert challenge is not None and deal is not None and contract is not None
        session.add(ChallengeAcceptance(challenge_id=challenge.id, user_id=user.id))
        session.add(DealStep(deal_id=deal.id, stage=deal.stage, happened_on=date(2026, 11, 30)))
        session.add(
            ContractPayment(
                contract_id=contract.id, amount=Decimal("1000.50"), received_on=date(2026, 12, 1)
            )
        )
        session.commit()


def _normal(value: Any) -> Any:
    # The same moment reads back naive from SQLite and aware from PostgreSQL.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, normalised across backends, in primary-key order."""
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        out: dict[str, list[tuple[Any, ...]]] = {}
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                if table.name == "alembic_version":
                    continue
                order = list(table.primary_key.columns) or list(table.columns)
                rows = conn.execute(select(table).order_by(*order)).all()
                out[table.name] = [tuple(_normal(v) for v in row) for row in rows]
        return out
    finally:
        engine.dispose()


@pytest.fixture
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database that has never been migrated, on the backend given by the param."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    if not _pg_available():
        pytest.skip("PostgreSQL not reachable")
    name = f"silian_restore_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    get_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.parametrize("fresh_url", _backends(), indirect=True)
def test_backup_round_trip_brings_back_every_row_of_every_table(
    settings: Settings, db_url: str, fresh_url: str, tmp_path: Path
) -> None:
    _fill(db_url)
    original = _dump(db_url)
    assert all(original.values()), [name for name, rows in original.items() if not rows]
    assert len(original) >= 40

    file = tmp_path / "silian-backup.zip"
    report = backup(settings, file)
    assert report.rows == {name: len(rows) for name, rows in original.items()}
    assert (file.stat().st_mode & 0o777) == 0o600

    target = dataclasses.replace(
        settings, home=tmp_path / "restored-home", database_url=fresh_url, secret_key="other"
    )
    target.index_dir.mkdir(parents=True)
    (target.index_dir / "silian-sync.json").write_text("{}")
    restored = restore(target, file)

    assert restored.rows == report.rows
    assert _dump(fresh_url) == original  # across backends too when the params differ
    assert (target.home / "secret_key").read_text() == settings.secret_key
    assert not target.index_dir.exists()  # stale index gone: rebuilt on next use
    # New records continue after the restored ids (PostgreSQL sequences were reset).
    with session_factory(fresh_url)() as session:
        session.add(LoginAttempt(username="after-restore", ip="", success=True))
        session.commit()
        top = session.scalar(select(func.max(LoginAttempt.id)))
        assert top == len(original["login_attempts"]) + 1


def test_restore_refuses_a_non_empty_database_without_force(
    settings: Settings, db_url: str, db: Session, tmp_path: Path
) -> None:
    db.add(Major(code="1", name="一", category=""))
    db.add(LoginAttempt(username="before", ip="", success=True))
    db.commit()
    file = tmp_path / "b.zip"
    backup(settings, file)
    db.add(LoginAttempt(username="after", ip="", success=True))
    db.commit()
    db.close()

    with pytest.raises(BackupError, match="目标数据库不为空.*--force"):
        restore(settings, file)
    with get_engine(db_url).connect() as conn:
        assert non_empty_tables(conn) == {"majors": 1, "login_attempts": 2}  # untouched

    restore(settings, file, force=True)
    with get_engine(db_url).connect() as conn:
        assert non_empty_tables(conn) == {"majors": 1, "login_attempts": 1}


def test_restore_rejects_a_file_that_is_not_a_backup(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "x.zip"
    bad.write_text("not a zip")
    with pytest.raises(BackupError, match="不是 Silian 备份文件"):
        restore(settings, bad)
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(BackupError, match="manifest"):
        restore(settings, bad)
    with pytest.raises(BackupError, match="不存在"):
        restore(settings, tmp_path / "missing.zip")


def test_backup_and_restore_commands(
    settings: Settings, db_url: str, db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from silian.cli import app
    from silian.config import get_settings

    db.add(Major(code="2", name="二", category=""))
    db.commit()
    db.close()
    home = tmp_path / "cli-home"
    home.mkdir()
    (home / "secret_key").write_text("cli-secret")
    monkeypatch.setenv("SILIAN_HOME", str(home))
    monkeypatch.setenv("SILIAN_DATABASE_URL", db_url)
    monkeypatch.delenv("SILIAN_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        file = tmp_path / "cli.zip"
        done = runner.invoke(app, ["backup", str(file)])
        assert done.exit_code == 0, done.output
        assert "已备份" in done.output
        refused = runner.invoke(app, ["restore", str(file)])
        assert refused.exit_code == 1
        assert "--force" in refused.output
        (home / "secret_key").write_text("changed")
        forced = runner.invoke(app, ["restore", str(file), "--force"])
        assert forced.exit_code == 0, forced.output
        assert (home / "secret_key").read_text() == "cli-secret"
    finally:
        get_settings.cache_clear()
        shutil.rmtree(home, ignore_errors=True)
