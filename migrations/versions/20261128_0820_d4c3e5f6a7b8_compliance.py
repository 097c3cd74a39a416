"""The compliance engine: rule sets, findings, reviews.

- ``rule_set_activations``: which rule set is in force (the latest row), with its document.
- ``findings`` gains the review queue's columns (priority, state, payer kind, the facts seen),
  a digest of each row (so recomputing rewrites only what changed) and an index for the queue. Its links to a cost line or a sign-up become ON DELETE SET NULL:
  deleting a line keeps its findings, and their reviews, as history instead of refusing.
  SQLite cannot alter a foreign key, so the table is rebuilt (foreign keys off meanwhile, since
  finding_reviews points at it).

Revision ID: d4c3e5f6a7b8
Revises: c3b2d4e5f6a7
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "d4c3e5f6a7b8"
down_revision = "c3b2d4e5f6a7"
branch_labels = None
depends_on = None

_SUBJECTS = (("cost_id", "costs"), ("signup_id", "signups"))


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _relink(batch_op, ondelete) -> None:
    for column, table in _SUBJECTS:
        name = f"fk_findings_{column}_{table}"
        batch_op.drop_constraint(name, type_="foreignkey")
        batch_op.create_foreign_key(name, table, [column], ["id"], ondelete=ondelete)


def upgrade():
    op.create_table(
        "rule_set_activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("activated_by_id", sa.Integer(), nullable=True),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(sha256) = 64",
                           name=op.f("ck_rule_set_activations_sha256_length")),
        sa.ForeignKeyConstraint(["activated_by_id"], ["users.id"],
                                name=op.f("fk_rule_set_activations_activated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_set_activations")),
    )
    if _sqlite():
        op.execute("PRAGMA foreign_keys = OFF")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Enum(
            "high", "normal", "low", name="finding_priority", native_enum=False,
            create_constraint=True), nullable=False, server_default="normal"))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("state_code", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("payer_kind", sa.String(length=20), nullable=True))
        _relink(batch_op, "SET NULL")
        batch_op.create_index("ix_findings_queue", ["deployment_id", "is_current", "severity"],
                              unique=False)
    with op.batch_alter_table("findings", schema=None) as batch_op:
        # The defaults only filled rows that existed before; new rows always say.
        batch_op.alter_column("priority", server_default=None)
        batch_op.alter_column("row_hash", server_default=None)
    if _sqlite():
        op.execute("PRAGMA foreign_keys = ON")


def downgrade():
    if _sqlite():
        op.execute("PRAGMA foreign_keys = OFF")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_queue")
        _relink(batch_op, None)
        batch_op.drop_column("payer_kind")
        batch_op.drop_column("state_code")
        batch_op.drop_column("facts")
        batch_op.drop_column("row_hash")
        if _sqlite():  # a rebuilt SQLite table would keep the CHECK on the dropped column
            batch_op.drop_constraint(op.f("ck_findings_finding_priority"), type_="check")
        batch_op.drop_column("priority")
    if _sqlite():
        op.execute("PRAGMA foreign_keys = ON")
    op.drop_table("rule_set_activations")
