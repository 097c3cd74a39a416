"""Accounts: registration, passwords, roles and API tokens."""
from __future__ import annotations

import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Role, User, Volunteer
from ..models.types import utcnow
from . import audit, choices, common_passwords, sessions, staff, tokens
from .errors import EmailTaken, NotFound, PermissionDenied, ValidationFailed
from .validation import normalise_email

#: A few common passwords that pass a length check and are not in the shipped list
#: (``common_passwords``, which refuses 10,000 more and their variants).
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
    if lowered in _COMMON_PASSWORDS or len(set(password)) < 4 \
            or common_passwords.is_common(password):
        raise ValidationFailed("That password is too easy to guess: it is one of the most "
                               "common passwords (digits or symbols around it do not help). "
                               "A few unrelated words work well.", field="password")
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


def _check_name(full_name: str) -> None:
    if not full_name:
        raise ValidationFailed("Enter a name.", field="full_name")
    if len(full_name) > 200:
        raise ValidationFailed("A name is at most 200 characters.", field="full_name")


def create_user(session: Session, *, email: str, full_name: str, role: Role,
                password: str | None, actor: User | None, confirmed: bool = True) -> User:
    """Create an account (and a volunteer profile for the volunteer role).

    ``password`` None leaves the account without one (imports); it cannot log in until set.
    ``confirmed`` False (self-registration): it cannot log in until its address is confirmed.

    :raises ValidationFailed: bad email, name or weak password
    :raises EmailTaken: an account already has this email
    """
    audit.act_as(session, actor)
    email = normalise_email(email)
    full_name = (full_name or "").strip()
    _check_name(full_name)
    if password is not None:
        check_password_strength(password, email)
    if find_user(session, email) is not None:
        raise EmailTaken("An account with this email already exists.", field="email")
    user = User(email=email, full_name=full_name, role=role,
                password_hash=hash_password(password) if password is not None else None,
                email_confirmed_at=utcnow() if confirmed else None)
    session.add(user)
    if role is Role.VOLUNTEER:
        session.add(Volunteer(user=user))
    session.flush()
    return user


def register_volunteer(session: Session, *, email: str, full_name: str,
                       password: str) -> User | None:
    """Self-registration: always the volunteer role, attributed to the new account itself.

    The answer must not tell whether the address has an account, so both cases do the same
    work (a password hash, one message in the outbox) and the caller says the same thing:
    a new address gets an unconfirmed account and the link that confirms it; a taken one
    gets, instead, a message to its owner (nothing else changes). Returns the new account,
    or None for a taken address (the caller must not show the difference).

    :raises ValidationFailed: bad email, name or weak password (before anything else)
    """
    from . import password_links
    email = normalise_email(email)
    full_name = (full_name or "").strip()
    _check_name(full_name)
    check_password_strength(password, email)
    existing = find_user(session, email)
    if existing is not None:
        hash_password(password)  # the same time as a new account's hash
        if existing.is_active:
            audit.act_as(session, None)
            password_links.send_already_registered(session, existing)
        return None
    user = create_user(session, email=email, full_name=full_name, role=Role.VOLUNTEER,
                       password=password, actor=None, confirmed=False)
    audit.act_as(session, user)
    audit.record(session, "user.registered", "users", user.id, {"email": user.email})
    password_links.send_confirmation(session, user)
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
    """The active, confirmed user with these credentials, or None; never says which part was
    wrong (nor that an address is not confirmed yet: that would tell it has an account)."""
    user = find_user(session, email or "")
    hasher = _hasher()
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    try:
        hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active or not user.password_hash \
            or user.email_confirmed_at is None:
        return None
    audit.act_as(session, user)
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def set_password(session: Session, user: User, password: str, *, actor: User | None) -> None:
    """Set a new password and sign the user out of every session.

    :raises ValidationFailed: weak password
    """
    audit.act_as(session, actor)
    check_password_strength(password, user.email)
    user.password_hash = hash_password(password)
    sessions.end_all(session, user)


def set_active(session: Session, user: User, active: bool, *, actor: User | None) -> None:
    """Disable an account (it cannot log in; its sessions end and its API tokens are revoked)
    or enable it again.

    :raises PermissionDenied: an administrator disabling their own account
    """
    audit.act_as(session, actor)
    if not active and actor is not None and actor.id == user.id:
        raise PermissionDenied("You cannot disable your own account; another administrator "
                               "must.")
    user.is_active = bool(active)
    if not active:  # signed out everywhere at once
        sessions.end_all(session, user)
        tokens.revoke_all(session, user)
    session.flush()


def set_role(session: Session, user: User, role, *, actor: User | None) -> None:
    """Change a user's role. A volunteer profile is created when first needed. Their
    sessions end and their API tokens are revoked; an organiser's deployment memberships go.

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
    # New rights take effect at the next login; no token keeps the old role's reach.
    sessions.end_all(session, user)
    tokens.revoke_all(session, user)
    if role is not Role.ORGANISER:
        staff.forget_user(session, user)
    session.flush()


def issue_token(session: Session, user: User, *, actor: User | None, **options) -> str:
    """A new API token for ``user`` (see ``tokens.issue`` for ``name``, ``scopes``, ``days``)."""
    return tokens.issue(session, user, actor=actor, **options)


def issue_tokens_for_role(session: Session, role: Role, *, actor: User | None) -> list[tuple[str, str]]:
    """A new token for every active user of ``role``: [(email, token)]."""
    users = session.scalars(select(User).where(User.role == role, User.is_active)
                            .order_by(User.email)).all()
    return [(user.email, issue_token(session, user, actor=actor)) for user in users]
