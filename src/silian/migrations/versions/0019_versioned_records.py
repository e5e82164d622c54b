"""versions on the education, platform, consortium and institute records

Revision ID: 0019_versioned_records
Revises: 0018_majors
Create Date: 2026-12-03 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_versioned_records"
down_revision: str | None = "0018_majors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Records whose edit forms and PUTs now take the version they replace (silian.core.concurrency).
VERSIONED = (
    "majors",
    "major_offerings",
    "industry_colleges",
    "training_bases",
    "consortia",
    "platforms",
    "innovation_consortia",
    "common_tech_projects",
    "rd_institutes",
)


def upgrade() -> None:
    """Apply this revision."""
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    """Revert this revision."""
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
