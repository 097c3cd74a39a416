"""SQLite writers queue on a file lock: many concurrent writers, no lost or stuck transaction."""
import fcntl
import os
import threading

import pytest
from sqlalchemy import event, func, select, text

from app import sqlite_writers
from app.extensions import db
from app.models import Deployment
from app.services import audit

from .builders import make_signup_deployment
from .conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite only")


def test_concurrent_writers_all_commit_and_the_chain_stays_whole(app):
    errors = []

    def work(i):
        try:
            with app.app_context():
                for j in range(10):
                    make_signup_deployment(slug=f"w{i}-{j}", spots={"NC": 1})
                    db.session.commit()
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Deployment)) == 80
        assert audit.verify_chain(db.session).ok


def test_the_next_writer_never_finds_sqlite_still_locked(app):
    """The turn passes on only once SQLite's own lock is gone (after COMMIT, not before):
    writers that refuse to wait inside SQLite (busy timeout 0) never see "database is locked"."""
    errors = []

    def no_waiting_in_sqlite(dbapi_connection, record, proxy):
        dbapi_connection.execute("PRAGMA busy_timeout = 0")

    def work(i):
        try:
            with app.app_context():
                for j in range(40):
                    db.session.execute(text("UPDATE audit_head SET seq = seq"))
                    db.session.execute(text("UPDATE placements SET capacity = capacity"))
                    db.session.commit()
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    with app.app_context():
        engine = db.engine
        db.session.remove()
        engine.dispose()  # no pooled connection escapes the listener
        event.listen(engine, "checkout", no_waiting_in_sqlite)
        try:
            threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        finally:
            event.remove(engine, "checkout", no_waiting_in_sqlite)
            engine.dispose()
    assert not errors, errors[0]


def _turn_is_free(app) -> bool:
    """Try the writers' file lock from outside, without waiting."""
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///") + ".writers"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


@pytest.mark.parametrize("ending", ["commit", "rollback", "close"])
def test_a_writer_holds_its_turn_only_until_its_transaction_ends(app, ending):
    with app.app_context():
        assert _turn_is_free(app)
        db.session.execute(text("UPDATE audit_head SET seq = seq"))
        assert not _turn_is_free(app)      # its turn, until the transaction ends
        getattr(db.session, ending)()
        assert _turn_is_free(app)
        db.session.execute(text("SELECT 1"))
        assert _turn_is_free(app)          # readers never take a turn


def test_checkpoints_run_after_the_turn_not_inside_commits(app):
    """Automatic checkpoints (inside a COMMIT, holding the turn) are off; the app's own
    checkpoints, run after giving the turn back, keep the write-ahead log short."""
    commits = 4 * sqlite_writers.CHECKPOINT_EVERY
    with app.app_context():
        assert db.session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
        db.session.execute(text("CREATE TABLE scratch (n INTEGER)"))
        db.session.commit()
        for i in range(commits):
            db.session.execute(text("INSERT INTO scratch VALUES (:n)"), {"n": i})
            db.session.commit()
        # (busy, frames in the log, frames checkpointed): without the app's checkpoints the
        # log would hold at least one frame per commit.
        _, frames, _ = db.session.execute(text("PRAGMA wal_checkpoint(PASSIVE)")).one()
        assert frames <= sqlite_writers.CHECKPOINT_EVERY
