"""SQLite lets one transaction write at a time. A writer that finds the lock taken polls for it,
sleeping 1, 2, 5, 10 … ms between tries, so under load most of the time goes to sleeping while
the lock is already free again. Here writers queue on an operating-system file lock instead:
the kernel wakes the next writer as soon as the previous one ends its transaction.

The file lock is taken just before a connection's first INSERT/UPDATE/DELETE (the moment
SQLite's own write lock would be taken) and given back when the transaction commits or rolls
back. Readers never touch it. Other processes that do not use it still work: they fall back
to SQLite's polling.

Checkpoints (copying the write-ahead log back into the database file, with an fsync) would
otherwise run inside whichever COMMIT crosses SQLite's 1,000-page mark, while that writer
still holds its turn: a few milliseconds every few dozen commits, with everyone waiting.
These connections turn the automatic checkpoint off and run a PASSIVE one (which never
blocks writers) every ``CHECKPOINT_EVERY`` commits, after giving their turn back.
"""
from __future__ import annotations

import fcntl
import os

from sqlalchemy import event
from sqlalchemy.engine import Engine

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_FD, _HELD = "tripledger_writer_fd", "tripledger_writer_held"
#: Per process. A claim writes about 15 pages, so the log stays within a few MB.
CHECKPOINT_EVERY = 64


def queue_writers(engine: Engine) -> None:
    """Make ``engine``'s SQLite writers queue on ``<database file>.writers`` (file databases)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return
    path = os.path.abspath(database) + ".writers"

    @event.listens_for(engine, "before_cursor_execute")
    def _wait_for_turn(conn, cursor, statement, parameters, context, executemany):
        info = conn.connection.info
        if info.get(_HELD) or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        if _FD not in info:
            info[_FD] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(info[_FD], fcntl.LOCK_EX)
        info[_HELD] = True

    @event.listens_for(engine, "connect")
    def _checkpoint_outside_turns(dbapi_connection, connection_record):
        dbapi_connection.execute("PRAGMA wal_autocheckpoint = 0")

    commits = [0]  # this process's commits on this engine (a rough count is enough)

    def _checkpoint_now_and_then(dbapi_connection):
        commits[0] += 1
        if commits[0] % CHECKPOINT_EVERY == 0:
            dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _finish(end, after=None):
        def _end_then_release(conn):
            # These events fire *before* SQLAlchemy commits or rolls back. Ending the
            # transaction here first means SQLite's own lock is gone when the next writer gets
            # its turn; otherwise it would find it still held and fall back to polling.
            # (SQLAlchemy's own commit/rollback that follows finds no transaction: a no-op.)
            info = conn.connection.info
            if info.get(_HELD):
                try:
                    end(conn.connection.dbapi_connection)
                finally:
                    info.pop(_HELD, None)
                    fcntl.flock(info[_FD], fcntl.LOCK_UN)
                if after is not None:
                    after(conn.connection.dbapi_connection)
        return _end_then_release

    event.listen(engine, "commit", _finish(lambda dbapi: dbapi.commit(), _checkpoint_now_and_then))
    event.listen(engine, "rollback", _finish(lambda dbapi: dbapi.rollback()))

    @event.listens_for(engine, "checkin")
    def _never_keep_it(dbapi_connection, connection_record):
        # A connection back in the pool has no transaction; make sure it holds no turn either.
        if connection_record.info.pop(_HELD, None):
            fcntl.flock(connection_record.info[_FD], fcntl.LOCK_UN)

    @event.listens_for(engine, "close")
    def _forget(dbapi_connection, connection_record):
        fd = connection_record.info.pop(_FD, None)
        connection_record.info.pop(_HELD, None)
        if fd is not None:
            os.close(fd)
