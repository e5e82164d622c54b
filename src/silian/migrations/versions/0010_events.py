"""events: the road planned → open_for_entries → scheduled → held → closed, entries under review
with running order, registrations with contact, judges with conflicts, weighted scores, leads

Revision ID: 0010_events
Revises: 0009_roadfinish
Create Date: 2026-12-02 18:54:46.908156
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import silian.core.db

revision: str = "0010_events"
down_revision: str | None = "0009_roadfinish"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_STATUSES = "'planned', 'open_for_entries', 'scheduled', 'held', 'closed'"
OLD_STATUSES = "'planned', 'open', 'held', 'cancelled'"
# Old statuses folded into the new road: an open event takes entries; a cancelled one is over.
STATUS_MAP = {"open": "open_for_entries", "cancelled": "closed"}


def _stamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, silian.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "event_judges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("talent_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _stamp("declared_at", nullable=True),
        sa.Column("conflict_entry_ids", sa.JSON(), nullable=False),
        sa.Column("conflict_note", sa.Text(), nullable=False),
        _stamp("created_at"),
        _stamp("updated_at"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_judges_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["talent_id"],
            ["talents.id"],
            name=op.f("fk_event_judges_talent_id_talents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_event_judges_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_judges")),
        sa.UniqueConstraint(
            "event_id", "talent_id", name=op.f("uq_event_judges_event_id_talent_id")
        ),
    )
    op.create_table(
        "event_leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("achievement_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("contact_name", sa.String(length=50), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _stamp("created_at"),
        _stamp("updated_at"),
        sa.CheckConstraint(
            "status IN ('open', 'converted')", name=op.f("ck_event_leads_status_choice")
        ),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_event_leads_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_event_leads_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_event_leads_deal_id_deals"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_leads_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_event_leads_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_leads")),
        sa.UniqueConstraint(
            "event_id",
            "achievement_id",
            "organization_id",
            name=op.f("uq_event_leads_event_id_achievement_id_organization_id"),
        ),
    )
    with op.batch_alter_table("event_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organization_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        # Entries made before review existed were the office's own programme: approved.
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="approved")
        )
        batch_op.add_column(sa.Column("running_order", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("final_score", sa.Double(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_event_entries_created_by_id_users"),
            "users",
            ["created_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_event_entries_organization_id_organizations"),
            "organizations",
            ["organization_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(
            "status_choice", "status IN ('pending', 'approved', 'rejected')"
        )
    op.execute(
        "UPDATE event_entries SET organization_id = (SELECT a.organization_id FROM achievements a"
        " WHERE a.id = event_entries.achievement_id)"
    )

    with op.batch_alter_table("event_registrations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_name", sa.String(length=50), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_event_registrations_created_by_id_users"),
            "users",
            ["created_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint("attendees_positive", "attendees > 0")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("online_url", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("criteria", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(_stamp("results_published_at", nullable=True))
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_events_created_by_id_users"),
            "users",
            ["created_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_constraint(op.f("ck_events_status_choice"), type_="check")
        batch_op.create_check_constraint("capacity_positive", "capacity IS NULL OR capacity > 0")
    for old, new in STATUS_MAP.items():
        op.execute(
            sa.text("UPDATE events SET status = :new WHERE status = :old").bindparams(
                old=old, new=new
            )
        )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_check_constraint("status_choice", f"status IN ({NEW_STATUSES})")

    with op.batch_alter_table("expert_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scores", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("expert_scores", schema=None) as batch_op:
        batch_op.drop_column("scores")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_events_status_choice"), type_="check")
        batch_op.drop_constraint(op.f("ck_events_capacity_positive"), type_="check")
    op.execute(
        "UPDATE events SET status = CASE status WHEN 'open_for_entries' THEN 'open'"
        " WHEN 'scheduled' THEN 'open' WHEN 'closed' THEN 'held' ELSE status END"
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_check_constraint("status_choice", f"status IN ({OLD_STATUSES})")
        batch_op.drop_constraint(batch_op.f("fk_events_created_by_id_users"), type_="foreignkey")
        batch_op.drop_column("version")
        batch_op.drop_column("created_by_id")
        batch_op.drop_column("results_published_at")
        batch_op.drop_column("criteria")
        batch_op.drop_column("capacity")
        batch_op.drop_column("online_url")

    with op.batch_alter_table("event_registrations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_event_registrations_attendees_positive"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_event_registrations_created_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("created_by_id")
        batch_op.drop_column("contact_name")

    with op.batch_alter_table("event_entries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_event_entries_status_choice"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_event_entries_organization_id_organizations"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_event_entries_created_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("final_score")
        batch_op.drop_column("running_order")
        batch_op.drop_column("status")
        batch_op.drop_column("created_by_id")
        batch_op.drop_column("organization_id")

    op.drop_table("event_leads")
    op.drop_table("event_judges")
