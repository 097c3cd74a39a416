"""A report names who prepared it.

The signed-in person who asked for it, or the name given to ``report disclosure
--prepared-by`` on the command line. Reports made before this revision have none (their PDFs
say "command line" or the requester's email, as they were issued); a stored report is served
again only to the same preparer, so these are made anew when next asked for.

Revision ID: d1e2f3a4b5c6
Revises: c9d0e1f2a3b4
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "d1e2f3a4b5c6"
down_revision = "c9d0e1f2a3b4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prepared_by", sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("prepared_by")
