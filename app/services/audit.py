"""The audit chain: every change to data becomes an event, hash-linked to the one before.

How it works (the session hooks in ``hooks.py`` call the ``note_*`` functions and
``append_to_chain``, last of all):
- Each transaction's inserted, changed and deleted rows become pending events. Services may add
  their own, more meaningful events with ``record``.
- Just before commit, the pending events are appended to the chain: the single
  ``audit_head`` row is updated first, which takes the write lock on SQLite and a row lock on
  PostgreSQL, so concurrent transactions append one after the other. Because this is the last
  lock any transaction takes, it cannot deadlock with the domain's own locks.
- A rollback throws the pending events away with the changes they describe.

Keyed: each event's ``hash`` is an HMAC-SHA256 under the current audit key (``audit_keys``: in
the instance folder or the environment, never in the database), and the event names the key
(``key_id``). Someone who can write to the database but lacks the key cannot make a chain that
verifies. Events from before the chain was keyed stay as they were — plain SHA-256, ``key_id``
"legacy" — and verify as before; they are not re-hashed (that would rewrite history and the
heads earlier reports cite). The keyring records how many there were, so no later event can
pass as one. ``verify_chain`` also checks the chain still extends heads recorded outside the
database (``audit_anchors``: reports, checkpoints), which catches a deleted tail or an emptied
table even when the head row was "fixed" to match.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable

from flask import current_app
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from ..models import (GENESIS_HASH, LEGACY_KEY_ID, AuditEvent, AuditHead, Finding,
                      FormSubmission)
from ..models.types import utcnow
from . import audit_keys

_PENDING = "audit_pending"
_ACTOR = "audit_actor"
SYSTEM_ACTOR = (None, "system")

#: Never written to the chain in clear; the event still says they changed.
_REDACTED = {"password_hash", "token_hash", "session_nonce"}
#: Findings are derived data (recomputed from audited facts); reviews of them are audited.
#: A form's one-time token is bookkeeping against double submission, not a fact.
_NOT_AUDITED = (AuditEvent, AuditHead, Finding, FormSubmission)


def act_as(session: Session, actor) -> None:
    """Attribute the session's next changes to ``actor`` (a User, or None for the system)."""
    session.info[_ACTOR] = SYSTEM_ACTOR if actor is None else (actor.id, actor.email)


def act_as_same(session: Session, other: Session) -> None:
    """Attribute ``session``'s changes to whoever ``other``'s are attributed to."""
    session.info[_ACTOR] = other.info.get(_ACTOR, SYSTEM_ACTOR)


def record(session: Session, action: str, entity_type: str, entity_id, data: dict | None = None):
    """Add an explicit event (e.g. ``signup.claimed``) to the current transaction."""
    _pending(session).append(_event(session, action, entity_type, entity_id, data or {}))


def _pending(session: Session) -> list[dict]:
    return session.info.setdefault(_PENDING, [])


def _event(session, action, entity_type, entity_id, data) -> dict:
    actor_id, actor_label = session.info.get(_ACTOR, SYSTEM_ACTOR)
    return {"actor_id": actor_id, "actor_label": actor_label, "action": action,
            "entity_type": entity_type, "entity_id": str(entity_id), "data": data}


