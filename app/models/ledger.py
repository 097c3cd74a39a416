"""Who pays, what was paid, and the exchange rates that turn it into US dollars."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .enums import CostCategory, CostOrigin, OrganisationType, PayerKind, enum_column
from .types import Money, Rate, UTCDateTime, utcnow


class Payer(db.Model):
    """Someone who pays for, or arranges, things of value. Kept per deployment."""

    __tablename__ = "payers"
    __table_args__ = (
        UniqueConstraint("deployment_id", "name"),
        CheckConstraint("country IS NULL OR length(country) = 2", name="country_alpha2"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PayerKind] = mapped_column(enum_column(PayerKind, "payer_kind"))
    #: Only for US organisations: a corporation, union or federal contractor is a prohibited source.
    organisation_type: Mapped[OrganisationType | None] = mapped_column(
        enum_column(OrganisationType, "organisation_type"))
    country: Mapped[str | None] = mapped_column(String(2))
    #: Postal address, for the FEC export (a contributor is itemised with it). Lengths are the
    #: FEC's: street 34, city 30, USPS state 2, ZIP 5 or 9 digits.
    street_1: Mapped[str | None] = mapped_column(String(34))
    street_2: Mapped[str | None] = mapped_column(String(34))
    city: Mapped[str | None] = mapped_column(String(30))
    state: Mapped[str | None] = mapped_column(String(2))
    zip: Mapped[str | None] = mapped_column(String(9))
    #: A paying political or party committee's FEC id ("C" and eight digits).
    fec_committee_id: Mapped[str | None] = mapped_column(String(9))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExchangeRate(db.Model):
    """How many US dollars one unit of a currency was worth on a day, and where that came from."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        UniqueConstraint("currency", "rate_on"),
        CheckConstraint("usd_per_unit > 0", name="rate_positive"),
        CheckConstraint("length(currency) = 3", name="currency_iso4217"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    rate_on: Mapped[date]
    usd_per_unit: Mapped[Decimal] = mapped_column(Rate())
    source: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Cost(db.Model):
    """One thing of value given to or for a volunteer, with who paid and who arranged it."""

    __tablename__ = "costs"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_nonnegative"),
        CheckConstraint("amount_usd >= 0", name="amount_usd_nonnegative"),
        CheckConstraint("length(currency) = 3", name="currency_iso4217"),
        # Lines derived from a stay point at it; no other line does.
        CheckConstraint("(origin = 'stay') = (stay_id IS NOT NULL)", name="stay_origin"),
        CheckConstraint("reimbursed_on IS NULL OR reimbursed", name="reimbursed_date"),
        CheckConstraint("reimburses_id != id", name="not_self_reimbursing"),
        UniqueConstraint("deployment_id", "line_ref"),
        Index("ix_costs_deployment_volunteer", "deployment_id", "volunteer_id"),
        # The ledger page lists a deployment's lines newest first, a page at a time.
        Index("ix_costs_deployment_incurred", "deployment_id", "incurred_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    category: Mapped[CostCategory] = mapped_column(enum_column(CostCategory, "cost_category"))
    description: Mapped[str] = mapped_column(String(500), default="")
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    #: The rate applied (None for USD lines or a USD value given by hand).
    usd_per_unit: Mapped[Decimal | None] = mapped_column(Rate())
    exchange_rate_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_rates.id"))
    incurred_on: Mapped[date]
    payer_id: Mapped[int] = mapped_column(ForeignKey("payers.id"), index=True)
    #: Who organised it; not necessarily who paid (a foreign party may arrange what others pay).
    arranged_by_id: Mapped[int | None] = mapped_column(ForeignKey("payers.id"))
    paid_to: Mapped[str] = mapped_column(String(200), default="")
    #: Given in the host's own residence (home hospitality).
    in_residence: Mapped[bool] = mapped_column(default=False)
    reimbursed: Mapped[bool] = mapped_column(default=False)
    reimbursed_on: Mapped[date | None]
    #: False when the payer spent nothing (a host's own room), whatever value is recorded.
    cash_outlay: Mapped[bool] = mapped_column(default=True)
    #: The organiser's own reference for the line (unique in the deployment), e.g. "FL-017".
    line_ref: Mapped[str | None] = mapped_column(String(60))
    #: The volunteer's own-expense line this line repays (the pair is counted once).
    reimburses_id: Mapped[int | None] = mapped_column(ForeignKey("costs.id"), index=True)
    evidence_ref: Mapped[str] = mapped_column(String(200), default="")
    origin: Mapped[CostOrigin] = mapped_column(enum_column(CostOrigin, "cost_origin"),
                                               default=CostOrigin.MANUAL)
    stay_id: Mapped[int | None] = mapped_column(ForeignKey("stays.id"), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    volunteer: Mapped["Volunteer"] = relationship()  # noqa: F821
    payer: Mapped[Payer] = relationship(foreign_keys=[payer_id])
    arranged_by: Mapped[Payer | None] = relationship(foreign_keys=[arranged_by_id])
    reimburses: Mapped[Cost | None] = relationship(remote_side=[id])


class ImportUpload(db.Model):
    """A spreadsheet waiting for an organiser to confirm its preview.

    Staging only, not domain data: it is written with plain SQL statements (not the ORM), so
    the audit chain does not carry whole files; the import itself is audited line by line.
    Kept in the database rather than on disk so any app instance can finish the import. The
    file is checked once, on upload: ``parsed`` and ``summary`` keep what that check found.
    """

    __tablename__ = "import_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random and unguessable: the preview's address.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: What the file holds ("costs"; "volunteers" later).
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    #: The file's rows as the check parsed them (compressed JSON, see ``csv_import.pack``).
    parsed: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: What the preview page shows (counts, totals, a sample), as the check found it.
    summary: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
