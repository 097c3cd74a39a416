"""The audit chain is keyed, and PostgreSQL guards it against its own app role.

- ``audit_events.key_id``: which audit key made an event's HMAC. Events already in the chain
  were hashed with plain SHA-256 and keep their hashes: they get ``key_id = 'legacy'`` and
  verify as before (they are not re-hashed: that would rewrite history and the heads earlier
  reports cite). New events are HMAC-SHA256 under the instance's audit key; the keyring file,
  made on first use after this upgrade, records how many legacy events there were, so no later
  event can pass as one. The column has no default afterwards: the app always names its key.
- PostgreSQL: ``audit_events`` and ``audit_head`` refuse TRUNCATE (a statement-level trigger:
  TRUNCATE skips the row triggers), and the head may only move forward and never be deleted.
  With the app connecting as a role that owns nothing (``audit grant-app-role``), that role
  can neither rewrite events nor disable or drop these triggers.

Downgrade drops the column and the triggers; keyed events then no longer verify with the old
code (it knows no keys), and upgrading again would mark them legacy: take a backup first.

Revision ID: 1a2b3c4d5e6f
Revises: a4b5c6d7e8f9
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "1a2b3c4d5e6f"
down_revision = "a4b5c6d7e8f9"
branch_labels = None
depends_on = None

_NO_TRUNCATE_FUNCTION = """
CREATE FUNCTION audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: TRUNCATE is not allowed', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
_HEAD_FORWARD_FUNCTION = """
CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit_head is append-only: DELETE is not allowed'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.id <> OLD.id OR NEW.seq < OLD.seq THEN
        RAISE EXCEPTION 'audit_head only moves forward (from % to % refused)', OLD.seq, NEW.seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$
"""
_TRIGGERS = [
    ("audit_events_no_truncate", "audit_events",
     "BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate()"),
    ("audit_head_no_truncate", "audit_head",
     "BEFORE TRUNCATE ON audit_head FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate()"),
    ("audit_head_forward_only", "audit_head",
     "BEFORE UPDATE OR DELETE ON audit_head FOR EACH ROW "
     "EXECUTE FUNCTION audit_head_forward_only()"),
]


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=40), nullable=False,
                                      server_default="legacy"))
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("key_id", server_default=None)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(_NO_TRUNCATE_FUNCTION)
        op.execute(_HEAD_FORWARD_FUNCTION)
        for name, _table, body in _TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _body in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute("DROP FUNCTION audit_head_forward_only()")
        op.execute("DROP FUNCTION audit_refuse_truncate()")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("key_id")
