"""Places to sleep and who sleeps there, night by night."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .enums import AccommodationKind, CostSplit, enum_column
from .types import Money, UTCDateTime, utcnow


class Accommodation(db.Model):
    """A place to stay with a number of beds; its payer and its arranger are kept apart."""

    __tablename__ = "accommodations"
    __table_args__ = (
        CheckConstraint("beds > 0", name="beds_positive"),
        CheckConstraint("nightly_cost >= 0", name="nightly_cost_nonnegative"),
        CheckConstraint("length(currency) = 3", name="currency_iso4217"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AccommodationKind] = mapped_column(
        enum_column(AccommodationKind, "accommodation_kind"))
    address: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state_code: Mapped[str] = mapped_column(String(2))
    beds: Mapped[int]
    nightly_cost: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    cost_split: Mapped[CostSplit] = mapped_column(enum_column(CostSplit, "cost_split"),
                                                  default=CostSplit.PER_BED)
    payer_id: Mapped[int] = mapped_column(ForeignKey("payers.id"))
    arranged_by_id: Mapped[int | None] = mapped_column(ForeignKey("payers.id"))
    #: The host's own home (residential-premises exemption), not a let.
    is_host_residence: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    deployment: Mapped["Deployment"] = relationship()  # noqa: F821
    payer: Mapped["Payer"] = relationship(foreign_keys=[payer_id])  # noqa: F821
    arranged_by: Mapped["Payer | None"] = relationship(foreign_keys=[arranged_by_id])  # noqa: F821
    stays: Mapped[list[Stay]] = relationship(back_populates="accommodation")


class Stay(db.Model):
    """A sign-up in an accommodation for the nights from check-in up to (not including) check-out."""

    __tablename__ = "stays"
    __table_args__ = (CheckConstraint("check_out > check_in", name="at_least_one_night"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    signup_id: Mapped[int] = mapped_column(ForeignKey("signups.id"), index=True)
    accommodation_id: Mapped[int] = mapped_column(ForeignKey("accommodations.id"), index=True)
    check_in: Mapped[date]
    check_out: Mapped[date]
    #: Why the volunteer sleeps in another state than their sign-up's (required then; shown
    #: to auditors).
    other_state_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    accommodation: Mapped[Accommodation] = relationship(back_populates="stays")
    signup: Mapped["Signup"] = relationship()  # noqa: F821
