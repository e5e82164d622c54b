"""policies with formulas and validity, subsidy applications with computation and review trail,
training programmes and enrolments

Revision ID: 0011_subsidies
Revises: 0010_events
Create Date: 2026-12-02 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_subsidies"
down_revision: str | None = "0010_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "'pilot_platform', 'salary_subsidy', 'headhunting', 'achievement_transfer', 'other'"
NEW_KINDS = (
    "'pilot_platform', 'salary_subsidy', 'headhunting', 'training', 'achievement_transfer', 'other'"
)
OLD_STATUS = "'draft', 'submitted', 'approved', 'rejected', 'paid'"
NEW_STATUS = "'draft', 'submitted', 'returned', 'approved', 'rejected', 'paid'"


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("policies") as batch:
        batch.add_column(
            sa.Column("eligible_kinds", sa.JSON(), nullable=False, server_default="[]")
        )
        batch.add_column(
            sa.Column("formula", sa.String(length=20), nullable=False, server_default="fixed")
        )
        batch.add_column(
            sa.Column("fact_label", sa.String(length=50), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("rate", sa.Numeric(precision=7, scale=4), nullable=True))
        batch.add_column(
            sa.Column("fixed_amount", sa.Numeric(precision=14, scale=2), nullable=True)
        )
        batch.add_column(
            sa.Column("per_application_max", sa.Numeric(precision=14, scale=2), nullable=True)
        )
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.drop_constraint(op.f("ck_policies_kind_choice"), type_="check")
        batch.create_check_constraint("kind_choice", f"kind IN ({NEW_KINDS})")
        batch.create_check_constraint(
            "formula_choice", "formula IN ('percentage', 'per_person', 'fixed')"
        )
        batch.create_check_constraint("rate_range", "rate IS NULL OR (rate > 0 AND rate <= 100)")
        batch.create_check_constraint("fixed_positive", "fixed_amount IS NULL OR fixed_amount > 0")
        batch.create_check_constraint(
            "max_positive", "per_application_max IS NULL OR per_application_max > 0"
        )
    # A policy recorded before formulas existed keeps its cap as a fixed amount per application,
    # so its applications can still be computed.
    op.execute(
        "UPDATE policies SET fixed_amount = cap_per_org_year "
        "WHERE fixed_amount IS NULL AND cap_per_org_year > 0"
    )
    op.execute(
        "UPDATE policies SET formula = 'percentage', rate = 100, fact_label = '申请金额' "
        "WHERE fixed_amount IS NULL"
    )
    with op.batch_alter_table("subsidy_applications") as batch:
        batch.add_column(sa.Column("fact_amount", sa.Numeric(precision=14, scale=2), nullable=True))
        batch.add_column(sa.Column("persons", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("computation", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("paid_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("is_sample", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.create_foreign_key(
            op.f("fk_subsidy_applications_created_by_id_users"),
            "users",
            ["created_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.drop_constraint(op.f("ck_subsidy_applications_status_choice"), type_="check")
        batch.create_check_constraint("status_choice", f"status IN ({NEW_STATUS})")
        batch.create_check_constraint("fact_nonneg", "fact_amount IS NULL OR fact_amount >= 0")
        batch.create_check_constraint("persons_positive", "persons IS NULL OR persons > 0")
        batch.create_index(
            "ix_subsidy_applications_cap", ["policy_id", "organization_id", "year"], unique=False
        )
    # Applications recorded before computations: their amount was entered by hand.
    op.execute(
        "UPDATE subsidy_applications SET fact_amount = amount, computation = '申请金额（迁移前录入）' "
        "WHERE computation = ''"
    )
    op.create_table(
        "training_programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("is_sample", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'closed', 'cancelled')",
            name=op.f("ck_training_programmes_status_choice"),
        ),
        sa.CheckConstraint("seats > 0", name=op.f("ck_training_programmes_seats_positive")),
        sa.CheckConstraint("hours > 0", name=op.f("ck_training_programmes_hours_positive")),
        sa.CheckConstraint(
            "taken >= 0 AND taken <= seats", name=op.f("ck_training_programmes_taken_within_seats")
        ),
        sa.CheckConstraint(
            "ends_on >= starts_on", name=op.f("ck_training_programmes_dates_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["base_id"],
            ["training_bases.id"],
            name=op.f("fk_training_programmes_base_id_training_bases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_training_programmes_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["industry_chains.id"],
            name=op.f("fk_training_programmes_chain_id_industry_chains"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_training_programmes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_programmes")),
        sa.UniqueConstraint("base_id", "name", name=op.f("uq_training_programmes_base_id_name")),
    )
    op.create_index(
        op.f("ix_training_programmes_base_id"), "training_programmes", ["base_id"], unique=False
    )
    op.create_table(
        "training_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("certificate_no", sa.String(length=60), nullable=True),
        sa.Column("is_sample", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('enrolled', 'completed', 'withdrawn')",
            name=op.f("ck_training_enrolments_status_choice"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["training_programmes.id"],
            name=op.f("fk_training_enrolments_programme_id_training_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_enrolments_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_enrolments")),
        sa.UniqueConstraint(
            "programme_id", "user_id", name=op.f("uq_training_enrolments_programme_id_user_id")
        ),
        sa.UniqueConstraint("certificate_no", name=op.f("uq_training_enrolments_certificate_no")),
    )
    op.create_index(
        op.f("ix_training_enrolments_programme_id"),
        "training_enrolments",
        ["programme_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_training_enrolments_user_id"), "training_enrolments", ["user_id"], unique=False
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_training_enrolments_user_id"), table_name="training_enrolments")
    op.drop_index(op.f("ix_training_enrolments_programme_id"), table_name="training_enrolments")
    op.drop_table("training_enrolments")
    op.drop_index(op.f("ix_training_programmes_base_id"), table_name="training_programmes")
    op.drop_table("training_programmes")
    op.execute("UPDATE subsidy_applications SET status = 'submitted' WHERE status = 'returned'")
    with op.batch_alter_table("subsidy_applications") as batch:
        batch.drop_index("ix_subsidy_applications_cap")
        batch.drop_constraint(op.f("ck_subsidy_applications_persons_positive"), type_="check")
        batch.drop_constraint(op.f("ck_subsidy_applications_fact_nonneg"), type_="check")
        batch.drop_constraint(op.f("ck_subsidy_applications_status_choice"), type_="check")
        batch.create_check_constraint("status_choice", f"status IN ({OLD_STATUS})")
        batch.drop_constraint(
            op.f("fk_subsidy_applications_created_by_id_users"), type_="foreignkey"
        )
        for column in (
            "version",
            "is_sample",
            "created_by_id",
            "paid_on",
            "decided_at",
            "submitted_at",
            "computation",
            "persons",
            "fact_amount",
        ):
            batch.drop_column(column)
    op.execute("UPDATE policies SET kind = 'other' WHERE kind = 'training'")
    with op.batch_alter_table("policies") as batch:
        for name in (
            "max_positive",
            "fixed_positive",
            "rate_range",
            "formula_choice",
            "kind_choice",
        ):
            batch.drop_constraint(op.f(f"ck_policies_{name}"), type_="check")
        batch.create_check_constraint("kind_choice", f"kind IN ({OLD_KINDS})")
        for column in (
            "version",
            "per_application_max",
            "fixed_amount",
            "rate",
            "fact_label",
            "formula",
            "eligible_kinds",
        ):
            batch.drop_column(column)
