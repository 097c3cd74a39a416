"""Disclosure reports: files, signatures, jobs.

Revision ID: e5d4f6a7b8c9
Revises: d4c3e5f6a7b8
Create Date: 2026-11-28
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "e5d4f6a7b8c9"
down_revision = "d4c3e5f6a7b8"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
