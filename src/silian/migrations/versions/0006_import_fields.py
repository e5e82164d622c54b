"""import fields: IP status and registration dates kept from office spreadsheets

Revision ID: 0006_import_fields
Revises: 0005_login_throttle
Create Date: 2026-12-02 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_import_fields"
down_revision: str | None = "0005_login_throttle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("achievements") as batch:
        batch.add_column(
            sa.Column("ip_status", sa.String(length=20), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("registered_on", sa.Date(), nullable=True))
    with op.batch_alter_table("demands") as batch:
        batch.add_column(sa.Column("registered_on", sa.Date(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("demands") as batch:
        batch.drop_column("registered_on")
    with op.batch_alter_table("achievements") as batch:
        batch.drop_column("registered_on")
        batch.drop_column("ip_status")
