"""Deployments and their placements (spots per state)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from ..models import (ACTIVE_SIGNUP_STATUSES, Deployment, DeploymentStatus, ElectionOffice,
                      Placement, Signup, SignupStatus, User)
from . import audit, choices, deployment_status, spots, staff
from .errors import Conflict, NotFound, ValidationFailed
from .validation import slug as check_slug
from .validation import state_code


# Built once: hot pages run these on every request, and building a statement costs more than
# running it on SQLite.
_BY_SLUG = select(Deployment).where(Deployment.slug == bindparam("slug"))


def get_deployment(session: Session, slug: str) -> Deployment:
    """:raises NotFound: no deployment has that slug."""
    deployment = session.scalar(_BY_SLUG, {"slug": slug})
    if deployment is None:
        raise NotFound(f"No deployment called {slug!r}.")
    return deployment


def get_current(session: Session, slug: str) -> Deployment:
    """The deployment, with the spots of overdue waitlist offers passed on first, and closed
    if its last day has passed (each in a transaction of its own: see
    ``spots.settle_overdue_offers_now``).

    :raises NotFound: no deployment has that slug.
    """
    deployment = get_deployment(session, slug)
    spots.settle_overdue_offers_now(session, deployment)
    deployment_status.close_if_ended_now(session, deployment)
    return deployment


def all_deployments(session: Session) -> list[Deployment]:
    """Every deployment, the latest first (organisers' and auditors' lists)."""
    return list(session.scalars(select(Deployment).order_by(Deployment.starts_on.desc(),
                                                            Deployment.name)))


def open_deployments(session: Session) -> list[Deployment]:
    """Those taking claims: open, and not past their last day (which closes them)."""
    return list(session.scalars(select(Deployment)
                                .where(Deployment.status == DeploymentStatus.OPEN,
                                       Deployment.ends_on >= deployment_status.today())
                                .order_by(Deployment.starts_on, Deployment.name)))


#: A state's spots: far above any real deployment, low enough to catch a typo.
MAX_CAPACITY = 10_000
#: A deployment's dates lie within this many years of today (2024's demo still fits; 1900
#: and 2999 do not).
DATE_SPAN_YEARS = 5


def check_capacity(capacity: int, field: str = "capacity") -> int:
    """:raises ValidationFailed: negative, or more than MAX_CAPACITY"""
    if capacity < 0:
        raise ValidationFailed("Capacity cannot be negative.", field=field)
    if capacity > MAX_CAPACITY:
        raise ValidationFailed(f"{capacity:,} spots is more than a state can hold here (at most "
                               f"{MAX_CAPACITY:,}); check the figure.", field=field)
    return capacity


def check_dates(starts_on: date, ends_on: date, today: date | None = None) -> None:
    """:raises ValidationFailed: out of order, or not within DATE_SPAN_YEARS of today"""
    today = today or deployment_status.today()
    earliest = today.replace(year=today.year - DATE_SPAN_YEARS, day=min(today.day, 28))
    latest = today.replace(year=today.year + DATE_SPAN_YEARS, day=min(today.day, 28))
    for name, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not earliest <= value <= latest:
            raise ValidationFailed(f"{value.isoformat()} is not within {DATE_SPAN_YEARS} years of "
                                   f"today ({earliest.isoformat()} to {latest.isoformat()}); "
                                   "check the year.", field=name)
    if ends_on < starts_on:
        raise ValidationFailed("The end date is before the start date.", field="ends_on")


def parse_state_spots(values: list[str]) -> dict[str, int]:
    """``["NC:25", "PA:10"]`` → ``{"NC": 25, "PA": 10}``.

    :raises ValidationFailed: a value that is not STATE:N
    """
    spots: dict[str, int] = {}
    for value in values:
        code, sep, number = value.partition(":")
        if not sep or not number.strip().isdigit():
            raise ValidationFailed(f"{value!r} is not STATE:SPOTS (e.g. NC:25).", field="state")
        code = state_code(code)
        if code in spots:
            raise ValidationFailed(f"{code} is given twice.", field="state")
        spots[code] = check_capacity(int(number), field="state")
    return spots


# -- elections ------------------------------------------------------------------------------
_ELECTION_CODE = re.compile(r"[PGRSCEO]\d{4}")
_DISTRICT = re.compile(r"([A-Z]{2})-(\d{2}|AL)")


@dataclass(frozen=True)
class Election:
    """What a deployment is for: running totals are kept per election, across deployments."""
    code: str = ""
    office: str = ""
    jurisdiction: str = ""
    name: str = ""
    on: date | None = None


def check_election(code="", office="", jurisdiction="", name="", on=None) -> Election:
    """An election's code, office and jurisdiction, checked and normalised (all blank: none).

    Running totals are kept per (code, office, jurisdiction): a president's race is US-wide
    (blank means US), a Senate race is a state's, a House race a district's (NC-05).

    :raises ValidationFailed: a code, office or jurisdiction in the wrong shape
    """
    code = (code or "").strip().upper()
    if code and not _ELECTION_CODE.fullmatch(code):
        raise ValidationFailed(
            f"{code!r} is not an election code: a letter for the election (P primary, G "
            "general, R runoff, S special, C convention, E recount, O other) and its year, "
            "e.g. G2024.", field="election_code")
    office = choices.parse_optional(ElectionOffice, office, field="election_office",
                                    what="office", case="lower")
    where = (jurisdiction or "").strip().upper()
    if office is ElectionOffice.PRESIDENT:
        where = where or "US"
        if where != "US":
            raise ValidationFailed("A presidential election's jurisdiction is US.",
                                   field="election_jurisdiction")
    elif office is ElectionOffice.SENATE and (where == "US"
                                              or not re.fullmatch(r"[A-Z]{2}", where)):
        raise ValidationFailed("A Senate election's jurisdiction is its state, e.g. NC.",
                               field="election_jurisdiction")
    elif office is ElectionOffice.HOUSE and not _DISTRICT.fullmatch(where):
        raise ValidationFailed("A House election's jurisdiction is a state and its district, "
                               "e.g. NC-05 (AL for at large).", field="election_jurisdiction")
    if where:
        if where != "US":
            try:
                state_code(_DISTRICT.fullmatch(where).group(1) if "-" in where else where)
            except (ValidationFailed, AttributeError):
                raise ValidationFailed(f"{where!r} is not a jurisdiction: US, a state (NC) or "
                                       "a House district (NC-05).",
                                       field="election_jurisdiction") from None
    if (office or where) and not code:
        raise ValidationFailed("Give the election's code (e.g. G2024) with its office and "
                               "jurisdiction.", field="election_code")
    name = (name or "").strip()
    if len(name) > 100:
        raise ValidationFailed("An election's name is at most 100 characters.", field="election")
    return Election(code, office.value if office else "", where, name, on)


def set_election(session: Session, deployment: Deployment, election: Election, *,
                 actor: User | None) -> Deployment:
    """Say which election a deployment is for (its findings' running totals follow).

    :raises ValidationFailed: as for ``check_election``
    """
    audit.act_as(session, actor)
    election = check_election(election.code, election.office, election.jurisdiction,
                              election.name, election.on)
    deployment.election_code = election.code
    deployment.election_office = election.office
    deployment.election_jurisdiction = election.jurisdiction
    deployment.election = election.name
    deployment.election_date = election.on
    session.flush()
    return deployment


# -- deployments ----------------------------------------------------------------------------
def check_new(session: Session, *, slug: str, name: str, starts_on: date | None,
              ends_on: date | None, election: Election | None = None) -> dict[str, str]:
    """Every problem with a new deployment's fields at once, as {field: message} (a form
    shows them all; ``create_deployment`` still refuses the first)."""
    def name_given():
        if not (name or "").strip():
            raise ValidationFailed("Enter a name.", field="name")

    def slug_free():
        if session.scalar(select(Deployment.id).where(Deployment.slug == slug)) is not None:
            raise Conflict(f"A deployment called {slug!r} already exists.", field="slug")

    election = election or Election()
    checks = [lambda: check_slug(slug), slug_free, name_given,
              lambda: check_election(election.code, election.office, election.jurisdiction,
                                     election.name, election.on)]
    if starts_on and ends_on:
        checks.append(lambda: check_dates(starts_on, ends_on))
    problems: dict[str, str] = {}
    for check in checks:
        try:
            check()
        except (ValidationFailed, Conflict) as exc:
            problems.setdefault(exc.field or "name", exc.message)
    return problems


def create_deployment(session: Session, *, slug: str, name: str, actor: User | None,
                      spots: dict[str, int] | None = None, starts_on: date | None = None,
                      ends_on: date | None = None, requires_approval: bool = False,
                      keeps_waitlist: bool = True, status: DeploymentStatus = DeploymentStatus.OPEN,
                      election: Election | None = None, **details) -> Deployment:
    """Create a deployment with a placement per state in ``spots``, for ``election``.

    Dates default to the next 30 days; each placement's arrival window is the deployment's dates.
    An organiser who creates it is put on its staff.

    :raises ValidationFailed: bad slug, name, dates or election
    :raises Conflict: the slug is taken
    """
    audit.act_as(session, actor)
    slug = check_slug(slug)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Enter a name.", field="name")
    starts_on = starts_on or date.today()
    ends_on = ends_on or starts_on + timedelta(days=30)
    check_dates(starts_on, ends_on)
    if session.scalar(select(Deployment.id).where(Deployment.slug == slug)) is not None:
        raise Conflict(f"A deployment called {slug!r} already exists.", field="slug")
    election = election or Election()
    election = check_election(election.code, election.office, election.jurisdiction,
                              election.name, election.on)
    deployment = Deployment(slug=slug, name=name, starts_on=starts_on, ends_on=ends_on,
                            requires_approval=requires_approval, keeps_waitlist=keeps_waitlist,
                            status=status, election_code=election.code,
                            election_office=election.office,
                            election_jurisdiction=election.jurisdiction,
                            election=election.name, election_date=election.on, **details)
    session.add(deployment)
    session.flush()
    for code, capacity in (spots or {}).items():
        set_capacity(session, deployment, code, capacity, actor=actor)
    staff.add_creator(session, deployment, actor)
    return deployment


def set_capacity(session: Session, deployment: Deployment, state: str, capacity: int, *,
                 actor: User | None, base_city: str | None = None) -> Placement:
    """Create the placement for ``state`` or change its capacity; new spots go to the waitlist.

    :raises ValidationFailed: a negative capacity or unknown state
    :raises Conflict: the new capacity is below the spots already held
    """
    audit.act_as(session, actor)
    code = state_code(state)
    check_capacity(capacity)
    placement = session.scalar(select(Placement).where(Placement.deployment_id == deployment.id,
                                                       Placement.state_code == code))
    if placement is None:
        placement = Placement(deployment=deployment, state_code=code, capacity=capacity,
                              base_city=base_city or "", arrive_from=deployment.starts_on,
                              depart_by=deployment.ends_on)
        session.add(placement)
        session.flush()
        return placement
    placement = spots.lock_placement(session, placement.id)
    spots.expire_offers(session, placement)
    held = spots.held_spots(session, placement.id)
    if capacity < held:
        raise Conflict(f"{code} already has {held} spots held; the capacity cannot go "
                       f"below {held}.", field="capacity")
    placement.capacity = capacity
    if base_city is not None:
        placement.base_city = base_city
    session.flush()
    spots.offer_free_spots(session, placement)
    return placement


def rename_and_redate(session: Session, deployment: Deployment, *, name: str,
                      starts_on: date, ends_on: date, actor: User | None) -> Deployment:
    """Change a deployment's name and dates. A state whose arrival window was the
    deployment's dates follows them; a window set apart is kept within them.

    :raises ValidationFailed: no name, dates out of order or far from today
    :raises Conflict: active sign-ups whose dates fall outside the new dates
    """
    audit.act_as(session, actor)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("Enter a name.", field="name")
    if len(name) > 200:
        raise ValidationFailed("A name is at most 200 characters.", field="name")
    check_dates(starts_on, ends_on)
    outside = session.scalar(select(func.count()).select_from(Signup).where(
        Signup.deployment_id == deployment.id, Signup.status.in_(ACTIVE_SIGNUP_STATUSES),
        (Signup.arrive_on < starts_on) | (Signup.depart_on > ends_on))) or 0
    if outside:
        raise Conflict(f"{outside} active sign-up(s) have dates outside "
                       f"{starts_on.isoformat()} to {ends_on.isoformat()}; change their dates "
                       "first, or choose dates that hold them.", field="starts_on")
    old_start, old_end = deployment.starts_on, deployment.ends_on
    for placement in deployment.placements:
        arrive = starts_on if placement.arrive_from == old_start else \
            min(max(placement.arrive_from, starts_on), ends_on)
        depart = ends_on if placement.depart_by == old_end else \
            max(min(placement.depart_by, ends_on), arrive)
        placement.arrive_from, placement.depart_by = arrive, depart
    deployment.name, deployment.starts_on, deployment.ends_on = name, starts_on, ends_on
    session.flush()
    return deployment


def set_parties(session: Session, deployment: Deployment, *, sending: str, receiving: str,
                actor: User | None) -> Deployment:
    """Who sends the volunteers and which campaign or committee receives them.

    :raises ValidationFailed: a name over 200 characters
    """
    audit.act_as(session, actor)
    for field, value in (("sending_organisation", sending), ("receiving_committee", receiving)):
        value = " ".join((value or "").split())
        if len(value) > 200:
            raise ValidationFailed("At most 200 characters.", field=field)
        setattr(deployment, field, value)
    session.flush()
    return deployment


def update_settings(session: Session, deployment: Deployment, *, actor: User,
                    status: DeploymentStatus, requires_approval: bool, keeps_waitlist: bool,
                    offer_hours: int) -> Deployment:
    """Move the deployment along its lifecycle and choose how claims are handled.

    :raises ValidationFailed: an offer window under one hour or over 30 days; a status step
        the lifecycle does not allow (see ``deployment_status.change``)
    :raises Conflict: back to draft after people signed up
    """
    audit.act_as(session, actor)
    if not 1 <= offer_hours <= 24 * 30:
        raise ValidationFailed("Offers stay open between 1 hour and 30 days.", field="offer_hours")
    deployment_status.change(session, deployment, status, actor=actor)
    deployment.requires_approval = requires_approval
    deployment.keeps_waitlist = keeps_waitlist
    deployment.offer_hours = offer_hours
    session.flush()
    return deployment


@dataclass(frozen=True)
class PlacementStats:
    """Spots in one state, all counted from the sign-up ledger."""
    state_code: str
    base_city: str
    arrive_from: date
    depart_by: date
    capacity: int
    confirmed: int
    pending: int
    offered: int
    waitlisted: int

    @property
    def held(self) -> int:
        return self.confirmed + self.pending + self.offered

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.held, 0)

    def as_json(self) -> dict:
        return {"state": self.state_code, "base_city": self.base_city,
                "arrive_from": self.arrive_from.isoformat(), "depart_by": self.depart_by.isoformat(),
                "capacity": self.capacity, "confirmed": self.confirmed, "pending": self.pending,
                "offered": self.offered, "waitlisted": self.waitlisted, "remaining": self.remaining}


def placement_stats(session: Session, deployment: Deployment) -> list[PlacementStats]:
    """Every placement's numbers in one query."""
    return stats_by_deployment(session, [deployment.id]).get(deployment.id, [])


def _count(status: SignupStatus):
    return func.count(case((Signup.status == status, 1)))


_STATS = (select(Placement, _count(SignupStatus.CONFIRMED), _count(SignupStatus.PENDING_APPROVAL),
                 _count(SignupStatus.OFFERED), _count(SignupStatus.WAITLISTED))
          .outerjoin(Signup, Signup.placement_id == Placement.id)
          .where(Placement.deployment_id.in_(bindparam("ids", expanding=True)))
          .group_by(Placement.id)
          .order_by(Placement.deployment_id, Placement.state_code))


def stats_by_deployment(session: Session, deployment_ids) -> dict[int, list[PlacementStats]]:
    """Placement numbers of several deployments, still in one query."""
    stats: dict[int, list[PlacementStats]] = {}
    for p, confirmed, pending, offered, waitlisted in session.execute(
            _STATS, {"ids": list(deployment_ids)}):
        stats.setdefault(p.deployment_id, []).append(PlacementStats(
            p.state_code, p.base_city, p.arrive_from, p.depart_by, p.capacity, confirmed, pending,
            offered, waitlisted))
    return stats
