"""Housing, payers and the cost ledger.

Revision ID: c3b2d4e5f6a7
Revises: b2a1c3d4e5f6
Create Date: 2026-11-28
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "c3b2d4e5f6a7"
down_revision = "b2a1c3d4e5f6"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
