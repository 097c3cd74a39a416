"""Messages to volunteers: written to the outbox in the same transaction as the change,
sent by SMTP afterwards when a server is configured (MAIL_SERVER)."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Notification, Role, Signup, StaffMembership, User, Volunteer
from ..models.types import utcnow

logger = logging.getLogger(__name__)

_SUBJECTS = {
    "confirmation": "Your spot in {state} is confirmed",
    "pending_approval": "Your claim for {state} is waiting for an organiser",
    "waitlisted": "You are on the {state} waitlist (position {position})",
    "offer": "A spot in {state} is yours if you accept by {expires}",
    "offer_expired": "Your offer for {state} has expired",
    "approval": "Your claim for {state} was approved",
    "rejection": "Your claim for {state} was not approved",
    "cancellation": "Your sign-up for {state} was cancelled",
    "withdrawal": "You withdrew from {state}",
    "moved": "You have been moved to {state}",
}

_BODIES = {
    "confirmation": "You hold a spot in {state} for {deployment}, {arrive} to {depart}, as {role}.",
    "pending_approval": "Your claim for {state} ({deployment}) holds a spot until an organiser "
                        "approves or rejects it.",
    "waitlisted": "{state} is full for {deployment}. You are number {position} on the "
                  "waitlist; we will offer you a spot when one frees up.",
    "offer": "A spot in {state} for {deployment} has freed up and is offered to you until "
             "{expires}. Accept it from your page; if you do not, it goes to the next person.",
    "offer_expired": "The spot offered to you in {state} for {deployment} was not accepted in "
                     "time and has gone to the next person in line.",
    "approval": "An organiser approved your claim: you hold a spot in {state} for {deployment}.",
    "rejection": "An organiser did not approve your claim for {state} ({deployment}). "
                 "Reason: {reason}",
    "cancellation": "An organiser cancelled your sign-up for {state} ({deployment}). "
                    "Reason: {reason}",
    "withdrawal": "You withdrew from {state} ({deployment}). You can claim again while spots "
                  "remain.",
    "moved": "An organiser moved your sign-up for {deployment} to {state}.",
}


def notify_signup(session: Session, signup: Signup, kind: str, *, position: int | None = None,
                  reason: str = "", write=None) -> Notification:
    """Put a message about ``signup`` in the outbox.

    ``write(session, Notification, **columns)`` inserts it straight away (``hooks.insert``, on
    the claim's hot path); by default the message is added to the session for its next flush.
    """
    placement = signup.placement
    user = signup.volunteer.user
    fields = {"state": placement.state_code, "deployment": placement.deployment.name,
              "arrive": signup.arrive_on.isoformat(), "depart": signup.depart_on.isoformat(),
              "role": signup.role.label.lower(), "position": position or "",
              "reason": reason or signup.cancel_reason or "not given",
              "expires": signup.offer_expires_at.strftime("%-d %b %Y %H:%M UTC")
              if signup.offer_expires_at else ""}
    columns = dict(user_id=user.id, to_email=user.email, kind=kind, signup_id=signup.id,
                   subject=_SUBJECTS[kind].format(**fields), body=_BODIES[kind].format(**fields),
                   created_at=utcnow(), sent_at=None, last_error=None)
    if write is not None:
        return write(session, Notification, **columns)
    message = Notification(**columns)
    session.add(message)
    return message


def outbox(session: Session, limit: int = 200, *, reader: User | None = None) -> list[Notification]:
    """The latest messages ``reader`` may read (None: all of them, for the CLI).

    Admins read every message. Others never read messages to staff accounts (a password
    link for an admin read by an organiser would make them admin), and an organiser reads
    only messages to volunteers of the deployments they are staff of.
    """
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if reader is not None and reader.role is not Role.ADMIN:
        query = query.join(User, User.id == Notification.user_id) \
            .where(User.role == Role.VOLUNTEER)
        if reader.role is Role.ORGANISER:
            theirs = (select(Volunteer.user_id)
                      .join(Signup, Signup.volunteer_id == Volunteer.id)
                      .join(StaffMembership,
                            StaffMembership.deployment_id == Signup.deployment_id)
                      .where(StaffMembership.user_id == reader.id))
            query = query.where(Notification.user_id.in_(theirs))
    return list(session.scalars(query))


def deliver_pending(session: Session, limit: int = 500) -> int:
    """Send unsent messages by SMTP, if configured; returns how many went. Caller commits."""
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        return 0
    pending = session.scalars(select(Notification).where(Notification.sent_at.is_(None))
                              .order_by(Notification.id).limit(limit)).all()
    if not pending:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT", 25)), timeout=10) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            for message in pending:
                try:
                    smtp.send_message(_email(message, cfg["MAIL_FROM"]))
                except smtplib.SMTPException as exc:
                    message.last_error = str(exc)[:500]
                else:
                    message.sent_at = utcnow()
                    message.last_error = None
                    sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("SMTP server %s unavailable: %s", cfg["MAIL_SERVER"], exc)
        for message in pending:
            if message.sent_at is None:
                message.last_error = f"SMTP unavailable: {exc}"[:500]
    session.flush()
    return sent


def _email(message: Notification, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_email
    email["Subject"] = message.subject
    email.set_content(message.body)
    return email
