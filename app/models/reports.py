"""Generated disclosure reports."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .enums import ReportScope, ReportStatus, enum_column
from .types import UTCDateTime, utcnow


class Report(db.Model):
    """A disclosure report: what it covered, the data it was made from, and the file's digest.

    A row is the server's record of issuing a PDF: ``sha256`` lets anyone who holds the file
    ask whether this server made it, and ``fingerprint`` whether the data has changed since.
    Rows with the same scope and fingerprint describe the same data, so a finished one is
    served again instead of rendering anew.
    """

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_percent"),
        # The cache lookup: same deployment, scope and data.
        Index("ix_reports_lookup", "deployment_id", "scope", "scope_value", "fingerprint"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    scope: Mapped[ReportScope] = mapped_column(enum_column(ReportScope, "report_scope"))
    #: The state code, payer id or volunteer id for a narrower scope.
    scope_value: Mapped[str | None] = mapped_column(String(60))
    #: How the scope read when the report was made ("State NC", "Payer Example Party").
    scope_label: Mapped[str] = mapped_column(String(300), default="")
    #: None when made from the command line.
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Who prepared it, as the PDF names them ("Name <email>", or --prepared-by's text).
    prepared_by: Mapped[str | None] = mapped_column(String(300))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus, "report_status"),
                                                 default=ReportStatus.QUEUED)
    progress: Mapped[int] = mapped_column(default=0)
    #: What a running job is doing now ("Rendering part 3 of 12").
    stage: Mapped[str] = mapped_column(String(200), default="")
    rule_set_version: Mapped[str | None] = mapped_column(String(40))
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    audit_head_hash: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Path of the stored PDF, relative to the instance folder.
    file_path: Mapped[str | None] = mapped_column(String(300))
    page_count: Mapped[int | None]
    byte_size: Mapped[int | None]
    #: The signing certificate's subject, or None for an unsigned PDF.
    signer: Mapped[str | None] = mapped_column(String(300))
    #: What made the file (report layout version and WeasyPrint's): a stored report is served
    #: again only if today's server would make it the same way.
    renderer: Mapped[str | None] = mapped_column(String(60))
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    requested_by: Mapped["User | None"] = relationship()  # noqa: F821
    deployment: Mapped["Deployment"] = relationship()  # noqa: F821

    @property
    def requested_by_label(self) -> str:
        if self.requested_by:
            return self.requested_by.email
        return f"{self.prepared_by} (command line)" if self.prepared_by else "command line"
