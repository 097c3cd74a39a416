"""Where security bookkeeping is written: a session's last request, a token's last use, the
failed-login counts (``sessions``, ``tokens``, ``throttle``).

These are not facts for the audit chain, and they must not wait for the request's
transaction: a failed-login count has to be visible to every other worker before the password
is even checked. So they are written with plain statements in a short transaction of their
own, committed at once, on a connection of their own.

One exception: on SQLite only one transaction in the whole database may write, so when this
session has already written in its open transaction (a command, a test, a service that writes
and then reads a token), a second connection would wait for a lock its own thread holds. Then
the statement joins the session's transaction instead and is committed (or rolled back) with it.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, scoped_session


def _writing_sqlite(session: Session | scoped_session) -> bool:
    if isinstance(session, scoped_session):
        session = session()
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return False
    # The sqlite3 driver opens a transaction only at the first INSERT/UPDATE/DELETE.
    return bool(session.connection().connection.driver_connection.in_transaction)


@contextmanager
def connection(session: Session) -> Iterator[Connection]:
    """A connection whose statements are committed at the end of the ``with`` block (or with
    the session's transaction, in the SQLite case above)."""
    if _writing_sqlite(session):
        yield session.connection()
        return
    with session.get_bind().begin() as conn:
        yield conn
