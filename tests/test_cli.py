"""The `silian` command line: `user create` with and without an organisation."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from silian.accounts.models import User
from silian.cli import app
from silian.config import get_settings
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


def test_user_create_mapper_industry_chain_in_a_fresh_process(db_url: str, tmp_path: Path) -> None:
    # Defect 5: a fresh interpreter that imports only the CLI failed to configure Organization.
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from silian.cli import app\n"
        "r = CliRunner().invoke(app, ['user', 'create', '--role', 'office', '--username',"
        " 'fresh1', '--password', 'password-123'])\n"
        "print(r.output)\n"
        "sys.exit(r.exit_code)\n"
    )
    env = {"SILIAN_DATABASE_URL": db_url, "SILIAN_HOME": str(tmp_path / "home"), "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "已创建用户 fresh1" in done.stdout


def test_user_create_with_and_without_org(run: Any, db: Session, factory: Factory) -> None:
    org = factory.org("enterprise", name="测试企业甲")
    result = run(
        "user", "create", "--role", "office", "--username", "off1", "--password", "pw-12345678"
    )
    assert result.exit_code == 0, result.output
    result = run(
        "user", "create", "--role", "enterprise", "--username", "ent1",
        "--password", "pw-12345678", "--org", "测试企业甲",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    users = {u.username: u for u in db.scalars(select(User))}
    assert users["off1"].organization_id is None
    assert users["ent1"].organization_id == org.id


def test_user_create_bad_input_is_a_chinese_message(run: Any) -> None:
    result = run(
        "user", "create", "--role", "office", "--username", "x\x00y", "--password", "short"
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "错误" in result.output


def test_serve_with_workers_publishes_the_index_then_forks_workers_from_a_loaded_parent(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    import silian.cli as cli
    from silian.core import db
    from silian.web import prefork

    calls: dict[str, Any] = {}
    done: list[str] = []
    monkeypatch.setattr(db, "forget_inherited_connections", lambda: done.append("pools"))
    monkeypatch.setattr(cli, "_ensure_index", lambda: calls.setdefault("ensured", True))
    monkeypatch.setattr(cli, "_preload_matching", lambda settings: "gen-1")
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.setdefault("uvicorn", (a, kw)))
    monkeypatch.setattr(
        prefork, "serve", lambda app, **kw: 0 if calls.setdefault("fork", (app, kw)) else 1
    )
    monkeypatch.setenv("SILIAN_WARM_MATCHING", "0")  # restored after the test
    monkeypatch.setenv("SILIAN_TRUSTED_PROXIES", "10.0.0.1")
    result = run("serve", "--workers", "2", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert calls["ensured"] and "uvicorn" not in calls
    application, options = calls["fork"]
    assert application.state.settings.database_url == get_settings().database_url
    assert options["workers"] == 2 and options["port"] == 8123
    assert options["options"] == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.1/32"}
    assert "工作进程：2 个" in result.output and "gen-1" in result.output
    # The parent starts no warm-up thread of its own (the workers do, after the fork).
    assert os.environ["SILIAN_WARM_MATCHING"] == "0"

    # In each worker: its own connections, its warm-up, and the scheduler in worker 0 only.
    monkeypatch.setattr(cli, "_warm_matching", lambda settings: done.append("warm"))
    monkeypatch.setattr(cli, "start_scheduler", lambda settings: done.append("scheduler"))
    options["after_fork"](0)
    options["after_fork"](1)
    assert done == ["pools", "warm", "scheduler", "pools", "warm"]

    refused = run("serve", "--workers", "2", "--reload")
    assert refused.exit_code != 0 and "--reload" in refused.output


def test_serve_with_workers_falls_back_to_uvicorn_workers_without_fork(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    import silian.cli as cli

    calls: dict[str, Any] = {}
    monkeypatch.setattr(cli, "_ensure_index", lambda: calls.setdefault("ensured", True))
    monkeypatch.setattr(cli, "_can_fork", lambda: False)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.setdefault("uvicorn", (a, kw)))
    monkeypatch.setenv("SILIAN_WARM_MATCHING", "0")  # restored after the test
    monkeypatch.setenv("SILIAN_SCHEDULER", "0")
    result = run("serve", "--workers", "2", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert calls["ensured"]
    args, options = calls["uvicorn"]
    assert args == ("silian.web.main:app",) and options["workers"] == 2
    assert "不支持 fork" in result.output and "工作进程：2 个" in result.output
    assert os.environ["SILIAN_WARM_MATCHING"] == "1"
