"""Run Alembic migrations from code (used by the CLI, the demo and the tests)."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config

from silian.config import get_settings


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(files("silian") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url or get_settings().database_url)
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Migrate the database to revision (head by default)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Migrate the database down to revision (base by default)."""
    command.downgrade(alembic_config(url), revision)
