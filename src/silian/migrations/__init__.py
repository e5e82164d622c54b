"""Alembic migrations for the Silian schema."""
