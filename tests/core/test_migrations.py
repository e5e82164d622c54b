"""Migrations run empty → head → base → head and match the models on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from silian.core.db import Base, get_engine
from silian.core.migrate import downgrade, upgrade


def test_head_matches_models(db_url: str) -> None:
    engine = get_engine(db_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []


def test_downgrade_to_empty_and_back(db_url: str) -> None:
    engine = get_engine(db_url)
    downgrade(db_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(db_url)
    assert set(Base.metadata.tables) <= set(inspect(get_engine(db_url)).get_table_names())
