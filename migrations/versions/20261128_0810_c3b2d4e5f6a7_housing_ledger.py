"""Housing, payers and the cost ledger.

Adds the staging table for spreadsheet uploads awaiting confirmation, and an index for
listing a deployment's cost lines by date.

Revision ID: c3b2d4e5f6a7
Revises: b2a1c3d4e5f6
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "c3b2d4e5f6a7"
down_revision = "b2a1c3d4e5f6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"],
                                name="fk_import_uploads_deployment_id_deployments"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_import_uploads_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_import_uploads"),
        sa.UniqueConstraint("token", name="uq_import_uploads_token"),
    )
    with op.batch_alter_table("import_uploads", schema=None) as batch_op:
        batch_op.create_index("ix_import_uploads_deployment_id", ["deployment_id"], unique=False)
    with op.batch_alter_table("costs", schema=None) as batch_op:
        batch_op.create_index("ix_costs_deployment_incurred", ["deployment_id", "incurred_on", "id"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("costs", schema=None) as batch_op:
        batch_op.drop_index("ix_costs_deployment_incurred")
    with op.batch_alter_table("import_uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_import_uploads_deployment_id")
    op.drop_table("import_uploads")
