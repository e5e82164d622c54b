"""dashboard: figure_dirty_days (days a committed change left to recompute), date indexes

Revision ID: 0012_dashboard
Revises: 0011_subsidies
Create Date: 2026-12-02 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_dashboard"
down_revision: str | None = "0011_subsidies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the figures and the dashboard select by (insights/models.py: FIGURE_INDEXES).
INDEXES = (
    ("ix_achievements_created_at", "achievements", ["created_at"]),
    ("ix_achievements_published_at", "achievements", ["published_at", "status"]),
    ("ix_achievements_status_chain_id", "achievements", ["status", "chain_id"]),
    ("ix_demands_published_at", "demands", ["published_at"]),
    ("ix_deals_created_at", "deals", ["created_at"]),
    ("ix_deals_demand_id", "deals", ["demand_id"]),
    ("ix_deals_achievement_id", "deals", ["achievement_id"]),
    ("ix_contracts_signed_on", "contracts", ["signed_on"]),
    ("ix_event_entries_achievement_id", "event_entries", ["achievement_id"]),
)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "figure_dirty_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figure_dirty_days")),
    )
    op.create_index("ix_figure_dirty_days_day", "figure_dirty_days", ["day"], unique=False)
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.create_index(
        "ix_figure_days_sums",
        "figure_days",
        ["breakdown", "figure", "day", "chain_id", "value"],
        unique=False,
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_figure_days_sums", table_name="figure_days")
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_index("ix_figure_dirty_days_day", table_name="figure_dirty_days")
    op.drop_table("figure_dirty_days")
