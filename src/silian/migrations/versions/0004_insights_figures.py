"""insights figures: the figure_days summary table

Revision ID: 0004_insights_figures
Revises: 0003_versions
Create Date: 2026-12-02 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_insights_figures"
down_revision: str | None = "0003_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "figure_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("figure", sa.String(length=40), nullable=False),
        sa.Column("breakdown", sa.String(length=30), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figure_days")),
        sa.UniqueConstraint(
            "day",
            "chain_id",
            "figure",
            "breakdown",
            name=op.f("uq_figure_days_day_chain_id_figure_breakdown"),
        ),
    )
    op.create_index("ix_figure_days_day", "figure_days", ["day"], unique=False)
    op.create_index(
        "ix_figure_days_figure", "figure_days", ["figure", "chain_id", "day"], unique=False
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_figure_days_figure", table_name="figure_days")
    op.drop_index("ix_figure_days_day", table_name="figure_days")
    op.drop_table("figure_days")
