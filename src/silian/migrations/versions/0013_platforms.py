"""platform services' capacity and dates, booking decisions and completion, broker trainees

Revision ID: 0013_platforms
Revises: 0012_dashboard
Create Date: 2026-12-02 18:47:33.401429
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import silian.core.db

revision: str = "0013_platforms"
down_revision: str | None = "0012_dashboard"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "training_enrollments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("exam_score", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("exam_on", sa.Date(), nullable=True),
        sa.Column("certificate_no", sa.String(length=40), nullable=True),
        sa.Column("certified_on", sa.Date(), nullable=True),
        sa.Column("broker_id", sa.Integer(), nullable=True),
        sa.Column("created_at", silian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", silian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "certificate_no IS NULL OR passed",
            name=op.f("ck_training_enrollments_certificate_needs_pass"),
        ),
        sa.CheckConstraint(
            "exam_score IS NULL OR (exam_score >= 0 AND exam_score <= 100)",
            name=op.f("ck_training_enrollments_score_range"),
        ),
        sa.ForeignKeyConstraint(
            ["broker_id"],
            ["brokers.id"],
            name=op.f("fk_training_enrollments_broker_id_brokers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["training_id"],
            ["broker_trainings.id"],
            name=op.f("fk_training_enrollments_training_id_broker_trainings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_enrollments_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_enrollments")),
        sa.UniqueConstraint("certificate_no", name=op.f("uq_training_enrollments_certificate_no")),
        sa.UniqueConstraint(
            "training_id", "user_id", name=op.f("uq_training_enrollments_training_id_user_id")
        ),
    )
    with op.batch_alter_table("training_enrollments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_enrollments_training_id"), ["training_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_enrollments_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("broker_trainings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("starts_on", sa.Date(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_broker_trainings_chain_id_industry_chains"),
            "industry_chains",
            ["chain_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("platform_services", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), server_default="equipment", nullable=False)
        )
        batch_op.add_column(
            sa.Column("capacity_per_day", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("available_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("available_to", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("is_active", sa.Boolean(), server_default="1", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_platform_services_capacity_positive"), "capacity_per_day > 0"
        )
        batch_op.create_check_constraint(
            op.f("ck_platform_services_available_order"),
            "available_from IS NULL OR available_to IS NULL OR available_to >= available_from",
        )
        batch_op.create_check_constraint(
            op.f("ck_platform_services_kind_choice"),
            "kind IN ('equipment', 'testing', 'small_batch', 'poc_funding')",
        )
    # Existing services get a capacity no existing confirmed booking can exceed on any day.
    op.execute(
        "UPDATE platform_services SET capacity_per_day = COALESCE((SELECT SUM(b.quantity) "
        "FROM service_bookings b WHERE b.service_id = platform_services.id "
        "AND b.status IN ('approved', 'completed')), 1) "
        "WHERE EXISTS (SELECT 1 FROM service_bookings b WHERE b.service_id = platform_services.id "
        "AND b.status IN ('approved', 'completed'))"
    )

    with op.batch_alter_table("service_bookings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("team_name", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("demand_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("decision_reason", sa.Text(), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("decided_at", silian.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("actual_quantity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("fee", sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column("completed_on", sa.Date(), nullable=True))
        batch_op.create_index(
            "ix_service_bookings_service_status", ["service_id", "status"], unique=False
        )
        batch_op.create_check_constraint(
            op.f("ck_service_bookings_actual_nonnegative"),
            "actual_quantity IS NULL OR actual_quantity >= 0",
        )
        batch_op.create_check_constraint(
            op.f("ck_service_bookings_fee_nonnegative"), "fee IS NULL OR fee >= 0"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_service_bookings_decided_by_id_users"),
            "users",
            ["decided_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_service_bookings_demand_id_demands"),
            "demands",
            ["demand_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("service_bookings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_service_bookings_fee_nonnegative"), type_="check")
        batch_op.drop_constraint(op.f("ck_service_bookings_actual_nonnegative"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_service_bookings_demand_id_demands"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_service_bookings_decided_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_index("ix_service_bookings_service_status")
        batch_op.drop_column("completed_on")
        batch_op.drop_column("fee")
        batch_op.drop_column("actual_quantity")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by_id")
        batch_op.drop_column("decision_reason")
        batch_op.drop_column("demand_id")
        batch_op.drop_column("team_name")

    with op.batch_alter_table("platform_services", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_platform_services_kind_choice"), type_="check")
        batch_op.drop_constraint(op.f("ck_platform_services_available_order"), type_="check")
        batch_op.drop_constraint(op.f("ck_platform_services_capacity_positive"), type_="check")
        batch_op.drop_column("is_active")
        batch_op.drop_column("available_to")
        batch_op.drop_column("available_from")
        batch_op.drop_column("capacity_per_day")
        batch_op.drop_column("kind")

    with op.batch_alter_table("broker_trainings", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_broker_trainings_chain_id_industry_chains"), type_="foreignkey"
        )
        batch_op.drop_column("starts_on")
        batch_op.drop_column("chain_id")

    with op.batch_alter_table("training_enrollments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_enrollments_user_id"))
        batch_op.drop_index(batch_op.f("ix_training_enrollments_training_id"))

    op.drop_table("training_enrollments")
