"""The audit chain is keyed with a secret the database does not hold: someone who can write
to the database recomputes the chain with the app's own code and still fails ``audit verify``;
the key lives owner-only in the instance folder (or the environment) and rotates without
breaking old events."""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import LEGACY_KEY_ID, AuditEvent
from app.services import audit, audit_keys

from .audit_attacks import recompute_chain
from .builders import make_deployment
from .conftest import TEST_AUDIT_KEY


def _changes(app, n=3, prefix="d"):
    with app.app_context():
        for i in range(n):
            make_deployment(slug=f"{prefix}-{i}", spots={})
            db.session.commit()


def _events(app):
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        db.session.remove()
        return events


def _fields(ev) -> dict:
    return {"seq": ev.seq, "prev_hash": ev.prev_hash, "occurred_at": ev.occurred_at,
            "actor_id": ev.actor_id, "actor_label": ev.actor_label, "action": ev.action,
            "entity_type": ev.entity_type, "entity_id": ev.entity_id, "data": ev.data}


def _verify(app, *args):
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def test_each_event_is_an_hmac_under_a_key_the_database_does_not_hold(app):
    _changes(app)
    key = TEST_AUDIT_KEY.encode()
    for ev in _events(app):
        assert ev.key_id == audit_keys.key_id_of(key) != LEGACY_KEY_ID
        content = {**_fields(ev), "occurred_at": ev.occurred_at.isoformat(), "key_id": ev.key_id}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False).encode()
        assert ev.hash == hmac.new(key, canonical, hashlib.sha256).hexdigest()
        # Not the plain SHA-256 anyone can recompute from the row.
        assert ev.hash != audit.event_hash(**_fields(ev))
        assert TEST_AUDIT_KEY not in json.dumps(ev.data)


def test_the_instance_keyring_is_made_owner_only_on_first_use(make_app):
    app = make_app(AUDIT_HMAC_KEY=None)
    path = Path(app.instance_path) / "audit" / "keyring.json"
    assert not path.exists()
    _changes(app, 1)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    stored = json.loads(path.read_text())
    [ev, *_] = _events(app)
    assert ev.key_id == stored["current"] and stored["legacy_until"] == 0
    assert stored["keys"][ev.key_id] not in json.dumps([_fields(e) | {"hash": e.hash}
                                                         for e in _events(app)], default=str)
    assert _verify(app).exit_code == 0


def test_a_chain_recomputed_with_the_apps_code_but_without_the_key_fails_verify(app):
    _changes(app)
    assert _verify(app).exit_code == 0
    guessed = b"the attacker's best guess at the key"
    recompute_chain(app, lambda f: (f["key_id"], audit.event_hash(**f, key=guessed)))
    result = _verify(app)
    assert result.exit_code == 1
    assert "BROKEN at event 1" in result.output and "altered" in result.output


def test_a_chain_rewritten_as_unkeyed_legacy_events_fails_verify(app):
    """The forger's other way: call every event "legacy" and use the plain SHA-256 the chain
    used before keys (the app's own code still has it, for events made before the upgrade)."""
    _changes(app)
    recompute_chain(app, lambda f: (LEGACY_KEY_ID, audit.event_hash(
        **{k: v for k, v in f.items() if k != "key_id"})))
    result = _verify(app)
    assert result.exit_code == 1
    assert "BROKEN at event 1" in result.output
    assert "claims to be unkeyed" in result.output and "without the key" in result.output


def test_rotate_key_keys_new_events_with_a_new_key_and_old_events_still_verify(make_app):
    app = make_app(AUDIT_HMAC_KEY=None)
    runner = app.test_cli_runner()
    _changes(app, 2, "before")
    rotated = runner.invoke(args=["audit", "rotate-key"])
    assert rotated.exit_code == 0, rotated.output
    _changes(app, 2, "after")
    ids = [ev.key_id for ev in _events(app)]
    first, second = ids[0], ids[-1]
    assert first != second and set(ids) == {first, second}
    assert f"New events are keyed with {second}; {first} stays" in rotated.output
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert f"Keyed with: {first}, {second}." in result.output


def test_rotate_key_refuses_a_key_from_the_environment(app, runner):
    result = runner.invoke(args=["audit", "rotate-key"])
    assert result.exit_code == 1
    assert "AUDIT_HMAC_KEY" in result.output and "AUDIT_HMAC_OLD_KEYS" in result.output


def test_a_key_rotated_in_the_environment_verifies_with_the_old_key_listed(make_app):
    old, new = "old-audit-key-" + "o" * 30, "new-audit-key-" + "n" * 30
    _changes(make_app(AUDIT_HMAC_KEY=old), 2, "old")
    _changes(make_app(AUDIT_HMAC_KEY=new, AUDIT_HMAC_OLD_KEYS=old), 2, "new")
    assert _verify(make_app(AUDIT_HMAC_KEY=new, AUDIT_HMAC_OLD_KEYS=old)).exit_code == 0
    forgotten = _verify(make_app(AUDIT_HMAC_KEY=new))
    assert forgotten.exit_code == 1
    assert "BROKEN at event 1" in forgotten.output
    assert "keyring does not hold" in forgotten.output


def test_a_short_audit_key_is_refused_with_a_clear_message(make_app):
    app = make_app(AUDIT_HMAC_KEY="too short")
    result = _verify(app)
    assert result.exit_code == 1
    assert "shorter than 32 characters" in result.output
    with app.app_context():
        make_deployment(slug="never", spots={})
        with pytest.raises(audit_keys.AuditKeyError, match="shorter than 32"):
            db.session.commit()
        db.session.rollback()
