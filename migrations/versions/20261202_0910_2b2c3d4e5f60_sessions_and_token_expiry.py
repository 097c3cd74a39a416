"""Server-side sessions; API tokens with a name, a scope, an expiry and a last-used time.

``user_sessions``: one row per browser session (the cookie carries a random id, the row its
SHA-256). Logging out, "sign out everywhere", a new password and a role change revoke rows,
so an old cookie stops working at once. Existing sessions (cookies without an id) end at
the upgrade: everyone logs in again once.

``api_tokens`` gains ``name``, ``scope``, ``expires_at`` and ``last_used_at``. Existing
tokens keep working: each gets the scope its account's role uses (``claims`` for volunteers,
``disclosure:read`` for the others), the name "made before token names" and an expiry 90
days after the upgrade (the default lifetime of a new token).

Revision ID: 2b2c3d4e5f60
Revises: 2a1b2c3d4e5f
Create Date: 2026-12-02
"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa

revision = "2b2c3d4e5f60"
down_revision = "2a1b2c3d4e5f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_user_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("scope", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True),
                                      nullable=True))
    expires = datetime.now(timezone.utc) + timedelta(days=90)
    op.execute(sa.text(
        "UPDATE api_tokens SET name = 'made before token names', "
        "scope = CASE WHEN (SELECT role FROM users WHERE users.id = api_tokens.user_id) "
        "= 'volunteer' THEN 'claims' ELSE 'disclosure:read' END, expires_at = :expires"
    ).bindparams(sa.bindparam("expires", expires, type_=sa.DateTime(timezone=True))))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("name", existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column("scope", existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True),
                              nullable=False)


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scope")
        batch_op.drop_column("name")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
