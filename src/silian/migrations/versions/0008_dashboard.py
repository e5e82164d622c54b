"""dashboard: figure_dirty_days, the days a committed change left to recompute

Revision ID: 0008_dashboard
Revises: 0007_deals
Create Date: 2026-12-02 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_dashboard"
down_revision: str | None = "0007_deals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "figure_dirty_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figure_dirty_days")),
    )
    op.create_index("ix_figure_dirty_days_day", "figure_dirty_days", ["day"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_figure_dirty_days_day", table_name="figure_dirty_days")
    op.drop_table("figure_dirty_days")
