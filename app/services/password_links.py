"""Links that let a person set their password: an invitation (an account an organiser or an
import made, with no password yet) and a password reset ("Forgot your password?"); and the
link that confirms a self-registered account's address.

A link carries an itsdangerous timed signature (the app's SECRET_KEY, a salt of its own) over
the user's id and a fingerprint of their current password hash and session nonce. Setting a
password changes both (``accounts.set_password``), so a link works once; a link older than its
purpose allows (an hour for a reset, a week for an invitation) is refused as expired. The
message goes to the outbox like every other (sent by SMTP when configured; otherwise the
outbox page shows it, link included, to the organiser).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from ..models import Notification, User
from ..models.types import utcnow
from . import accounts, audit, throttle
from .errors import DomainError


@dataclass(frozen=True)
class Purpose:
    name: str
    endpoint: str
    max_age_setting: str
    default_max_age: int
    subject: str
    body: str


RESET = Purpose(
    "reset", "auth.reset_password", "PASSWORD_RESET_MAX_AGE", 3600,
    "Set a new TripLedger password",
    "Someone (we hope you) asked to set a new password for {email}. Open this link within "
    "an hour to choose one; it works once:\n\n{link}\n\nIf it was not you, ignore this "
    "message: your password stays as it is.")
INVITE = Purpose(
    "invite", "auth.accept_invitation", "INVITATION_MAX_AGE", 7 * 24 * 3600,
    "You are invited to TripLedger",
    "{inviter} has added you, {name}, to TripLedger, where volunteer deployments and who pays "
    "for them are kept. Open this link within a week to choose your password; it works "
    "once:\n\n{link}\n\nThen log in with {email}. If the link has expired, use \"Forgot your "
    "password?\" on the login page.")


CONFIRM = Purpose(
    "confirm", "auth.confirm_email", "CONFIRMATION_MAX_AGE", 7 * 24 * 3600,
    "Confirm your TripLedger account",
    "Welcome, {name}. To finish creating your TripLedger account for {email}, open this link "
    "within a week:\n\n{link}\n\nThen log in with this address and the password you chose. "
    "If you did not ask for an account, ignore this message: none is made without the link.")
#: Sent instead of CONFIRM when someone registers with an address that has an account.
ALREADY_REGISTERED = (
    "Someone (we hope you) tried to create a TripLedger account for {email}, which already has "
    "one. Nothing was changed.\n\nTo log in: {login}\n\nForgot your password? This link sets "
    "a new one within an hour, once:\n\n{link}\n\nIf it was not you, ignore this message.")


class LinkRefused(DomainError):
    code = "link_refused"
    status = 400


def _serializer(purpose: Purpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key,
                                  salt=f"tripledger-password-link-{purpose.name}")


def _fingerprint(user: User) -> str:
    """Changes whenever a password is set (hash and session nonce both change)."""
    return hashlib.sha256(f"{user.password_hash or ''}|{user.session_nonce}".encode()
                          ).hexdigest()[:20]


def token_for(user: User, purpose: Purpose) -> str:
    return _serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user)})


def link_for(user: User, purpose: Purpose) -> str:
    return _page_link(purpose.endpoint, token=token_for(user, purpose))


def _page_link(endpoint: str, **values) -> str:
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = str(current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def user_for(session: Session, token: str, purpose: Purpose) -> User:
    """The user a link is for, if it is still good.

    :raises LinkRefused: expired, altered, already used, or for a disabled account
    """
    max_age = int(current_app.config.get(purpose.max_age_setting, purpose.default_max_age))
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkRefused("This link has expired. Ask for a new one: \"Forgot your password?\" "
                          "on the login page sends one.") from None
    except BadSignature:
        raise LinkRefused("This link is not valid (it may have been cut short when copied). "
                          "Ask for a new one from the login page.") from None
    user = session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.is_active:
        raise LinkRefused("This link is not valid any more. Ask for a new one from the login "
                          "page.")
    if data.get("f") != _fingerprint(user):
        raise LinkRefused("This link has been used already (a password was set since). If "
                          "you need another, use \"Forgot your password?\" on the login page.")
    return user


def set_password_by_link(session: Session, token: str, purpose: Purpose,
                         password: str) -> User:
    """Check the link and set the password (which spends the link). The link came to the
    address, so the address is confirmed too, and its failed logins are forgotten (once the
    new password is committed).

    :raises LinkRefused: see ``user_for``
    :raises ValidationFailed: a weak password
    """
    user = user_for(session, token, purpose)
    accounts.set_password(session, user, password, actor=user)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        session.flush()
    throttle.clear_after_commit(session, user.email)
    return user


def confirm_by_link(session: Session, token: str) -> User:
    """Confirm a self-registered account's address from the emailed link (again: harmless).

    :raises LinkRefused: see ``user_for``
    """
    user = user_for(session, token, CONFIRM)
    if user.email_confirmed_at is None:
        audit.act_as(session, user)
        user.email_confirmed_at = utcnow()
        session.flush()
    return user


def send_confirmation(session: Session, user: User) -> Notification:
    """The link a self-registered account needs before it can log in."""
    return _send(session, user, CONFIRM)


def send_already_registered(session: Session, user: User) -> Notification:
    """Tell an account's owner that someone tried to register with their address, with a
    link to set a new password (the same message whoever tried)."""
    body = ALREADY_REGISTERED.format(email=user.email, login=_page_link("auth.login"),
                                     link=link_for(user, RESET))
    message = Notification(user_id=user.id, to_email=user.email, kind="already_registered",
                           subject="Your TripLedger account", body=body, created_at=utcnow(),
                           sent_at=None, last_error=None)
    session.add(message)
    session.flush()
    return message


def _send(session: Session, user: User, purpose: Purpose, **fields) -> Notification:
    message = Notification(
        user_id=user.id, to_email=user.email, kind=f"password_{purpose.name}"[:30],
        subject=purpose.subject,
        body=purpose.body.format(link=link_for(user, purpose), email=user.email,
                                 name=user.full_name, **fields),
        created_at=utcnow(), sent_at=None, last_error=None)
    session.add(message)
    session.flush()
    return message


def request_reset(session: Session, email: str) -> None:
    """Send a reset link if an active account has ``email``; say nothing either way (the
    caller answers the same whether or not the address exists)."""
    user = accounts.find_user(session, email or "")
    if user is None or not user.is_active:
        return
    audit.act_as(session, None)
    _send(session, user, RESET)


def invite(session: Session, user: User, *, actor: User | None) -> Notification:
    """Send ``user`` an invitation to choose a password (again, for a resend)."""
    audit.act_as(session, actor)
    inviter = actor.full_name if actor is not None else "An organiser"
    return _send(session, user, INVITE, inviter=inviter)
