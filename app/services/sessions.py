"""Browser sessions, held server-side, so that logging out really ends one.

Flask's session cookie is signed, not stored: on its own, a copied cookie would work until it
expires, whatever the user does. So each login makes a ``UserSession`` row and puts a random
session id in the cookie (the row keeps only its SHA-256). A request is logged in only while
that row is live: not revoked, used within ``SESSION_IDLE_MINUTES``, and younger than
``PERMANENT_SESSION_LIFETIME``. Logging out revokes the row; "sign out everywhere", a new
password, a role change and disabling the account revoke all of a user's rows (and change the
user's ``session_nonce``, the older mechanism, which stays as a second lock).

``last_seen_at`` is bookkeeping, not a fact an auditor needs: it is written at most once a
minute per session, in a short transaction of its own (``_touch``), never in the request's
transaction and never in the audit chain. Creating and revoking rows are ordinary changes.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ..models import User, UserSession
from ..models.accounts import new_session_nonce
from ..models.types import utcnow
from . import audit, bookkeeping

#: How stale ``last_seen_at`` may get before a request writes it again.
TOUCH_EVERY = timedelta(minutes=1)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(minutes=float(current_app.config["SESSION_IDLE_MINUTES"]))


def start(session: Session, user: User, *, user_agent: str = "") -> str:
    """A new session for ``user`` (who has just proved who they are); returns the id for the
    cookie. Flushes; the caller commits."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UserSession(user_id=user.id, token_hash=_digest(raw), created_at=now,
                            last_seen_at=now,
                            expires_at=now + current_app.permanent_session_lifetime,
                            user_agent=(user_agent or "")[:200]))
    session.flush()
    return raw


# Built once: every logged-in request runs it (the user and their session in one query).
_LIVE = (select(User, UserSession.id, UserSession.last_seen_at, UserSession.expires_at,
                UserSession.revoked_at)
         .join(UserSession, UserSession.user_id == User.id)
         .where(UserSession.token_hash == bindparam("digest"), User.id == bindparam("user")))


def live_user(session: Session, user_id: int, raw: str | None) -> User | None:
    """The user whose live session ``raw`` is, or None; notes the request (``last_seen_at``).
    (Whether the account may log in at all is the caller's to check.)"""
    if not raw or not isinstance(raw, str):
        return None
    row = session.execute(_LIVE, {"digest": _digest(raw), "user": user_id}).first()
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if now >= row.expires_at or now - row.last_seen_at > idle_limit():
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        _touch(session, row.id, now)
    return row.User


def _touch(session: Session, session_id: int, now: datetime) -> None:
    with bookkeeping.connection(session) as conn:
        conn.execute(update(UserSession).where(UserSession.id == session_id)
                     .values(last_seen_at=now))


def end(session: Session, raw: str | None) -> None:
    """Log out: revoke the session whose id is ``raw`` (if it still exists). Caller commits."""
    if not raw:
        return
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(raw)))
    if row is not None and row.revoked_at is None:
        audit.act_as(session, row.user)
        row.revoked_at = utcnow()
        session.flush()


def end_all(session: Session, user: User) -> int:
    """Sign ``user`` out everywhere: every session of theirs is revoked, and the old login
    id is changed too. Returns how many sessions were live. The caller set the actor, and
    commits."""
    now = utcnow()
    user.session_nonce = new_session_nonce()  # first: written with the user's other changes
    rows = session.scalars(select(UserSession).where(UserSession.user_id == user.id,
                                                     UserSession.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = now
    session.flush()
    return sum(1 for row in rows if row.expires_at > now)


@dataclass(frozen=True)
class SessionView:
    """A live session as its owner's page lists it."""
    id: int
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    is_current: bool


def live_sessions(session: Session, user: User, current_raw: str | None) -> list[SessionView]:
    now = utcnow()
    current = _digest(current_raw) if current_raw else None
    rows = session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
        UserSession.expires_at > now, UserSession.last_seen_at > now - idle_limit())
        .order_by(UserSession.last_seen_at.desc())).all()
    return [SessionView(r.id, r.created_at, r.last_seen_at, r.user_agent,
                        r.token_hash == current) for r in rows]
