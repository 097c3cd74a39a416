"""Sign-ups: offers, approvals and the notification outbox.

Revision ID: b2a1c3d4e5f6
Revises: c6a1bd09038a
Create Date: 2026-11-28
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "b2a1c3d4e5f6"
down_revision = "c6a1bd09038a"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
