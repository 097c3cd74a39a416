"""PostgreSQL: the restricted role the app connects as, so the app cannot rewrite its audit trail.

Migrations run as the owner of the tables (``MIGRATION_DATABASE_URL``, used by ``flask db
upgrade``); the app connects as another role (``DATABASE_URL``) that owns nothing. That role
may read and write the domain tables, but on ``audit_events`` only INSERT and SELECT, and on
``audit_head`` only SELECT and UPDATE (appending moves the head; a trigger lets it move forward
only). Not being the owner, it cannot ALTER the tables, nor disable or drop their triggers.
``grant_app_role`` gives a role exactly that; run it after ``db upgrade`` (``audit
grant-app-role ROLE``). Default privileges cover tables later migrations create, and running
it again is harmless.
"""
from __future__ import annotations

import os
import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .errors import DomainError

#: The audit tables and all the app's role may do on them.
AUDIT_TABLES = {"audit_events": "SELECT, INSERT", "audit_head": "SELECT, UPDATE"}
_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class RoleRefused(DomainError):
    code = "role_refused"


def grant_statements(role: str) -> list[str]:
    """The SQL that gives ``role`` the app's privileges and no more on the audit tables.

    :raises RoleRefused: not a plain role name
    """
    if not _ROLE_NAME.match(role):
        raise RoleRefused(f"{role!r} is not a plain role name (letters, digits, underscores).")
    who = f'"{role}"'
    audit = ", ".join(AUDIT_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA public TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}",
        # Tables the owner creates later (new migrations) are the app's to use too ...
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {who}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {who}",
        # ... but the audit trail and the schema version are not.
        f"REVOKE ALL ON {audit}, alembic_version FROM {who}",
        *(f"GRANT {rights} ON {table} TO {who}" for table, rights in AUDIT_TABLES.items()),
        f"GRANT SELECT ON alembic_version TO {who}",
    ]


def grant_app_role(connection: Connection, role: str) -> list[str]:
    """Give ``role`` the app's privileges, run as the tables' owner; returns the statements.

    :raises RoleRefused: not PostgreSQL; the role is missing, a superuser, or the tables'
        owner (or a member of it): it could then drop the triggers that guard the audit trail
    """
    if connection.dialect.name != "postgresql":
        raise RoleRefused("Roles and grants are PostgreSQL's: on SQLite the app is the only "
                          "user of the database file.")
    statements = grant_statements(role)
    found = connection.execute(text(
        "SELECT rolsuper, pg_has_role(:role, tableowner, 'MEMBER') AS owns, tableowner "
        "FROM pg_roles, pg_tables WHERE rolname = :role AND tablename = 'audit_events' "
        "AND schemaname = 'public'"), {"role": role}).first()
    if found is None:
        raise RoleRefused(f"There is no role {role} (or no audit_events table: run 'db "
                          f"upgrade' first). Create it: CREATE ROLE {role} LOGIN PASSWORD '…';")
    if found.rolsuper:
        raise RoleRefused(f"{role} is a superuser: it can do anything to the audit trail. "
                          "Use an ordinary role.")
    if found.owns:
        raise RoleRefused(f"{role} owns the tables (they belong to {found.tableowner}): an "
                          "owner can disable or drop the audit triggers. Run the migrations "
                          "as another role (MIGRATION_DATABASE_URL) and give this one only the "
                          "app's privileges.")
    for statement in statements:
        connection.execute(text(statement))
    return statements


def owner_url(config) -> str | None:
    """The database URL of the tables' owner, for migrations and grants (None: the app's own
    URL serves, as with a single role)."""
    return config.get("MIGRATION_DATABASE_URL") or os.environ.get("MIGRATION_DATABASE_URL") \
        or None
