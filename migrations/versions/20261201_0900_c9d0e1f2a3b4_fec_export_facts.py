"""The facts an FEC export needs: postal addresses and FEC committee ids.

- payers: ``street_1``, ``street_2``, ``city``, ``state``, ``zip`` (a contributor is itemised
  with its address) and ``fec_committee_id`` (a paying PAC or party committee's FEC id).
- deployments: ``committee_fec_id``, the receiving committee that files.

All nullable, no data changes: rows without them are listed as incomplete by the export.
Lengths are the FEC's field lengths (street 34, city 30, state 2, ZIP 9, committee id 9).

Revision ID: c9d0e1f2a3b4
Revises: b8c9d0e1f2a3
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "c9d0e1f2a3b4"
down_revision = "b8c9d0e1f2a3"
branch_labels = None
depends_on = None

_ADDRESS = (("street_1", 34), ("street_2", 34), ("city", 30), ("state", 2), ("zip", 9))


def upgrade():
    with op.batch_alter_table("payers", schema=None) as batch_op:
        for name, length in _ADDRESS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
        batch_op.add_column(sa.Column("fec_committee_id", sa.String(length=9), nullable=True))
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("committee_fec_id", sa.String(length=9), nullable=True))


def downgrade():
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_column("committee_fec_id")
    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.drop_column("fec_committee_id")
        for name, _ in reversed(_ADDRESS):
            batch_op.drop_column(name)
