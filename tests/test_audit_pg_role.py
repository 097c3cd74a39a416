"""PostgreSQL: the app connects as a role that owns nothing and may only INSERT and SELECT
audit events; the migrations run as the owner (MIGRATION_DATABASE_URL). That role's UPDATE,
DELETE, TRUNCATE, ALTER TABLE … DISABLE TRIGGER and DROP TRIGGER on the audit tables fail,
while the app works; even the owner cannot TRUNCATE the audit table or move the head back.

The test makes its own database and role with the superuser test connection."""
from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from app import create_app
from app.extensions import db
from app.services import deployments

from .conftest import ON_POSTGRES, PG_URL, _config

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="roles, grants and triggers are PostgreSQL's: on SQLite the app is "
                            "the only user of its database file (set TEST_DATABASE_URL)")


@pytest.fixture(scope="module")
def restricted(tmp_path_factory):
    """A fresh database migrated by the owner (the superuser), an app role granted by
    ``audit grant-app-role``, and an app that connects as that role."""
    suffix = uuid4().hex[:8]
    name, role = f"tl_role_{suffix}", f"tl_app_{suffix}"
    # No pool: a connection kept open to the tests' database would stop it serving as a
    # template for other tests' copies.
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    owner_url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    app_url = make_url(owner_url).set(username=role).render_as_string(hide_password=False)
    app = create_app({**_config(app_url), "MIGRATION_DATABASE_URL": owner_url},
                     instance_path=str(tmp_path_factory.mktemp("instance-role")))
    runner = app.test_cli_runner()
    try:
        upgraded = runner.invoke(args=["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        granted = runner.invoke(args=["audit", "grant-app-role", role])
        assert granted.exit_code == 0, granted.output
        with app.app_context():  # the app, as its role, records a change: INSERT + head UPDATE
            deployments.create_deployment(db.session, slug="guarded", name="Guarded",
                                          actor=None, spots={"NC": 2})
            db.session.commit()
            db.session.remove()
        yield {"app": app, "role": role, "owner_url": owner_url, "app_url": app_url}
    finally:
        with app.app_context():
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def _run(url: str, statement: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def test_the_app_works_as_its_restricted_role_and_the_owner_owns_the_tables(restricted):
    app = restricted["app"]
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        who, owner = db.session.execute(text(
            "SELECT current_user, tableowner FROM pg_tables "
            "WHERE tablename = 'audit_events'")).one()
        events = db.session.scalar(text("SELECT count(*) FROM audit_events"))
        db.session.remove()
    assert who == restricted["role"] and owner != who and events > 0


@pytest.mark.parametrize(("statement", "refusal"), [
    ("UPDATE audit_events SET actor_label = 'someone else'", "permission denied"),
    ("DELETE FROM audit_events", "permission denied"),
    ("TRUNCATE audit_events", "permission denied"),
    ("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only", "must be owner"),
    ("ALTER TABLE audit_events DISABLE TRIGGER ALL", "must be owner"),
    ("DROP TRIGGER audit_events_append_only ON audit_events", "must be owner"),
    ("DROP TRIGGER audit_events_no_truncate ON audit_events", "must be owner"),
    ("DROP TABLE audit_events", "must be owner"),
    ("DELETE FROM audit_head", "permission denied"),
    ("TRUNCATE audit_head", "permission denied"),
    ("UPDATE audit_head SET seq = 0", "only moves forward"),
    ("SET session_replication_role = replica", "permission denied"),
])
def test_the_app_role_cannot_rewrite_or_unguard_the_audit_trail(restricted, statement, refusal):
    with pytest.raises(DBAPIError, match=refusal):
        _run(restricted["app_url"], statement)
    assert restricted["app"].test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


@pytest.mark.parametrize("statement", ["TRUNCATE audit_events", "TRUNCATE audit_head",
                                       "UPDATE audit_head SET seq = 0"])
def test_even_the_owner_is_refused_truncate_and_moving_the_head_back(restricted, statement):
    with pytest.raises(DBAPIError, match="append-only|only moves forward"):
        _run(restricted["owner_url"], statement)


@pytest.mark.parametrize(("role", "message"), [
    ("postgres", "is a superuser"),
    ("nobody_here", "There is no role nobody_here"),
    ("bad; DROP TABLE x", "is not a plain role name"),
])
def test_grant_app_role_refuses_a_role_that_could_undo_it(restricted, role, message):
    result = restricted["app"].test_cli_runner().invoke(args=["audit", "grant-app-role", role])
    assert result.exit_code == 1 and message in result.output


def test_grant_app_role_refuses_the_tables_owner(restricted):
    app = create_app({**_config(restricted["owner_url"]),
                      "MIGRATION_DATABASE_URL": restricted["owner_url"]},
                     instance_path=str(restricted["app"].instance_path) + "-owner")
    owner = make_url(restricted["owner_url"]).username
    engine = create_engine(restricted["owner_url"], poolclass=NullPool)
    with engine.begin() as conn:  # a non-superuser owner, to reach the owner check
        conn.execute(text(f'CREATE ROLE "{restricted["role"]}_owner"'))
        conn.execute(text(f'GRANT "{owner}" TO "{restricted["role"]}_owner"'))
    try:
        result = app.test_cli_runner().invoke(
            args=["audit", "grant-app-role", f"{restricted['role']}_owner"])
        assert result.exit_code == 1 and "owns the tables" in result.output
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP ROLE "{restricted["role"]}_owner"'))
        engine.dispose()
        with app.app_context():
            db.engine.dispose()


def test_grant_app_role_prints_its_sql_without_a_database(app, runner):
    result = runner.invoke(args=["audit", "grant-app-role", "tripledger_app", "--sql"])
    assert result.exit_code == 0
    assert 'GRANT SELECT, INSERT ON audit_events TO "tripledger_app";' in result.output
    assert 'REVOKE ALL ON audit_events, audit_head, alembic_version FROM "tripledger_app"' \
        in result.output