def _plain(value):
    """A JSON-safe, exact form of a column value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _columns(obj) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs]


def _snapshot(obj) -> dict:
    return {key: "[redacted]" if key in _REDACTED else _plain(getattr(obj, key))
            for key in _columns(obj)}


def _changes(session: Session, obj) -> dict:
    """{column: [before, after]} for the columns this flush will change.

    An attribute expired by an earlier commit has no "before" in its history, so those
    values are read from the database (inside the transaction, before the UPDATE).
    """
    state = inspect(obj)
    changed = {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if history.added or history.deleted:
            changed[key] = (history.deleted[0] if history.deleted else _UNKNOWN,
                            history.added[0] if history.added else None)
    unknown = [key for key, (before, _) in changed.items() if before is _UNKNOWN]
    if unknown:
        mapper = state.mapper
        table = mapper.local_table
        row = session.connection().execute(
            select(*(table.c[mapper.get_property(k).columns[0].key] for k in unknown))
            .where(*(col == val for col, val in
                     zip(mapper.primary_key, mapper.primary_key_from_instance(obj))))).first()
        for key, value in zip(unknown, row or [None] * len(unknown)):
            changed[key] = (value, changed[key][1])
    return {key: "[redacted]" if key in _REDACTED else [_plain(before), _plain(after)]
            for key, (before, after) in changed.items() if before != after}


_UNKNOWN = object()


def _identity(obj) -> str:
    state = inspect(obj)
    return ":".join(str(v) for v in state.mapper.primary_key_from_instance(obj))


def note_changed(session: Session, obj) -> None:
    """A row this flush will UPDATE (hook: before the flush, while its history is there)."""
    if isinstance(obj, _NOT_AUDITED):
        return
    changes = _changes(session, obj)
    if changes:
        _pending(session).append(_event(session, "update", obj.__tablename__, _identity(obj),
                                        changes))


def note_deleted(session: Session, obj) -> None:
    if not isinstance(obj, _NOT_AUDITED):
        _pending(session).append(_event(session, "delete", obj.__tablename__, _identity(obj),
                                        _snapshot(obj)))


def note_created(session: Session, obj) -> None:
    """A row just inserted (hook: after the INSERT, so generated ids are known)."""
    if not isinstance(obj, _NOT_AUDITED):
        _pending(session).append(_event(session, "create", obj.__tablename__, _identity(obj),
                                        _snapshot(obj)))


def append_to_chain(session: Session) -> None:
    """Append the transaction's pending events to the chain (hook: the last before commit).

    :raises AuditKeyError: the audit key cannot be had (nothing is committed without it)
    """
    session.flush()  # collect what the hooks before this one wrote
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    ring = keyring(session)
    key_id, key = ring.current_id, ring.current
    seq, prev_hash = _lock_head(session)
    rows = []
    for item in pending:
        seq += 1
        occurred_at = utcnow()
        digest = event_hash(seq=seq, prev_hash=prev_hash, occurred_at=occurred_at,
                            key_id=key_id, key=key, **item)
        rows.append({**item, "seq": seq, "occurred_at": occurred_at, "prev_hash": prev_hash,
                     "hash": digest, "key_id": key_id})
        prev_hash = digest
    # Straight to the connection: this runs inside every write transaction (on SQLite, while
    # holding the database's only write lock), and events need none of the ORM's bookkeeping.
    connection = session.connection()
    connection.execute(_INSERT_EVENTS, rows)
    connection.execute(_MOVE_HEAD, {"seq": seq, "hash": prev_hash})


def forget(session: Session) -> None:
    """A rollback: the pending events go with the changes they describe."""
    session.info.pop(_PENDING, None)


def keyring(session: Session) -> audit_keys.Keyring:
    """This install's audit keys (made on first use, counting the unkeyed events then)."""
    def legacy_events() -> int:
        return session.connection().execute(
            select(func.coalesce(func.max(AuditEvent.seq), 0))
            .where(AuditEvent.key_id == LEGACY_KEY_ID)).scalar_one()
    return audit_keys.load(current_app.config, current_app.instance_path,
                           legacy_events=legacy_events)


