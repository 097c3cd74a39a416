"""What runs when rows change and when a transaction ends: the one list.

Every change to data in TripLedger goes through a SQLAlchemy session, and this module is the
only place that listens to sessions. ``HOOKS`` below names, in order, everything that happens
behind a service's back:

1. **findings** (``compliance.sync``): notes which volunteers' facts a change touches; before
   the commit, recomputes those volunteers' findings in bulk, so findings are never stale.
2. **audit chain** (``audit``): turns every insert, update and delete into an audit event;
   before the commit, appends the events to the hash chain. It runs last on purpose: it takes
   the chain head's lock (the last lock any transaction takes, so it cannot deadlock) and it
   must see what the hooks before it wrote. A webhook outbox (a later issue) goes before it.
3. **rule-set cache**, **fast inserts**, **after-commit callbacks**: housekeeping, so nothing
   from a rolled-back transaction lingers in the session.

Each hook is told, for every row of a transaction:
- ``created(session, obj)`` after the INSERT (ids are known) — by a flush, or by ``insert``
  below, the one fast path that writes without a flush (claims on launch day);
- ``changed(session, obj)`` / ``deleted(session, obj)`` before the flush that writes them
  (the attribute history still holds the old values);
- ``bulk(orm_execute_state)`` for ORM bulk INSERT/UPDATE/DELETE statements, which skip the
  unit of work.
Then ``before_commit(session)`` once per commit, in list order; ``committed(session)`` after it,
or ``discard(session)`` after a rollback. Plain SQL text reaches none of this: services don't
write with it (staging uploads, whose content is not domain data, is one exception; security
bookkeeping is the other: a session's last request, a token's last use and failed-login
counts are written by ``sessions``, ``tokens`` and ``throttle`` on connections of their own).

A new hook: write its functions next to what it keeps (as ``audit`` does) and add a ``Hook``
to ``HOOKS`` in the place its order needs.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached

from . import audit
from .compliance import store, sync

logger = logging.getLogger(__name__)

RowHook = Callable[[Session, object], None]
SessionHook = Callable[[Session], None]


@dataclass(frozen=True)
class Hook:
    """One participant in every transaction; any step it does not need is left None."""
    name: str
    created: RowHook | None = None
    changed: RowHook | None = None
    deleted: RowHook | None = None
    bulk: Callable[[object], None] | None = None
    before_commit: SessionHook | None = None
    committed: SessionHook | None = None
    discard: SessionHook | None = None


# -- after-commit callbacks ---------------------------------------------------------------
_CALLBACKS = "after_commit_callbacks"


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback()`` once the session's transaction has committed; never if it rolls back.

    For work outside the database that must only follow data that really exists (queueing a
    report job that reads the row). The session cannot run SQL at that point: a callback that
    writes opens its own connection. A failing callback is logged; the commit stands.
    """
    session.info.setdefault(_CALLBACKS, []).append(callback)


def _run_callbacks(session: Session) -> None:
    for callback in session.info.pop(_CALLBACKS, ()):
        try:
            callback()
        except Exception:  # noqa: BLE001 — the commit happened; a callback cannot undo it
            logger.exception("after-commit callback %r failed", callback)


def _drop_callbacks(session: Session) -> None:
    session.info.pop(_CALLBACKS, None)


# -- the fast insert path -----------------------------------------------------------------
_INSERTED = "rows_inserted"
_STATEMENTS: dict = {}


def insert(session: Session, model, **values):
    """INSERT one ``model`` row with ``values`` (give every column) without a flush; returns
    the object, persistent in the session.

    Why: a flush costs a few tenths of a millisecond per object (change tracking, dependency
    sorting, cascades), and on SQLite a claim holds the database's only write lock the whole
    time. Every hook is told about the row exactly as after a flush, so no hook can miss a
    claim; a rollback takes the object out of the session again, as it would a flushed one.
    """
    table = model.__table__
    if table not in _STATEMENTS:  # built once: building a statement costs as much as running it
        _STATEMENTS[table] = table.insert().returning(table.c.id)
    row_id = session.connection().execute(_STATEMENTS[table], values).scalar_one()
    obj = model(id=row_id, **values)
    make_transient_to_detached(obj)  # history reset: nothing left for a flush to write
    session.add(obj)
    session.info.setdefault(_INSERTED, []).append(obj)
    row_created(session, obj)
    return obj


def _forget_inserted(session: Session) -> None:
    # The rows are gone (and SQLite may hand their ids to the next insert).
    for obj in session.info.pop(_INSERTED, ()):
        if obj in session:
            session.expunge(obj)


def _keep_inserted(session: Session) -> None:
    session.info.pop(_INSERTED, None)


# -- the list -----------------------------------------------------------------------------
HOOKS: list[Hook] = [
    Hook("findings", created=sync.note_created, changed=sync.note_changed,
         deleted=sync.note_changed, bulk=sync.note_bulk, before_commit=sync.flush_pending,
         discard=sync.forget),
    Hook("audit chain", created=audit.note_created, changed=audit.note_changed,
         deleted=audit.note_deleted, before_commit=audit.append_to_chain,
         discard=audit.forget),
    Hook("rule-set cache", discard=store.forget_cached),
    Hook("fast inserts", committed=_keep_inserted, discard=_forget_inserted),
    Hook("after-commit callbacks", committed=_run_callbacks, discard=_drop_callbacks),
]


# -- dispatching --------------------------------------------------------------------------
def row_created(session: Session, obj) -> None:
    for hook in HOOKS:
        if hook.created is not None:
            hook.created(session, obj)


def _before_flush(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty):
        if session.is_modified(obj):
            for hook in HOOKS:
                if hook.changed is not None:
                    hook.changed(session, obj)
    for obj in list(session.deleted):
        for hook in HOOKS:
            if hook.deleted is not None:
                hook.deleted(session, obj)


def _after_flush(session: Session, flush_context) -> None:
    for obj in list(session.new):
        row_created(session, obj)


def _orm_execute(state) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        for hook in HOOKS:
            if hook.bulk is not None:
                hook.bulk(state)


def _before_commit(session: Session) -> None:
    session.flush()
    for hook in HOOKS:
        if hook.before_commit is not None:
            hook.before_commit(session)


def _after_commit(session: Session) -> None:
    for hook in HOOKS:
        if hook.committed is not None:
            hook.committed(session)


def _after_rollback(session: Session) -> None:
    for hook in HOOKS:
        if hook.discard is not None:
            hook.discard(session)


_LISTENERS = (("before_flush", _before_flush), ("after_flush", _after_flush),
              ("do_orm_execute", _orm_execute), ("before_commit", _before_commit),
              ("after_commit", _after_commit), ("after_rollback", _after_rollback))


def init_app(app: Flask) -> None:
    """Listen to every session (once per process, however many apps are made)."""
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
