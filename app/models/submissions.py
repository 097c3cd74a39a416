"""Forms already saved: a rendered form's one-time token and the record its submission made."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class FormSubmission(db.Model):
    """A form submission that saved something: the same token again is the same submission
    (back button, double click, a retried request), answered with what it made."""

    __tablename__ = "form_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The token rendered into the form; unique, so two concurrent copies cannot both save.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    #: What the form makes ("cost", …) and the id of the record it made.
    kind: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
