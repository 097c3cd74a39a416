"""What someone who controls the database (but not the instance folder) does to the audit
trail: plain SQL as the superuser, with every trigger off on PostgreSQL (a full compromise,
not the app's restricted role). The tests then check each attack is caught."""
from __future__ import annotations

from sqlalchemy import select, text

from app.extensions import db
from app.models import GENESIS_HASH, AuditEvent

from .conftest import ON_POSTGRES


def run_as_attacker(app, *statements: tuple[str, dict] | str) -> None:
    with app.app_context():
        with db.engine.begin() as conn:
            if ON_POSTGRES:  # superuser: triggers off for this transaction
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in statements:
                sql, params = (statement, {}) if isinstance(statement, str) else statement
                conn.execute(text(sql), params)


def recompute_chain(app, hasher) -> int:
    """Rewrite every event's prev_hash and hash with ``hasher(fields) -> (key_id, hash)`` and
    move the head to match: a forger's "valid" chain. Returns the number of events."""
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        fields = [{"seq": ev.seq, "occurred_at": ev.occurred_at, "actor_id": ev.actor_id,
                   "actor_label": ev.actor_label, "action": ev.action,
                   "entity_type": ev.entity_type, "entity_id": ev.entity_id, "data": ev.data,
                   "key_id": ev.key_id} for ev in events]
        db.session.remove()
    prev, statements = GENESIS_HASH, []
    for item in fields:
        key_id, digest = hasher({**item, "prev_hash": prev})
        statements.append(("UPDATE audit_events SET prev_hash = :p, hash = :h, key_id = :k "
                           "WHERE seq = :s", {"p": prev, "h": digest, "k": key_id,
                                              "s": item["seq"]}))
        prev = digest
    statements.append(("UPDATE audit_head SET seq = :s, hash = :h",
                       {"s": len(fields), "h": prev}))
    # Hashes are unique: park them first so no rewritten row meets an old one.
    run_as_attacker(app, "UPDATE audit_events SET hash = 'x' || seq", *statements)
    return len(fields)


def cut_tail(app, keep: int) -> None:
    """Delete every event after ``keep`` and move the head back to it."""
    with app.app_context():
        kept = db.session.get(AuditEvent, keep).hash if keep else GENESIS_HASH
        db.session.remove()
    run_as_attacker(app, ("DELETE FROM audit_events WHERE seq > :k", {"k": keep}),
                    ("UPDATE audit_head SET seq = :k, hash = :h", {"k": keep, "h": kept}))


def empty_chain(app) -> None:
    """Delete every event and reset the head, as on a new install."""
    cut_tail(app, 0)


def event_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(db.func.count()).select_from(AuditEvent))
