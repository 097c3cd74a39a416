"""Accounts: registration, passwords, roles and API tokens."""
from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from ..models import ApiToken, Role, User, Volunteer
from ..models.accounts import new_session_nonce
from ..models.types import utcnow
from . import audit, choices
from .errors import EmailTaken, NotFound, PermissionDenied, ValidationFailed
from .validation import normalise_email

TOKEN_PREFIX = "tl_"  # nosec B105 - the visible prefix of API tokens, not a secret
#: A handful of the most common passwords that pass a length check.
_COMMON_PASSWORDS = {"password1234", "123456789012", "qwertyuiopas", "passwordpassword",
                     "iloveyou1234", "letmein12345", "administrator", "changeme1234"}


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"],
                          parallelism=cfg["ARGON2_PARALLELISM"], type=Type.ID)


def check_password_strength(password: str, email: str = "") -> None:
    """:raises ValidationFailed: with a reason a person can act on."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password or "") < minimum:
        raise ValidationFailed(f"Use at least {minimum} characters.", field="password")
    lowered = password.lower()
    if lowered in _COMMON_PASSWORDS or len(set(password)) < 4:
        raise ValidationFailed("That password is too easy to guess.", field="password")
    local_part = email.split("@")[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        raise ValidationFailed("Don't build the password from your email address.",
                               field="password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def get_user_by_id(session: Session, user_id: int) -> User:
    """:raises NotFound: no such account"""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def all_users(session: Session) -> list[User]:
    """Every account, by role and email (the administrators' list)."""
    return list(session.scalars(select(User).order_by(User.role, User.email)))


def get_user(session: Session, email: str) -> User:
    """:raises NotFound: no account has that email."""
    user = find_user(session, email)
    if user is None:
        raise NotFound(f"No account with the email {email!r}.")
    return user


def create_user(session: Session, *, email: str, full_name: str, role: Role,
                password: str | None, actor: User | None) -> User:
    """Create an account (and a volunteer profile for the volunteer role).

    ``password`` None leaves the account without one (imports); it cannot log in until set.

    :raises ValidationFailed: bad email, name or weak password
    :raises EmailTaken: an account already has this email
    """
    audit.act_as(session, actor)
    email = normalise_email(email)
    full_name = (full_name or "").strip()
    if not full_name:
        raise ValidationFailed("Enter a name.", field="full_name")
    if len(full_name) > 200:
        raise ValidationFailed("A name is at most 200 characters.", field="full_name")
    if password is not None:
        check_password_strength(password, email)
    if find_user(session, email) is not None:
        raise EmailTaken("An account with this email already exists.", field="email")
    user = User(email=email, full_name=full_name, role=role,
                password_hash=hash_password(password) if password is not None else None)
    session.add(user)
    if role is Role.VOLUNTEER:
        session.add(Volunteer(user=user))
    session.flush()
    return user


def register_volunteer(session: Session, *, email: str, full_name: str, password: str) -> User:
    """Self-registration: always the volunteer role, attributed to the new account itself."""
    user = create_user(session, email=email, full_name=full_name, role=Role.VOLUNTEER,
                       password=password, actor=None)
    audit.act_as(session, user)
    audit.record(session, "user.registered", "users", user.id, {"email": user.email})
    return user


# A real hash to check against when the email is unknown, so both paths cost the same time.
_DUMMY_HASH_CACHE: dict[tuple, str] = {}


def _dummy_hash() -> str:
    key = tuple(current_app.config[k] for k in
                ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM"))
    if key not in _DUMMY_HASH_CACHE:
        _DUMMY_HASH_CACHE[key] = hash_password(secrets.token_hex(16))
    return _DUMMY_HASH_CACHE[key]


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None; never says which part was wrong."""
    user = find_user(session, email or "")
    hasher = _hasher()
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    try:
        hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active or not user.password_hash:
        return None
    audit.act_as(session, user)
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def set_password(session: Session, user: User, password: str, *, actor: User | None) -> None:
    """Set a new password and sign the user out of every other session.

    :raises ValidationFailed: weak password
    """
    audit.act_as(session, actor)
    check_password_strength(password, user.email)
    user.password_hash = hash_password(password)
    user.session_nonce = new_session_nonce()
    session.flush()


def set_active(session: Session, user: User, active: bool, *, actor: User | None) -> None:
    """Disable an account (it cannot log in, its sessions and API use end) or enable it again.

    :raises PermissionDenied: an administrator disabling their own account
    """
    audit.act_as(session, actor)
    if not active and actor is not None and actor.id == user.id:
        raise PermissionDenied("You cannot disable your own account; another administrator "
                               "must.")
    user.is_active = bool(active)
    if not active:
        user.session_nonce = new_session_nonce()  # signed out everywhere at once
    session.flush()


def set_role(session: Session, user: User, role, *, actor: User | None) -> None:
    """Change a user's role. A volunteer profile is created when first needed.

    :raises PermissionDenied: an administrator changing their own role (another one must:
        the last administrator cannot lock everyone out)
    :raises ValidationFailed: not a role
    """
    audit.act_as(session, actor)
    role = choices.parse(Role, role, field="role", what="role")
    if actor is not None and actor.id == user.id:
        raise PermissionDenied("You cannot change your own role; ask another administrator.")
    user.role = role
    if role is Role.VOLUNTEER and user.volunteer is None:
        session.add(Volunteer(user=user))
    user.session_nonce = new_session_nonce()  # new rights take effect at the next login
    session.flush()


def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(session: Session, user: User, *, actor: User | None) -> str:
    """Create an API token for ``user`` and return it; only its hash is kept."""
    audit.act_as(session, actor)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=_token_digest(raw), prefix=raw[:10]))
    session.flush()
    return raw


def issue_tokens_for_role(session: Session, role: Role, *, actor: User | None) -> list[tuple[str, str]]:
    """A new token for every active user of ``role``: [(email, token)]."""
    users = session.scalars(select(User).where(User.role == role, User.is_active)
                            .order_by(User.email)).all()
    return [(user.email, issue_token(session, user, actor=actor)) for user in users]


# One query for the token, its user and (for volunteers) their profile; built once, as every
# API request runs it.
_BY_TOKEN = (select(User).join(ApiToken, ApiToken.user_id == User.id)
             .options(joinedload(User.volunteer))
             .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None),
                    User.is_active))


def user_for_token(session: Session, raw: str) -> User | None:
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    return session.scalar(_BY_TOKEN, {"digest": _token_digest(raw)})
