"""Writing a new row without the ORM's unit of work, for the one hot path that needs it.

A flush costs a few tenths of a millisecond per object (change tracking, dependency sorting,
cascades), and on SQLite a claim spends all of its write transaction holding the database's
only write lock, so every claim in every worker waits for it. Claims therefore insert their
sign-up and its message with plain Core statements. Everything a flush would also have done
is done here, so the rest of the app cannot tell the difference:

- the audit chain gets the same ``create`` event with the same snapshot;
- the compliance engine is told about the new row, as its flush listener would be;
- the object is put in the session as persistent, so code that follows reads it (and its
  id) without a query; a rollback takes it out again, as it would a flushed new object.
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached

from . import audit
from .compliance import sync


def insert(session: Session, model, **values):
    """INSERT one ``model`` row with ``values`` (give every column); returns the persistent object."""
    table = model.__table__
    row_id = session.connection().execute(_insert_returning_id(table), values).scalar_one()
    obj = model(id=row_id, **values)
    make_transient_to_detached(obj)  # history reset: nothing left for a flush to write
    session.add(obj)
    session.info.setdefault(_INSERTED, []).append(obj)
    audit.record_created(session, obj)
    sync.note_created(session, obj)
    return obj


_INSERTED = "rows_inserted"


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    # The rows are gone (and SQLite may hand their ids to the next insert).
    for obj in session.info.pop(_INSERTED, ()):
        if obj in session:
            session.expunge(obj)


@event.listens_for(Session, "after_commit")
def _keep_committed(session: Session) -> None:
    session.info.pop(_INSERTED, None)


_STATEMENTS: dict = {}


def _insert_returning_id(table):
    # Built once per table: building a statement costs about as much as running it.
    if table not in _STATEMENTS:
        _STATEMENTS[table] = table.insert().returning(table.c.id)
    return _STATEMENTS[table]
