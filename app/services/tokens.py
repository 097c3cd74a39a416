"""API tokens: issued with a name, a scope and an expiry; checked on every API request.

A token is ``tl_`` and 43 random characters; only its SHA-256 is stored. It authenticates
while it is not revoked, not expired, and its account is active; and it is good only for the
scopes it was issued with:

- ``claims``: claim, withdraw, accept a spot as a volunteer (``/api/v1/.../claims``), and
  read one's claim;
- ``claims:read``: only read one's claim (``GET /api/v1/.../claims/mine``), e.g. for a
  dashboard that must not be able to withdraw anyone;
- ``disclosure:read``: read a deployment's disclosure ledger (``/api/v1/.../disclosure``).

A new token gets, unless asked otherwise, the scope its account's role needs for everything
the role does through the API (``DEFAULT_SCOPES``) and
``API_TOKEN_DAYS`` of life, so ``users token EMAIL`` keeps giving a token that does what it
did before. A role change revokes every token of the account (``accounts.set_role``).
``last_used_at`` is bookkeeping written at most once a minute outside the request's
transaction (as ``sessions.last_seen_at``).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from ..models import ApiToken, Role, User
from ..models.types import utcnow
from . import audit, bookkeeping
from .errors import DomainError, NotFound, PermissionDenied, ValidationFailed

TOKEN_PREFIX = "tl_"  # nosec B105 - the visible prefix of API tokens, not a secret
#: scope → what it lets a token do (shown on the tokens page).
SCOPES = {"claims": "claim, withdraw and accept spots as a volunteer, and read your claim",
          "claims:read": "only read your claim",
          "disclosure:read": "read deployments' disclosure ledgers"}
#: A scope that includes another.
_INCLUDES = {"claims": {"claims:read"}}
#: The scopes each role can have.
ROLE_SCOPES = {Role.VOLUNTEER: ("claims", "claims:read"), Role.ORGANISER: ("disclosure:read",),
               Role.AUDITOR: ("disclosure:read",), Role.ADMIN: ("disclosure:read",)}
#: What a new token gets unless asked otherwise: all the role does through the API.
DEFAULT_SCOPES = {Role.VOLUNTEER: ("claims",), Role.ORGANISER: ("disclosure:read",),
                  Role.AUDITOR: ("disclosure:read",), Role.ADMIN: ("disclosure:read",)}
_TOUCH_EVERY = timedelta(minutes=1)


class TokenRefused(DomainError):
    """401: the request does not carry a token that works (the code says why)."""
    code = "unauthorized"
    status = 401


class TokenExpired(TokenRefused):
    code = "token_expired"


class TokenRevoked(TokenRefused):
    code = "token_revoked"


class InsufficientScope(PermissionDenied):
    code = "insufficient_scope"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def default_days() -> int:
    return int(current_app.config["API_TOKEN_DAYS"])


def check_scopes(user: User, scopes) -> list[str]:
    """``scopes`` (None: the role's default), checked against what the role can have.

    :raises ValidationFailed: an unknown scope, or one the account's role cannot use
    """
    allowed = ROLE_SCOPES[user.role]
    wanted = list(DEFAULT_SCOPES[user.role]) if not scopes else sorted(set(scopes))
    for scope in wanted:
        if scope not in SCOPES:
            raise ValidationFailed(f"{scope!r} is not a scope; there are "
                                   f"{', '.join(SCOPES)}.", field="scope")
        if scope not in allowed:
            raise ValidationFailed(f"A {user.role.label.lower()}'s token cannot have the scope "
                                   f"{scope!r} (it can have: {', '.join(allowed)}).",
                                   field="scope")
    return wanted


def issue(session: Session, user: User, *, actor: User | None, name: str = "",
          scopes=None, days: int | None = None) -> str:
    """Create a token for ``user`` and return it (shown once; only its hash is kept).

    :raises ValidationFailed: a bad scope (see ``check_scopes``), a lifetime out of range,
        a name over 100 characters, or a disabled account
    """
    audit.act_as(session, actor)
    if not user.is_active:
        raise ValidationFailed(f"{user.email} is disabled: it cannot have tokens.")
    name = (name or "").strip()
    if len(name) > 100:
        raise ValidationFailed("A token's name is at most 100 characters.", field="name")
    days = default_days() if days is None else int(days)
    most = int(current_app.config["API_TOKEN_MAX_DAYS"])
    if not 1 <= days <= most:
        raise ValidationFailed(f"A token lives from 1 to {most} days.", field="days")
    scope = " ".join(check_scopes(user, scopes))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    session.add(ApiToken(user=user, token_hash=_digest(raw), prefix=raw[:10], name=name,
                         scope=scope, created_at=now, expires_at=now + timedelta(days=days)))
    session.flush()
    return raw


# One query for the token, its user and (for volunteers) their profile; built once, as every
# API request runs it.
_BY_DIGEST = (select(ApiToken).options(joinedload(ApiToken.user).joinedload(User.volunteer))
              .where(ApiToken.token_hash == bindparam("digest")))


def authenticate(session: Session, raw: str | None) -> ApiToken:
    """The working token ``raw`` is (its ``user`` loaded); notes its use.

    :raises TokenRefused: no such token (or a disabled account)
    :raises TokenRevoked: revoked (by its holder, an admin, or a role change)
    :raises TokenExpired: past its expiry
    """
    if not raw or not raw.startswith(TOKEN_PREFIX):
        raise TokenRefused("Send a valid API token as 'Authorization: Bearer TOKEN'.")
    token = session.scalar(_BY_DIGEST, {"digest": _digest(raw)})
    if token is None or not token.user.is_active:
        raise TokenRefused("Send a valid API token as 'Authorization: Bearer TOKEN'.")
    if token.revoked_at is not None:
        raise TokenRevoked("This token was revoked. Ask for a new one.")
    now = utcnow()
    if now >= token.expires_at:
        raise TokenExpired(f"This token expired on {token.expires_at:%Y-%m-%d}. Ask for a new "
                           "one.")
    if token.last_used_at is None or now - token.last_used_at >= _TOUCH_EVERY:
        with bookkeeping.connection(session) as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == token.id)
                         .values(last_used_at=now))
    return token


def require_scope(token: ApiToken, scope: str) -> None:
    """:raises InsufficientScope: ``token`` was not issued for ``scope``"""
    held = set(token.scopes)
    if scope not in held and not any(scope in _INCLUDES.get(h, ()) for h in held):
        raise InsufficientScope(f"This token's scope ({token.scope}) does not include "
                                f"{scope!r}, which this request needs.")


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """Every token of ``user``, the newest first (revoked and expired ones too)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.id.desc())))


def revoke(session: Session, user: User, token_id: int, *, actor: User | None) -> ApiToken:
    """Revoke one of ``user``'s tokens.

    :raises NotFound: ``user`` has no such token
    """
    audit.act_as(session, actor)
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id,
                                                  ApiToken.user_id == user.id))
    if token is None:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def revoke_all(session: Session, user: User) -> int:
    """Revoke every working token of ``user``; returns how many. The caller set the actor."""
    now = utcnow()
    live = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                  ApiToken.revoked_at.is_(None))).all()
    for token in live:
        token.revoked_at = now
    session.flush()
    return len(live)


@dataclass(frozen=True)
class TokenState:
    label: str
    working: bool


def state(token: ApiToken, now: datetime | None = None) -> TokenState:
    now = now or utcnow()
    if token.revoked_at is not None:
        return TokenState(f"revoked {token.revoked_at:%Y-%m-%d}", False)
    if now >= token.expires_at:
        return TokenState(f"expired {token.expires_at:%Y-%m-%d}", False)
    return TokenState(f"works until {token.expires_at:%Y-%m-%d}", True)
