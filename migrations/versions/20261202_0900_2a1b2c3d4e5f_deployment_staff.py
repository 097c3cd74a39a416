"""Organisers are staff of the deployments they run (``deployment_staff``).

From this revision on an organiser sees and changes only the deployments they are staff of;
admins run every deployment and auditors read every one, without a membership.

Existing installs: so that nothing breaks on upgrade, this migration makes **every existing
organiser a member of every existing deployment** (what each of them could do before). An
admin then narrows that down (Admin → Deployment staff, or ``flask --app wsgi staff remove
SLUG EMAIL``). Downgrading drops the table and with it every membership.

Revision ID: 2a1b2c3d4e5f
Revises: 1a2b3c4d5e6f
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "2a1b2c3d4e5f"
down_revision = "1a2b3c4d5e6f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deployment_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"],
                                name=op.f("fk_deployment_staff_deployment_id_deployments")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_deployment_staff_user_id_users")),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"],
                                name=op.f("fk_deployment_staff_added_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment_staff")),
        sa.UniqueConstraint("deployment_id", "user_id",
                            name=op.f("uq_deployment_staff_deployment_id_user_id")),
    )
    with op.batch_alter_table("deployment_staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deployment_staff_deployment_id"), ["deployment_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_deployment_staff_user_id"), ["user_id"],
                              unique=False)
    # Every organiser keeps what they had: every deployment. The time is the upgrade's.
    op.execute(sa.text(
        "INSERT INTO deployment_staff (deployment_id, user_id, added_at, added_by_id) "
        "SELECT d.id, u.id, CURRENT_TIMESTAMP, NULL FROM deployments d CROSS JOIN users u "
        "WHERE u.role = 'organiser' ORDER BY d.id, u.id"))


def downgrade():
    with op.batch_alter_table("deployment_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_staff_user_id"))
        batch_op.drop_index(batch_op.f("ix_deployment_staff_deployment_id"))
    op.drop_table("deployment_staff")
