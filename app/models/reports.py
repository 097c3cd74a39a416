"""Generated disclosure reports."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .enums import ReportScope, ReportStatus, enum_column
from .types import UTCDateTime, utcnow


class Report(db.Model):
    """A disclosure report: what it covered, the data it was made from, and the file's digest."""

    __tablename__ = "reports"
    __table_args__ = (CheckConstraint("progress BETWEEN 0 AND 100", name="progress_percent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    scope: Mapped[ReportScope] = mapped_column(enum_column(ReportScope, "report_scope"))
    #: The state code, payer id or volunteer id for a narrower scope.
    scope_value: Mapped[str | None] = mapped_column(String(60))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus, "report_status"),
                                                 default=ReportStatus.QUEUED)
    progress: Mapped[int] = mapped_column(default=0)
    rule_set_version: Mapped[str | None] = mapped_column(String(40))
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    audit_head_hash: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Path of the stored PDF, relative to the instance folder.
    file_path: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    requested_by: Mapped["User"] = relationship()  # noqa: F821
