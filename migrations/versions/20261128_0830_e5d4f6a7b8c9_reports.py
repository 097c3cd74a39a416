"""Disclosure reports: files, signatures, jobs.

Adds what a stored, possibly signed PDF and its background job need (scope label, stage,
page count, size, signer, renderer), lets the command line issue reports (no requesting user), and an
index for finding a finished report of the same data.

Revision ID: e5d4f6a7b8c9
Revises: d4c3e5f6a7b8
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "e5d4f6a7b8c9"
down_revision = "d4c3e5f6a7b8"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope_label", sa.String(length=300), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("stage", sa.String(length=200), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("page_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("byte_size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("signer", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("renderer", sa.String(length=60), nullable=True))
        batch_op.alter_column("requested_by_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index("ix_reports_lookup",
                              ["deployment_id", "scope", "scope_value", "fingerprint"],
                              unique=False)
    # The defaults only filled existing rows; the application always sets both.
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.alter_column("scope_label", existing_type=sa.String(length=300),
                              server_default=None)
        batch_op.alter_column("stage", existing_type=sa.String(length=200),
                              server_default=None)


def downgrade():
    # Reports made from the command line have no requesting user; they cannot survive a
    # column that requires one.
    op.execute("DELETE FROM reports WHERE requested_by_id IS NULL")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_lookup")
        batch_op.alter_column("requested_by_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("renderer")
        batch_op.drop_column("signer")
        batch_op.drop_column("byte_size")
        batch_op.drop_column("page_count")
        batch_op.drop_column("stage")
        batch_op.drop_column("scope_label")
