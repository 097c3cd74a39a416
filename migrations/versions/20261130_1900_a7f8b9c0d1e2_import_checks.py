"""Staged imports keep what their check found, so a file is checked once.

An upload is checked when it arrives; its parsed rows (compressed) and the preview's summary are
kept beside the file, so the preview page reads them instead of checking the file again, and
confirming writes the parsed rows (checked once more against the database as it is then).
Rows staged before this revision have neither: they expire within a day (upload them again).

Revision ID: a7f8b9c0d1e2
Revises: f6e5a7b8c9d0
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "a7f8b9c0d1e2"
down_revision = "f6e5a7b8c9d0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parsed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("summary", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("import_uploads", schema=None) as batch_op:
        batch_op.drop_column("summary")
        batch_op.drop_column("parsed")
