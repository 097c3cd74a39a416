"""The compliance engine: rule sets, findings, reviews.

Revision ID: d4c3e5f6a7b8
Revises: c3b2d4e5f6a7
Create Date: 2026-11-28
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "d4c3e5f6a7b8"
down_revision = "c3b2d4e5f6a7"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
