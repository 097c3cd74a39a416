"""The compliance engine's findings, the auditors' reviews of them, and the rule set in force."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (JSON, CheckConstraint, ForeignKey, Index, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .enums import FindingCode, ReviewAction, StrEnum, enum_column
from .types import Money, UTCDateTime, utcnow


class FindingPriority(StrEnum):
    """Order within a code in the review queue (an unknown payer for a foreign national first)."""
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class Finding(db.Model):
    """One code given by one rule to one cost line or one sign-up's role.

    Findings are derived and can always be recomputed. ``key`` is stable across recomputation
    (subject, rule and code), so a finding keeps its id and its reviews; ``facts_hash`` changes
    when the facts under it change, which sends a reviewed finding back to the queue.
    """

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("deployment_id", "key"),
        # A finding is about a cost line, a sign-up's role, or (neither) a volunteer as a whole.
        CheckConstraint("cost_id IS NULL OR signup_id IS NULL", name="one_subject"),
        Index("ix_findings_deployment_code", "deployment_id", "code"),
        # The review queue: a deployment's current findings, most severe first.
        Index("ix_findings_queue", "deployment_id", "is_current", "severity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    key: Mapped[str] = mapped_column(String(120))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    # A deleted line or sign-up leaves its findings (and their reviews) as history.
    cost_id: Mapped[int | None] = mapped_column(ForeignKey("costs.id", ondelete="SET NULL"),
                                                index=True)
    signup_id: Mapped[int | None] = mapped_column(ForeignKey("signups.id", ondelete="SET NULL"),
                                                  index=True)
    code: Mapped[FindingCode] = mapped_column(enum_column(FindingCode, "finding_code"))
    severity: Mapped[int]
    priority: Mapped[FindingPriority] = mapped_column(
        enum_column(FindingPriority, "finding_priority"), default=FindingPriority.NORMAL)
    rule_id: Mapped[str] = mapped_column(String(20))
    rule_set_version: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    citation: Mapped[str] = mapped_column(Text)
    #: The part of the line this code applies to (e.g. only the excess over a threshold).
    amount_usd: Mapped[Decimal | None] = mapped_column(Money())
    facts_hash: Mapped[str] = mapped_column(String(64))
    #: Digest of everything the row says: recomputation rewrites only rows whose digest moved.
    row_hash: Mapped[str] = mapped_column(String(64), default="")
    #: The facts the rule saw (for people: the queue and the finding's page show them).
    facts: Mapped[dict | None] = mapped_column(JSON)
    #: Where the volunteer serves, and who paid: copied for the queue's filters.
    state_code: Mapped[str | None] = mapped_column(String(2))
    payer_kind: Mapped[str | None] = mapped_column(String(20))
    #: False once the facts no longer produce this finding; kept for its reviews' history.
    is_current: Mapped[bool] = mapped_column(default=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    reviews: Mapped[list[FindingReview]] = relationship(
        back_populates="finding", order_by="FindingReview.created_at")
    volunteer: Mapped["Volunteer"] = relationship()  # noqa: F821


class FindingReview(db.Model):
    """An auditor's decision on a finding, tied to the facts it was made on."""

    __tablename__ = "finding_reviews"
    __table_args__ = (CheckConstraint("length(trim(reason)) > 0 OR action = 'acknowledge'",
                                      name="reason_required"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[ReviewAction] = mapped_column(enum_column(ReviewAction, "review_action"))
    reason: Mapped[str] = mapped_column(Text, default="")
    #: The finding's facts_hash when reviewed; a different one now means "facts changed".
    facts_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    finding: Mapped[Finding] = relationship(back_populates="reviews")
    reviewer: Mapped["User"] = relationship()  # noqa: F821


class RuleSetActivation(db.Model):
    """A rule set put in force. The latest row is the one the engine applies.

    The whole document is kept, so a version's rules can be shown (and findings explained)
    exactly as they were, even after the file shipped with the app changes.
    """

    __tablename__ = "rule_set_activations"
    __table_args__ = (CheckConstraint("length(sha256) = 64", name="sha256_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40))
    #: SHA-256 of the document's canonical JSON.
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    activated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
