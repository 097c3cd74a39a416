"""People who log in, and the API tokens they hold."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .enums import Role, enum_column
from .types import UTCDateTime, utcnow


def new_session_nonce() -> str:
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    """An account. Its role decides which areas of the site it may enter."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    #: Argon2id hash; None for an account imported from a spreadsheet that has not set one yet.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Part of the login id kept in the session: changing it signs the user out everywhere.
    session_nonce: Mapped[str] = mapped_column(String(32), default=new_session_nonce)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the owner proved the address is theirs. Self-registered accounts start without
    #: it and cannot log in until the emailed link is opened (or a password is set by a
    #: link); accounts an admin, an import or the CLI made start with it.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    volunteer: Mapped["Volunteer | None"] = relationship(back_populates="user")  # noqa: F821

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored.

    It works while it is not revoked, not past ``expires_at``, its account is active, and only
    for what its ``scope`` names (``services.tokens.SCOPES``); a role change revokes it.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters of the token, so a person can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    #: What the holder calls it ("phone bank laptop").
    name: Mapped[str] = mapped_column(String(100), default="")
    #: Space-separated scopes, e.g. "claims" or "disclosure:read".
    scope: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Kept to the minute (bookkeeping written outside the request's transaction).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()


class UserSession(db.Model):
    """A browser session, held server-side: the session cookie carries a random id whose
    SHA-256 is ``token_hash``. A request is logged in only while its row is not revoked (log
    out, sign out everywhere, password or role change), has seen a request within the idle
    timeout and is younger than the session lifetime."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The last request, to the minute (written outside the request's transaction).
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The browser, so a person can tell their sessions apart.
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """Failed logins per account in a window, shared by every worker and instance.

    ``account_key`` is the SHA-256 of the email as typed (lower case), whether or not an
    account has it, so a locked answer tells nothing about which addresses exist. Written
    only by ``services.throttle``, with atomic UPDATEs in transactions of their own.
    """

    __tablename__ = "login_throttles"
    __table_args__ = (CheckConstraint("attempts >= 0", name="attempts_not_negative"),)

    account_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Attempts counted in the window (each before its password is checked; a success clears).
    attempts: Mapped[int] = mapped_column(default=0)
