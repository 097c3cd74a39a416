"""Deployments can be archived: draft → open → closed → archived.

The status column grows from 6 to 8 characters and its CHECK constraint admits 'archived'.
No existing row changes: a deployment past its end date closes itself when next read.

Revision ID: a4b5c6d7e8f9
Revises: f3a4b5c6d7e8
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "a4b5c6d7e8f9"
down_revision = "f3a4b5c6d7e8"
branch_labels = None
depends_on = None

_OLD = ("draft", "open", "closed")
_NEW = _OLD + ("archived",)


def _check(values) -> str:
    return "status IN ({})".format(", ".join(f"'{v}'" for v in values))


def upgrade():
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_deployments_deployment_status"), type_="check")
        batch_op.alter_column("status", existing_type=sa.String(length=6),
                              type_=sa.String(length=8), existing_nullable=False)
        batch_op.create_check_constraint("deployment_status", _check(_NEW))


def downgrade():
    # 2024's schema knows no archive: an archived deployment goes back to closed.
    op.execute("UPDATE deployments SET status = 'closed' WHERE status = 'archived'")
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_deployments_deployment_status"), type_="check")
        batch_op.alter_column("status", existing_type=sa.String(length=8),
                              type_=sa.String(length=6), existing_nullable=False)
        batch_op.create_check_constraint("deployment_status", _check(_OLD))
