"""Per-account login throttle, kept in the database so every worker and instance shares it.

Each login attempt is counted against the account *before* its password is checked: one
atomic ``UPDATE … SET attempts = attempts + 1 WHERE attempts < limit`` in a transaction of its
own, committed at once, so N workers answering N guesses at the same moment count N, and
the guess after the limit is refused without checking the password. A successful login (or
a password set by an emailed link) clears the count; otherwise it lapses when the window
ends. The lock applies to any address typed, with or without an account, and says the same
in both cases: it tells nothing about which addresses have accounts.

Settings: ``LOGIN_ACCOUNT_LIMIT`` attempts per ``LOGIN_ACCOUNT_WINDOW_MINUTES``. The per-IP
limit (``LOGIN_RATE_LIMIT``) is Flask-Limiter's, kept in Redis when ``REDIS_URL`` is set.

The counter is security bookkeeping, not a fact for the audit chain: it is written with plain
statements on a connection of its own, outside the request's transaction (see ``hooks.py``).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import LoginThrottle
from ..models.types import utcnow
from . import bookkeeping, hooks


@dataclass(frozen=True)
class Locked:
    """An account locked until ``until``."""
    until: datetime

    def message(self, now: datetime | None = None) -> str:
        minutes = max(1, math.ceil(((self.until - (now or utcnow())).total_seconds()) / 60))
        return (f"Too many failed logins for this account. Try again in {minutes} minute"
                f"{'s' if minutes != 1 else ''}, or set a new password with \"Forgot your "
                "password?\".")


def account_key(email: str) -> str:
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()


def _settings() -> tuple[int, timedelta]:
    cfg = current_app.config
    return (int(cfg["LOGIN_ACCOUNT_LIMIT"]),
            timedelta(minutes=float(cfg["LOGIN_ACCOUNT_WINDOW_MINUTES"])))


def _insert(dialect: str):
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(LoginThrottle)


def count_attempt(session: Session, email: str) -> Locked | None:
    """Count a login attempt for ``email`` and commit the count at once (its own
    transaction); None when the password may be checked, else the lock."""
    limit, window = _settings()
    key = account_key(email)
    table = LoginThrottle.__table__
    with bookkeeping.connection(session) as conn:
        for _ in range(5):  # another worker made or renewed the row meanwhile: look again
            now = utcnow()
            cutoff = now - window
            counted = conn.execute(
                update(table).where(table.c.account_key == key,
                                    table.c.window_started_at > cutoff,
                                    table.c.attempts < limit)
                .values(attempts=table.c.attempts + 1)).rowcount
            if counted:
                return None
            restarted = conn.execute(
                update(table).where(table.c.account_key == key,
                                    table.c.window_started_at <= cutoff)
                .values(attempts=1, window_started_at=now)).rowcount
            if restarted:
                return None
            row = conn.execute(select(table.c.window_started_at, table.c.attempts)
                               .where(table.c.account_key == key)).first()
            if row is not None:
                if row.attempts >= limit and row.window_started_at > cutoff:
                    return Locked(row.window_started_at + window)
                continue  # committed by another worker after our UPDATEs looked: again
            # RETURNING says whether the row was made (a driver's rowcount may be -1 here).
            made = conn.execute(_insert(conn.dialect.name)
                                .values(account_key=key, window_started_at=now, attempts=1)
                                .on_conflict_do_nothing(index_elements=["account_key"])
                                .returning(table.c.account_key)).first()
            if made is not None:
                return None
    # Still changing under us after five looks: refuse this one attempt rather than let it by.
    return Locked(utcnow() + timedelta(minutes=1))


def clear(session: Session, email: str) -> None:
    """Forget ``email``'s failed attempts (it logged in, or its password was set by a link)."""
    with bookkeeping.connection(session) as conn:
        _clear(conn, email)


def clear_after_commit(session: Session, email: str) -> None:
    """``clear`` once the session's transaction has committed (never if it rolls back)."""
    bind = session.get_bind()

    def _now():
        with bind.begin() as conn:
            _clear(conn, email)
    hooks.on_commit(session, _now)


def _clear(conn, email: str) -> None:
    conn.execute(delete(LoginThrottle.__table__)
                 .where(LoginThrottle.__table__.c.account_key == account_key(email)))


def prune(session: Session) -> int:
    """Drop counts whose window has ended (``jobs run``); returns how many."""
    _limit, window = _settings()
    with bookkeeping.connection(session) as conn:
        return conn.execute(delete(LoginThrottle.__table__).where(
            LoginThrottle.__table__.c.window_started_at <= utcnow() - window)).rowcount
