"""Sign-ups: offers, approvals and the notification outbox.

- Two more sign-up statuses: ``rejected`` (an organiser turned a pending claim down) and
  ``expired`` (a waitlist offer ran out). SQLite cannot alter a CHECK constraint, so the
  table is rebuilt from an explicit definition (foreign keys off while it is swapped).
- ``notifications``: the outbox of every message, sent or not.

Revision ID: b2a1c3d4e5f6
Revises: c6a1bd09038a
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "b2a1c3d4e5f6"
down_revision = "c6a1bd09038a"
branch_labels = None
depends_on = None

OLD_STATUSES = ("confirmed", "pending_approval", "waitlisted", "offered", "withdrawn",
                "cancelled")
NEW_STATUSES = OLD_STATUSES + ("rejected", "expired")
ACTIVE = "status IN ('confirmed', 'pending_approval', 'waitlisted', 'offered')"
ROLES = ("canvasser", "phone_banker", "driver", "data_entry", "event_support", "trainer",
         "team_lead", "strategy_adviser", "manager")


def _signups(statuses) -> sa.Table:
    """The signups table as the models define it, with ``statuses`` allowed."""
    meta = sa.MetaData()
    return sa.Table(
        "signups", meta,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("arrive_on", sa.Date(), nullable=False),
        sa.Column("depart_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("role_override_reason", sa.Text(), nullable=True),
        sa.Column("role_override_by_id", sa.Integer(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ({})".format(", ".join(f"'{r}'" for r in ROLES)),
                           name="ck_signups_signup_role"),
        sa.CheckConstraint("status IN ({})".format(", ".join(f"'{s}'" for s in statuses)),
                           name="ck_signups_signup_status"),
        sa.CheckConstraint("status != 'offered' OR offer_expires_at IS NOT NULL",
                           name="ck_signups_offer_has_expiry"),
        sa.CheckConstraint("depart_on >= arrive_on", name="ck_signups_dates_ordered"),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"],
                                name="fk_signups_deployment_id_deployments"),
        sa.ForeignKeyConstraint(["placement_id", "deployment_id"],
                                ["placements.id", "placements.deployment_id"],
                                name="fk_signups_placement_in_deployment"),
        sa.ForeignKeyConstraint(["role_override_by_id"], ["users.id"],
                                name="fk_signups_role_override_by_id_users"),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteers.id"],
                                name="fk_signups_volunteer_id_volunteers"),
        sa.PrimaryKeyConstraint("id", name="pk_signups"),
        sa.Index("ix_signups_placement_status", "placement_id", "status"),
        sa.Index("ix_signups_volunteer_id", "volunteer_id"),
    )


def _allow_statuses(statuses) -> None:
    check = "status IN ({})".format(", ".join(f"'{s}'" for s in statuses))
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_signups_signup_status"), "signups", type_="check")
        op.create_check_constraint(op.f("ck_signups_signup_status"), "signups", check)
        return
    # SQLite: rebuild the table. The partial unique index is dropped first and made again after,
    # since the rebuild would not carry its WHERE clause.
    op.execute("PRAGMA foreign_keys = OFF")
    op.drop_index("uq_signups_one_active", table_name="signups")
    with op.batch_alter_table("signups", copy_from=_signups(statuses), recreate="always"):
        pass
    op.create_index("uq_signups_one_active", "signups", ["deployment_id", "volunteer_id"],
                    unique=True, sqlite_where=sa.text(ACTIVE))
    op.execute("PRAGMA foreign_keys = ON")


def upgrade():
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("to_email", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("signup_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["signup_id"], ["signups.id"],
                                name=op.f("fk_notifications_signup_id_signups")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_notifications_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_unsent", "notifications", ["sent_at", "id"])
    op.create_index(op.f("ix_notifications_user_id"), "notifications", ["user_id"])
    _allow_statuses(NEW_STATUSES)


def downgrade():
    op.execute("UPDATE signups SET status = 'cancelled' WHERE status IN ('rejected', 'expired')")
    _allow_statuses(OLD_STATUSES)
    op.drop_table("notifications")
