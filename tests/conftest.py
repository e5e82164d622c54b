"""Shared fixtures: a migrated database per test on SQLite and PostgreSQL, app, users."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from silian.config import Settings
from silian.core import clock
from silian.core.db import Base, get_engine, session_factory
from silian.core.migrate import upgrade
from tests.support import Factory

# One city date for the whole run, set before test modules compute theirs at import: a run that
# crosses midnight would otherwise compare a module's "today" with the service's "tomorrow".
os.environ.setdefault(clock.PIN_VARIABLE, clock.today().isoformat())

PG_ADMIN_URL = os.environ.get(
    "SILIAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _backends() -> list[str]:
    wanted = os.environ.get("SILIAN_TEST_DATABASES", "sqlite,postgresql")
    return [b.strip() for b in wanted.split(",") if b.strip()]


@pytest.fixture(scope="session", autouse=True)
def matching_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One matching resource cache (word vectors, classifier) per test worker, built once."""
    from silian.matching import lexicon

    path = tmp_path_factory.mktemp("matching-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("SILIAN_MATCHING_CACHE", str(path))
    lexicon.load_lexicon.cache_clear()
    yield path
    lexicon.load_lexicon.cache_clear()
    mp.undo()


@pytest.fixture(autouse=True)
def _fresh_matching_services() -> Iterator[None]:
    """Each test gets its own matching service (and engine) for its own database."""
    yield
    from silian.matching.service import forget_services

    forget_services()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated empty SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url(worker_id: str) -> Iterator[str]:
    """A migrated PostgreSQL database of this test worker's own."""
    if not _pg_available():
        if os.environ.get("SILIAN_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL is required but not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL not reachable")
    # The pid keeps concurrent runs (several checkouts, CI beside a session) apart.
    name = f"silian_test_{os.getpid()}_{worker_id}".replace("-", "_")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    get_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """xdist worker name, or 'main' without xdist."""
    return str(getattr(request.config, "workerinput", {}).get("workerid", "main"))


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """URL of an empty, migrated database for one test, on each configured backend."""
    if request.param == "sqlite":
        path = tmp_path / "silian.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
        yield url
        get_engine(url).dispose()
        return
    url = request.getfixturevalue("pg_url")
    engine = get_engine(url)
    with engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at this test's database and a temporary home."""
    return Settings(home=tmp_path / "home", database_url=db_url, secret_key="test-secret")


@pytest.fixture
def db(db_url: str) -> Iterator[Session]:
    """A session on this test's database."""
    session = session_factory(db_url)()
    yield session
    session.close()


@pytest.fixture
def app(settings: Settings) -> Any:
    """The web application on this test's database."""
    from silian.web.app import create_app

    return create_app(settings)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    """A browser-like client (keeps cookies)."""
    with TestClient(app) as c:
        yield c


@pytest.fixture
def factory(db: Session) -> Factory:
    """Test data builder."""
    return Factory(db)
