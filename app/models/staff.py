"""Who runs which deployment: organisers are staff of the deployments they run."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class StaffMembership(db.Model):
    """An organiser on the staff of one deployment: they may see and change it; an organiser
    of another deployment may not. Admins run every deployment and auditors read every one
    without a membership (see ``services.staff``). One row per organiser and deployment."""

    __tablename__ = "deployment_staff"
    __table_args__ = (UniqueConstraint("deployment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The admin (or organiser creating the deployment) who added them; None: the system
    #: (the upgrade that made every organiser staff of every deployment, the CLI, the demo).
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    deployment: Mapped["Deployment"] = relationship()  # noqa: F821
