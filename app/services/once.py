"""Once is once: a form submitted twice (back button, double click, a retried request)
saves one record.

Each rendered create-form carries a one-time token (``new_token``). Saving records the token
with what it made (``remember``), in the same transaction; a second submission with the same
token finds it (``already``) and is told where the first one's record is. Two copies arriving
at the same moment cannot both save: the token is unique, so the second transaction fails at
its commit and then finds the first's record (``views.common.commit_once``).
"""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import FormSubmission

#: Tokens are URL-safe text of this many random bytes.
_BYTES = 24


def new_token() -> str:
    return secrets.token_urlsafe(_BYTES)


def already(session: Session, token: str | None, kind: str) -> int | None:
    """The record a submission with ``token`` already made, if any."""
    if not token:
        return None
    return session.scalar(select(FormSubmission.record_id)
                          .where(FormSubmission.token == token[:64],
                                 FormSubmission.kind == kind))


def remember(session: Session, token: str | None, kind: str, record_id: int) -> None:
    """Note that the submission with ``token`` made ``record_id`` (flushed with it)."""
    if token:
        session.add(FormSubmission(token=token[:64], kind=kind, record_id=record_id))
        session.flush()
