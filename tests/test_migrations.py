"""`flask --app wsgi db upgrade` builds an empty database, and the models match the migrations."""
from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db

from .conftest import ON_POSTGRES, PG_URL, _config


@pytest.fixture
def empty_database_url(tmp_path):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path}/empty.sqlite3"
        return
    name = f"tl_migrate_{uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_db_upgrade_builds_an_empty_database_and_downgrade_removes_it(empty_database_url, tmp_path):
    app = create_app(_config(empty_database_url), instance_path=str(tmp_path))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "deployments", "placements", "signups", "volunteers", "accommodations",
                "stays", "payers", "costs", "exchange_rates", "findings", "finding_reviews",
                "audit_events", "audit_head", "reports", "api_tokens"} <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        assert db.session.execute(text("SELECT seq FROM audit_head")).scalar() == 0
        db.session.remove()
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
