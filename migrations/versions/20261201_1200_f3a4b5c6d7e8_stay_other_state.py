"""A bed in another state than the volunteer's sign-up says why.

Such a stay needs an organiser's reason (shown to auditors). Existing stays have none: they
were made before the rule; nothing is changed in them.

Revision ID: f3a4b5c6d7e8
Revises: e2f3a4b5c6d7
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "f3a4b5c6d7e8"
down_revision = "e2f3a4b5c6d7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.add_column(sa.Column("other_state_reason", sa.String(length=500),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.drop_column("other_state_reason")