# Plain SQL on the hot path (every committing transaction).
_LOCK_HEAD = text("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
_MOVE_HEAD = text("UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1")
_INSERT_EVENTS = AuditEvent.__table__.insert()


def _lock_head(session: Session) -> tuple[int, str]:
    """Lock the chain head (an UPDATE locks on both databases) and return (seq, hash)."""
    row = session.connection().execute(_LOCK_HEAD).first()
    if row is None:  # a database made without the initial migration's head row
        session.add(AuditHead(id=1, seq=0, hash=GENESIS_HASH))
        session.flush()
        return 0, GENESIS_HASH
    return row.seq, row.hash


def event_hash(*, seq, prev_hash, occurred_at, actor_id, actor_label, action, entity_type,
               entity_id, data, key_id: str = LEGACY_KEY_ID, key: bytes | None = None) -> str:
    """The event's hash over its canonical JSON, which includes the previous event's hash.

    Keyed (the chain since audit keys): HMAC-SHA256 under ``key``, and the content names
    ``key_id``. Legacy (``key_id`` "legacy"): the plain SHA-256 the chain used before, without
    a key id — kept only so events made before the upgrade still verify.
    """
    content = {"seq": seq, "prev_hash": prev_hash, "occurred_at": occurred_at.isoformat(),
               "actor_id": actor_id, "actor_label": actor_label, "action": action,
               "entity_type": entity_type, "entity_id": entity_id, "data": data}
    if key_id == LEGACY_KEY_ID:
        return hashlib.sha256(_canonical(content)).hexdigest()
    if not key:
        raise ValueError(f"the audit key {key_id} is needed to hash a keyed event")
    return hmac.new(key, _canonical({**content, "key_id": key_id}), hashlib.sha256).hexdigest()


def _canonical(content: dict) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


@dataclass(frozen=True)
class Anchor:
    """A chain head recorded outside the database: the chain must still hold this event."""
    seq: int
    key_id: str | None
    hash: str
    #: Where it was recorded, for a person ("report.pdf (report made 2 Nov 2024 09:30 UTC)").
    source: str


@dataclass
class ChainCheck:
    ok: bool
    events: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str = ""
    #: Events made before the chain was keyed (plain SHA-256).
    legacy: int = 0
    #: The key ids the events were made with, in first-use order.
    key_ids: list[str] = field(default_factory=list)
    #: The anchors the chain was found to extend.
    anchored: list[Anchor] = field(default_factory=list)


def verify_chain(session: Session, anchors: Iterable[Anchor] = ()) -> ChainCheck:
    """Walk the whole chain, in batches, and report the first event that does not fit; then
    check the chain still holds each of ``anchors`` (heads recorded outside the database).

    :raises AuditKeyError: the audit keyring cannot be read
    """
    ring = keyring(session)
    anchors = sorted(anchors, key=lambda a: a.seq)
    result = session.execute(select(AuditEvent).order_by(AuditEvent.seq)
                             .execution_options(yield_per=1000))
    try:
        return _walk(session, result.scalars(), ring, anchors)
    finally:
        result.close()  # also when stopping early: frees a server-side cursor


def _walk(session: Session, events, ring: audit_keys.Keyring,
          anchors: list[Anchor]) -> ChainCheck:
    expected_seq, prev_hash = 1, GENESIS_HASH
    legacy, key_ids = 0, []
    wanted = {anchor.seq for anchor in anchors}
    seen: dict[int, tuple[str, str]] = {}

    def broken(bad_seq: int, problem: str) -> ChainCheck:
        return ChainCheck(False, expected_seq - 1, prev_hash, bad_seq, problem, legacy, key_ids)

    for ev in events:
        if ev.seq != expected_seq:
            return broken(expected_seq,
                          f"event {expected_seq} is missing (next found is {ev.seq})")
        if ev.prev_hash != prev_hash:
            return broken(ev.seq, f"event {ev.seq} does not follow event {ev.seq - 1}")
        if ev.key_id == LEGACY_KEY_ID:
            if ev.seq > ring.legacy_until:
                return broken(ev.seq, _after_legacy(ev.seq, ring.legacy_until))
            legacy += 1
        elif ev.key_id not in ring.keys:
            return broken(ev.seq, f"event {ev.seq} names audit key {ev.key_id}, which this "
                                  "server's audit keyring does not hold: it was not made here, "
                                  "or the keyring is not this install's")
        elif ev.key_id not in key_ids:
            key_ids.append(ev.key_id)
        digest = event_hash(seq=ev.seq, prev_hash=ev.prev_hash, occurred_at=ev.occurred_at,
                            actor_id=ev.actor_id, actor_label=ev.actor_label, action=ev.action,
                            entity_type=ev.entity_type, entity_id=ev.entity_id, data=ev.data,
                            key_id=ev.key_id, key=ring.keys.get(ev.key_id))
        if not hmac.compare_digest(digest, ev.hash):
            return broken(ev.seq, f"event {ev.seq} was altered (its "
                                  f"{'hash' if ev.key_id == LEGACY_KEY_ID else 'HMAC'} does not "
                                  "match its content)")
        if ev.seq in wanted:
            seen[ev.seq] = (ev.key_id, ev.hash)
        prev_hash = ev.hash
        expected_seq += 1
    count = expected_seq - 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq, head.hash) != (count, prev_hash):
        return broken(count + 1, f"the chain ends at event {count} but its head says event "
                                 f"{head.seq}: events were deleted from the end")
    for anchor in anchors:
        problem = _off_anchor(anchor, count, seen.get(anchor.seq))
        if problem:
            return broken(min(anchor.seq, count + 1) or 1, problem)
    return ChainCheck(True, count, prev_hash, legacy=legacy, key_ids=key_ids,
                      anchored=list(anchors))


def _after_legacy(seq: int, legacy_until: int) -> str:
    made = (f"event {legacy_until} was the last made before" if legacy_until else
            "no event was made before")
    return (f"event {seq} claims to be unkeyed (legacy), but {made} the chain was keyed (the "
            "audit keyring says so): it was rewritten without the key")


def _off_anchor(anchor: Anchor, count: int, found: tuple[str, str] | None) -> str:
    """Why the chain does not extend ``anchor`` ("" when it does)."""
    if anchor.seq == 0:
        return ""
    if anchor.seq > count:
        ends = "is empty" if count == 0 else f"ends at event {count}"
        return (f"the chain {ends}, but {anchor.source} saw it at event {anchor.seq}: events "
                "were deleted from the end")
    key_id, digest = found
    if not hmac.compare_digest(digest, anchor.hash) or \
            (anchor.key_id is not None and anchor.key_id != key_id):
        return (f"event {anchor.seq} is not the event {anchor.source} saw (HMAC "
                f"{digest[:16]}… instead of {anchor.hash[:16]}…): the chain was rewritten")
    return ""


def latest_events(session: Session, limit: int = 50) -> list[AuditEvent]:
    """The newest events, newest first."""
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)))


def chain_head(session: Session) -> tuple[int, str]:
    head = session.get(AuditHead, 1)
    return (head.seq, head.hash) if head else (0, GENESIS_HASH)


def head_anchor(session: Session, source: str = "") -> Anchor:
    """The chain head as an anchor to record outside the database (with its event's key)."""
    seq, digest = chain_head(session)
    key_id = session.scalar(select(AuditEvent.key_id).where(AuditEvent.seq == seq)) \
        if seq else None
    return Anchor(seq, key_id, digest, source)
