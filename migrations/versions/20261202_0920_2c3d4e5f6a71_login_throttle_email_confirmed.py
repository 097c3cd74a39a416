"""Failed logins counted per account in the database; self-registered addresses confirmed.

``login_throttles``: one row per account key (SHA-256 of the email as typed) with the
attempts in the current window, so the per-account lock holds across every worker and
instance. New table, empty at the upgrade.

``users.email_confirmed_at``: registration no longer says whether an address has an account,
so a new account proves its address (the emailed link) before it can log in. Every existing
account is taken as confirmed at its creation time: nobody is locked out by the upgrade.

Revision ID: 2c3d4e5f6a71
Revises: 2b2c3d4e5f60
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "2c3d4e5f6a71"
down_revision = "2b2c3d4e5f60"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_throttles",
        sa.Column("account_key", sa.String(length=64), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.CheckConstraint("attempts >= 0",
                           name=op.f("ck_login_throttles_attempts_not_negative")),
        sa.PrimaryKeyConstraint("account_key", name=op.f("pk_login_throttles")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_confirmed_at", sa.DateTime(timezone=True),
                                      nullable=True))
    op.execute(sa.text("UPDATE users SET email_confirmed_at = created_at"))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")
    op.drop_table("login_throttles")
