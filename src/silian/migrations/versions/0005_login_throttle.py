"""login attempts indexed by address, for the per-address throttle

Revision ID: 0005_login_throttle
Revises: 0004_insights_figures
Create Date: 2026-12-02 15:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_login_throttle"
down_revision: str | None = "0004_insights_figures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index(
        "ix_login_attempts_address", "login_attempts", ["ip", "created_at"], unique=False
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_login_attempts_address", table_name="login_attempts")
