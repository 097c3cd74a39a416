"""Deployments, their spots per state, the volunteers and their sign-ups."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .enums import (ACTIVE_SIGNUP_STATUSES, Affiliation, Citizenship, DeploymentStatus,
                    LeaveType, SignupRole, SignupStatus, enum_column)
from .types import UTCDateTime, utcnow

_ACTIVE_SQL = "status IN ({})".format(", ".join(f"'{s.value}'" for s in ACTIVE_SIGNUP_STATUSES))


class Deployment(db.Model):
    """A programme sending volunteers to several states for one election."""

    __tablename__ = "deployments"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        CheckConstraint("offer_hours > 0", name="offer_hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    sending_organisation: Mapped[str] = mapped_column(String(200), default="")
    receiving_committee: Mapped[str] = mapped_column(String(200), default="")
    #: Human name of the election, e.g. "2024 general".
    election: Mapped[str] = mapped_column(String(100), default="")
    #: FEC election code, e.g. "G2024". An election is its code, office and jurisdiction:
    #: running totals are kept per election, across the deployments that share it.
    election_code: Mapped[str] = mapped_column(String(10), default="")
    #: "president", "senate" or "house" (ElectionOffice), or "" when not recorded.
    election_office: Mapped[str] = mapped_column(String(20), default="")
    #: "US" for the presidency, a state ("NC") or a House district ("NC-05").
    election_jurisdiction: Mapped[str] = mapped_column(String(20), default="")
    election_date: Mapped[date | None]
    #: The receiving (filing) committee's FEC id, e.g. "C00123456": the FEC export's filer.
    committee_fec_id: Mapped[str | None] = mapped_column(String(9))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    status: Mapped[DeploymentStatus] = mapped_column(
        enum_column(DeploymentStatus, "deployment_status"), default=DeploymentStatus.DRAFT)
    requires_approval: Mapped[bool] = mapped_column(default=False)
    keeps_waitlist: Mapped[bool] = mapped_column(default=True)
    #: How long a waitlist offer stays open.
    offer_hours: Mapped[int] = mapped_column(default=48)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    placements: Mapped[list[Placement]] = relationship(
        back_populates="deployment", order_by="Placement.state_code")


class Placement(db.Model):
    """A deployment's spots in one US state.

    Remaining spots are never stored: they are computed from the sign-ups that hold a spot
    (confirmed, pending approval, outstanding offers).
    """

    __tablename__ = "placements"
    __table_args__ = (
        UniqueConstraint("deployment_id", "state_code"),
        # Target of the sign-ups' composite key: a sign-up's placement is in its deployment.
        UniqueConstraint("id", "deployment_id"),
        CheckConstraint("capacity >= 0", name="capacity_nonnegative"),
        CheckConstraint("length(state_code) = 2 AND state_code = upper(state_code)",
                        name="state_code_format"),
        CheckConstraint("depart_by >= arrive_from", name="window_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    state_code: Mapped[str] = mapped_column(String(2))
    capacity: Mapped[int]
    base_city: Mapped[str] = mapped_column(String(100), default="")
    arrive_from: Mapped[date]
    depart_by: Mapped[date]
    #: Spots held (confirmed, pending, offered) and waitlist length, kept by the database's
    #: triggers on ``signups`` (see the placement_counts migration), never set here. Deferred:
    #: read them fresh with ``spots.counts``, not from an object loaded earlier.
    held: Mapped[int] = mapped_column(server_default="0", default=0, deferred=True)
    waiting: Mapped[int] = mapped_column(server_default="0", default=0, deferred=True)

    deployment: Mapped[Deployment] = relationship(back_populates="placements")


class Volunteer(db.Model):
    """A person who volunteers, with the facts the compliance rules need.

    ``citizenship`` is None until the volunteer declares it; the rules then say the facts are
    missing rather than assume anything.
    """

    __tablename__ = "volunteers"
    __table_args__ = (
        CheckConstraint("country IS NULL OR length(country) = 2", name="country_alpha2"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    citizenship: Mapped[Citizenship | None] = mapped_column(enum_column(Citizenship, "citizenship"))
    #: ISO 3166-1 alpha-2 country of citizenship.
    country: Mapped[str | None] = mapped_column(String(2))
    home_organisation: Mapped[str] = mapped_column(String(200), default="")
    affiliation: Mapped[Affiliation | None] = mapped_column(enum_column(Affiliation, "affiliation"))
    leave_type: Mapped[LeaveType | None] = mapped_column(enum_column(LeaveType, "leave_type"))
    phone: Mapped[str] = mapped_column(String(40), default="")
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the volunteer signed that no one compensates them for the trip.
    attested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attestation_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped["User"] = relationship(back_populates="volunteer")  # noqa: F821
    signups: Mapped[list[Signup]] = relationship(back_populates="volunteer")

    @property
    def full_name(self) -> str:
        return self.user.full_name

    @property
    def email(self) -> str:
        return self.user.email


class Signup(db.Model):
    """A volunteer's claim on a placement, from waitlist to confirmed, withdrawn or cancelled."""

    __tablename__ = "signups"
    __table_args__ = (
        ForeignKeyConstraint(["placement_id", "deployment_id"],
                             ["placements.id", "placements.deployment_id"],
                             name="fk_signups_placement_in_deployment"),
        CheckConstraint("depart_on >= arrive_on", name="dates_ordered"),
        CheckConstraint("status != 'offered' OR offer_expires_at IS NOT NULL",
                        name="offer_has_expiry"),
        # One active sign-up per volunteer per deployment, held by the database.
        Index("uq_signups_one_active", "deployment_id", "volunteer_id", unique=True,
              sqlite_where=db.text(_ACTIVE_SQL), postgresql_where=db.text(_ACTIVE_SQL)),
        Index("ix_signups_placement_status", "placement_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    placement_id: Mapped[int] = mapped_column()
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    role: Mapped[SignupRole] = mapped_column(enum_column(SignupRole, "signup_role"))
    arrive_on: Mapped[date]
    depart_on: Mapped[date]
    status: Mapped[SignupStatus] = mapped_column(enum_column(SignupStatus, "signup_status"))
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: An organiser's written reason for placing a foreign national in a decision-making role.
    role_override_reason: Mapped[str | None] = mapped_column(Text)
    role_override_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    placement: Mapped[Placement] = relationship(foreign_keys=[placement_id],
                                                primaryjoin="Signup.placement_id == Placement.id")
    volunteer: Mapped[Volunteer] = relationship(back_populates="signups")
