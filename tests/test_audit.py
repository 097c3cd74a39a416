"""The audit chain: written with each change, verifiable, and tamper-evident."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.models import AuditEvent, Role, User
from app.services import accounts, audit

from .builders import make_deployment
from .conftest import ON_POSTGRES


def _events(app):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()


def test_every_change_writes_an_event_in_the_same_transaction(app):
    with app.app_context():
        admin = accounts.create_user(db.session, email="boss@example.org", full_name="Boss",
                                     role=Role.ADMIN, password=None, actor=None)
        db.session.commit()
        make_deployment(slug="d1", spots={"NC": 5})
        user = accounts.create_user(db.session, email="v@example.org", full_name="V",
                                    role=Role.VOLUNTEER, password=None, actor=None)
        db.session.commit()
        accounts.set_role(db.session, user, Role.AUDITOR, actor=admin)
        db.session.commit()
    events = _events(app)
    kinds = [(e.action, e.entity_type) for e in events]
    assert ("create", "deployments") in kinds and ("create", "placements") in kinds
    role_change = [e for e in events if e.action == "update" and e.entity_type == "users"][-1]
    assert role_change.data["role"] == ["volunteer", "auditor"]
    assert role_change.data["session_nonce"] == "[redacted]"
    assert role_change.actor_label == "boss@example.org"
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


def test_rolled_back_changes_leave_no_event(app):
    with app.app_context():
        make_deployment(slug="gone")
        db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)) == 0
        make_deployment(slug="kept")
        db.session.commit()
    assert {e.data.get("slug") for e in _events(app) if e.entity_type == "deployments"} == {"kept"}


def test_secrets_never_reach_the_chain(app):
    with app.app_context():
        user = accounts.create_user(db.session, email="s@example.org", full_name="S",
                                    role=Role.VOLUNTEER, password="a long enough passphrase",
                                    actor=None)
        token = accounts.issue_token(db.session, user, actor=None)
        db.session.commit()
        stored_hash = user.password_hash
    dump = " ".join(str(e.data) for e in _events(app))
    assert stored_hash not in dump and token not in dump
    assert "[redacted]" in dump


def _chain_with_events(app, n=3):
    with app.app_context():
        for i in range(n):
            make_deployment(slug=f"chain-{i}", spots={})
            db.session.commit()
        return audit.verify_chain(db.session)


def test_intact_chain_verifies(app, runner):
    check = _chain_with_events(app)
    assert check.ok and check.events == 3
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact: 3 events" in result.output


def _tamper(app, statement):
    with app.app_context():
        with db.engine.begin() as conn:
            if ON_POSTGRES:
                conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
            conn.execute(text(statement))
            if ON_POSTGRES:
                conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


@pytest.mark.parametrize(("statement", "bad_seq", "words"), [
    ("UPDATE audit_events SET actor_label = 'someone else' WHERE seq = 2", 2, "altered"),
    ("UPDATE audit_events SET data = '{\"slug\": \"forged\"}' WHERE seq = 1", 1, "altered"),
    ("DELETE FROM audit_events WHERE seq = 2", 2, "missing"),
    ("DELETE FROM audit_events WHERE seq = 3", 3, "deleted from the end"),
])
def test_tampering_is_named_by_audit_verify(app, runner, statement, bad_seq, words):
    _chain_with_events(app)
    _tamper(app, statement)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at event {bad_seq}" in result.output
    assert words in result.output


def test_a_forged_event_with_a_fresh_hash_breaks_the_link(app, runner):
    _chain_with_events(app)
    with app.app_context():
        ev = db.session.get(AuditEvent, 2)
        forged = audit.event_hash(seq=2, prev_hash="f" * 64, occurred_at=ev.occurred_at,
                                  actor_id=ev.actor_id, actor_label=ev.actor_label,
                                  action=ev.action, entity_type=ev.entity_type,
                                  entity_id=ev.entity_id, data=ev.data)
    _tamper(app, f"UPDATE audit_events SET prev_hash = '{'f' * 64}', hash = '{forged}' WHERE seq = 2")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "BROKEN at event 2" in result.output


@pytest.mark.skipif(not ON_POSTGRES, reason="the append-only trigger is PostgreSQL's")
@pytest.mark.parametrize("statement", ["UPDATE audit_events SET actor_label = 'x'",
                                       "DELETE FROM audit_events"])
def test_postgres_refuses_update_and_delete_of_audit_events(app, statement):
    _chain_with_events(app, 1)
    with app.app_context():
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(statement))
        assert audit.verify_chain(db.session).ok


def test_concurrent_appends_keep_one_chain(app):
    """Several threads committing at once still produce a gapless, verifiable chain."""
    import threading
    errors = []

    def work(i):
        try:
            with app.app_context():
                for j in range(5):
                    make_deployment(slug=f"t{i}-{j}", spots={})
                    db.session.commit()
        except Exception as exc:  # noqa: BLE001 — surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with app.app_context():
        check = audit.verify_chain(db.session)
        assert check.ok, check.problem
        assert check.events == 30
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 0
