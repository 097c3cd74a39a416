"""`flask --app wsgi db upgrade` builds an empty database, and the models match the migrations."""
from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db

from .conftest import ON_POSTGRES, PG_BASE_URL, _config


@pytest.fixture
def empty_database_url(tmp_path):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path}/empty.sqlite3"
        return
    name = f"tl_migrate_{uuid4().hex[:8]}"
    # The base database always exists (a worker's own may not be made yet).
    admin = create_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_BASE_URL).set(database=name).render_as_string(hide_password=False)
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


def test_an_install_with_data_keeps_rule_set_2024_1_and_a_new_one_starts_on_2024_2(
        empty_database_url, tmp_path):
    from app.services import deployments
    from app.services.compliance import rules

    from .builders import make_cost, make_signup, make_volunteer
    from app.services.compliance.store import active_activation, active_rule_set

    app = create_app(_config(empty_database_url), instance_path=str(tmp_path))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        assert active_activation(db.session) is None  # new: the default, 2024.2
        assert active_rule_set(db.session).version == "2024.2"
        older = deployments.create_deployment(db.session, slug="older", name="Older",
                                              actor=None, spots={"NC": 2})
        person = make_volunteer()
        make_signup(older, person, "NC")
        make_cost(older, person, amount="250.00")  # findings and a stay refer to the costs table
        db.session.commit()
        findings = db.session.scalar(text("SELECT count(*) FROM findings WHERE cost_id IS NOT NULL"))
        db.session.remove()
    # The same database as it was before the migration, with data in it (on SQLite the
    # migration rebuilds tables others refer to) ...
    result = runner.invoke(args=["db", "downgrade", "a7f8b9c0d1e2"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()  # fresh connections, foreign keys on: as a new `db upgrade` sees it
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM costs")) == 1
        assert db.session.scalar(text(
            "SELECT count(*) FROM findings WHERE cost_id IS NOT NULL")) == findings > 0
        pinned = active_activation(db.session)
        assert pinned.version == "2024.1" and pinned.activated_by_id is None
        # ... stays on the rules its findings were made with: the app's own hash of 2024.1.
        assert pinned.sha256 == rules.compile_document(rules.bundled_document("2024.1")).sha256
        assert active_rule_set(db.session).version == "2024.1"
        db.session.remove()
    result = runner.invoke(args=["compliance", "activate", "2024.2", "--note", "adopt 2024.2"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert active_rule_set(db.session).version == "2024.2"
        db.session.remove()
    assert runner.invoke(args=["db", "downgrade", "base"]).exit_code == 0
    with app.app_context():
        db.engine.dispose()


def test_an_existing_chain_still_verifies_after_the_upgrade_and_new_events_are_keyed(
        empty_database_url, tmp_path):
    """Events the code before keys wrote (plain SHA-256) stay as they are, under key id
    "legacy"; the events after the upgrade are HMACs; a forger cannot pass them off as legacy."""
    from app.models import GENESIS_HASH, LEGACY_KEY_ID, AuditEvent
    from app.models.types import utcnow
    from app.services import audit, deployments

    from .audit_attacks import recompute_chain

    app = create_app({**_config(empty_database_url), "AUDIT_HMAC_KEY": None},
                     instance_path=str(tmp_path / "instance"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade", "a4b5c6d7e8f9"])
    assert result.exit_code == 0, result.output
    with app.app_context():  # three events, exactly as the chain was written before keys
        prev, rows = GENESIS_HASH, []
        for seq in (1, 2, 3):
            fields = {"seq": seq, "prev_hash": prev, "occurred_at": utcnow(), "actor_id": None,
                      "actor_label": "system", "action": "create", "entity_type": "deployments",
                      "entity_id": str(seq), "data": {"slug": f"old-{seq}"}}
            prev = audit.event_hash(**fields)
            rows.append({**fields, "hash": prev})
        with db.engine.begin() as conn:
            conn.execute(AuditEvent.__table__.insert(), rows)
            conn.execute(text("UPDATE audit_head SET seq = 3, hash = :h"), {"h": prev})
        db.engine.dispose()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output

    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "intact: 3 events" in verified.output
    assert "3 event(s) made before the chain was keyed" in verified.output
    with app.app_context():
        deployments.create_deployment(db.session, slug="after", name="After", actor=None,
                                      spots={"NC": 1})
        db.session.commit()
        key_ids = db.session.scalars(text("SELECT key_id FROM audit_events ORDER BY seq")).all()
        db.session.remove()
    assert key_ids[:3] == [LEGACY_KEY_ID] * 3 and LEGACY_KEY_ID not in key_ids[3:]
    again = runner.invoke(args=["audit", "verify"])
    assert again.exit_code == 0, again.output
    assert f"intact: {len(key_ids)} events" in again.output

    recompute_chain(app, lambda f: (LEGACY_KEY_ID, audit.event_hash(
        **{k: v for k, v in f.items() if k != "key_id"})))
    forged = runner.invoke(args=["audit", "verify"])
    assert forged.exit_code == 1
    assert "BROKEN at event 4" in forged.output and "event 3 was the last made before" \
        in forged.output
    assert runner.invoke(args=["db", "downgrade", "base"]).exit_code == 0
    with app.app_context():
        db.engine.dispose()
