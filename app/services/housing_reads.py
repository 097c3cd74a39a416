"""Housing as the pages show it: the night-by-night board, the housing roster, who sleeps in a
place, a volunteer's own stays. Reads only; the changes are in ``housing``.

Each list is a fixed number of queries, whatever the number of places, people and nights.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..models import (
    SPOT_HOLDING_STATUSES,
    Accommodation,
    AccommodationKind,
    Cost,
    Deployment,
    Payer,
    Placement,
    Signup,
    Stay,
    User,
    Volunteer,
)
from ..models.types import utcnow
from .errors import NotFound
from .housing import nights
from .paging import Page, paginate

#: The board shows this many nights at a time.
BOARD_NIGHTS = 14


# -- one place, one stay --------------------------------------------------------------------
def get_accommodation(session: Session, deployment: Deployment, accommodation_id) -> Accommodation:
    """:raises NotFound: no such place in this deployment"""
    found = session.get(Accommodation, accommodation_id) \
        if str(accommodation_id or "").isdigit() else None
    if found is None or found.deployment_id != deployment.id:
        raise NotFound("No such place to stay in this deployment.", field="accommodation_id")
    return found


def accommodations_for(session: Session, deployment: Deployment) -> list[Accommodation]:
    return list(session.scalars(select(Accommodation)
                                .where(Accommodation.deployment_id == deployment.id)
                                .order_by(Accommodation.state_code, Accommodation.name)))


def get_stay(session: Session, deployment: Deployment, stay_id: int) -> Stay:
    """:raises NotFound: no such stay in this deployment"""
    stay = session.get(Stay, stay_id)
    if stay is None or stay.accommodation.deployment_id != deployment.id:
        raise NotFound("No such stay in this deployment.")
    return stay


def my_stays(session: Session, volunteer: Volunteer) -> list[dict]:
    """A volunteer's own stays, with the address and who pays: plain data for their page."""
    arranger = aliased(Payer)
    rows = session.execute(
        select(Stay.check_in, Stay.check_out, Accommodation.name, Accommodation.kind,
               Accommodation.address, Accommodation.city, Accommodation.state_code,
               Accommodation.is_host_residence, Payer.name, Payer.kind, arranger.name,
               Deployment.name)
        .join(Signup, Signup.id == Stay.signup_id)
        .join(Accommodation, Accommodation.id == Stay.accommodation_id)
        .join(Payer, Payer.id == Accommodation.payer_id)
        .outerjoin(arranger, arranger.id == Accommodation.arranged_by_id)
        .join(Deployment, Deployment.id == Signup.deployment_id)
        .where(Signup.volunteer_id == volunteer.id)
        .order_by(Stay.check_in))
    return [{"accommodation": name, "kind": kind.value, "kind_label": kind.label,
             "address": address, "city": city, "state": state,
             "is_host_residence": residence, "check_in": check_in, "check_out": check_out,
             "nights": (check_out - check_in).days, "payer_name": payer,
             "payer_kind": payer_kind.value,
             "arranged_by": arranged or "not recorded", "deployment": deployment}
            for (check_in, check_out, name, kind, address, city, state, residence, payer,
                 payer_kind, arranged, deployment) in rows]


@dataclass
class BoardCell:
    night: date
    taken: int
    beds: int
    names: list[str] = field(default_factory=list)

    @property
    def free(self) -> int:
        return max(self.beds - self.taken, 0)


@dataclass
class BoardRow:
    id: int
    name: str
    kind: AccommodationKind
    state: str
    city: str
    beds: int
    nightly_cost: Decimal
    currency: str
    payer: str
    payer_kind: str
    arranged_by: str | None
    is_host_residence: bool
    cells: list[BoardCell]


@dataclass
class Board:
    """The accommodation × night grid: one page of places, ``BOARD_NIGHTS`` nights."""
    nights: list[date]
    rows: list[BoardRow]
    page: Page
    states: list[str]
    state: str | None
    start: date

    @property
    def prev_start(self) -> date:
        return self.start - timedelta(days=len(self.nights))

    @property
    def next_start(self) -> date:
        return self.start + timedelta(days=len(self.nights))


def board(session: Session, deployment: Deployment, *, state: str | None = None,
          start: date | None = None, page: int = 1, per_page: int = 20) -> Board:
    """The housing board in four queries, whatever the number of places, people and nights."""
    start = start or deployment.starts_on
    shown = nights(start, start + timedelta(days=BOARD_NIGHTS))
    end = shown[-1] + timedelta(days=1)
    states = list(session.scalars(select(Accommodation.state_code).distinct()
                                  .where(Accommodation.deployment_id == deployment.id)
                                  .order_by(Accommodation.state_code)))
    arranger = aliased(Payer)
    stmt = (select(Accommodation, Payer.name, Payer.kind, arranger.name)
            .join(Payer, Payer.id == Accommodation.payer_id)
            .outerjoin(arranger, arranger.id == Accommodation.arranged_by_id)
            .where(Accommodation.deployment_id == deployment.id)
            .order_by(Accommodation.state_code, Accommodation.name, Accommodation.id))
    if state:
        stmt = stmt.where(Accommodation.state_code == state)
    found = paginate(session, stmt, page, per_page)
    ids = [row[0].id for row in found.items]
    occupants: dict[int, list[tuple[date, date, str]]] = defaultdict(list)
    if ids:
        for acc_id, check_in, check_out, name in session.execute(
                select(Stay.accommodation_id, Stay.check_in, Stay.check_out, User.full_name)
                .join(Signup, Signup.id == Stay.signup_id)
                .join(Volunteer, Volunteer.id == Signup.volunteer_id)
                .join(User, User.id == Volunteer.user_id)
                .where(Stay.accommodation_id.in_(ids), Stay.check_in < end,
                       Stay.check_out > start)
                .order_by(User.full_name)):
            occupants[acc_id].append((check_in, check_out, name))
    rows = []
    for acc, payer, payer_kind, arranged in found.items:
        cells = []
        for night in shown:
            names = [name for check_in, check_out, name in occupants[acc.id]
                     if check_in <= night < check_out]
            cells.append(BoardCell(night, len(names), acc.beds, names))
        rows.append(BoardRow(acc.id, acc.name, acc.kind, acc.state_code, acc.city, acc.beds,
                             acc.nightly_cost, acc.currency, payer, payer_kind.value,
                             arranged, acc.is_host_residence, cells))
    return Board(shown, rows, found, states, state, start)


@dataclass
class RosterRow:
    signup_id: int
    volunteer_id: int
    name: str
    email: str
    phone: str
    citizenship: str
    state: str
    role: str
    status: str
    holds_spot: bool
    arrive_on: date
    depart_on: date
    stays: list[dict]

    @property
    def nights_needed(self) -> int:
        return (self.depart_on - self.arrive_on).days

    @property
    def nights_housed(self) -> int:
        return sum(s["nights"] for s in self.stays)


def roster_page(session: Session, deployment: Deployment, *, page: int = 1, per_page: int = 50,
                state: str | None = None, unhoused_only: bool = False) -> Page:
    """Sign-ups holding a spot, with each volunteer's stays: three queries per page."""
    stmt = (select(Signup.id, Signup.volunteer_id, User.full_name, User.email, Volunteer.phone,
                   Volunteer.citizenship, Placement.state_code, Signup.role, Signup.status,
                   Signup.arrive_on, Signup.depart_on)
            .join(Volunteer, Volunteer.id == Signup.volunteer_id)
            .join(User, User.id == Volunteer.user_id)
            .join(Placement, Placement.id == Signup.placement_id)
            .where(Signup.deployment_id == deployment.id,
                   Signup.status.in_(SPOT_HOLDING_STATUSES))
            .order_by(Placement.state_code, User.full_name, Signup.id))
    if state:
        stmt = stmt.where(Placement.state_code == state)
    if unhoused_only:
        stmt = stmt.where(~select(Stay.id).where(Stay.signup_id == Signup.id).exists())
    found = paginate(session, stmt, page, per_page)
    stays: dict[int, list[dict]] = defaultdict(list)
    ids = [row.id for row in found.items]
    if ids:
        for stay_id, signup_id, check_in, check_out, acc_id, acc_name in session.execute(
                select(Stay.id, Stay.signup_id, Stay.check_in, Stay.check_out, Accommodation.id,
                       Accommodation.name)
                .join(Accommodation, Accommodation.id == Stay.accommodation_id)
                .where(Stay.signup_id.in_(ids)).order_by(Stay.check_in)):
            stays[signup_id].append({"id": stay_id, "check_in": check_in,
                                     "check_out": check_out, "accommodation_id": acc_id,
                                     "accommodation": acc_name,
                                     "nights": (check_out - check_in).days})
    found.items = [RosterRow(row.id, row.volunteer_id, row.full_name, row.email, row.phone,
                             row.citizenship.label if row.citizenship else "not declared",
                             row.state_code, row.role.label, row.status.value,
                             row.status in SPOT_HOLDING_STATUSES, row.arrive_on, row.depart_on,
                             stays[row.id])
                   for row in found.items]
    return found


def stays_in(session: Session, accommodation: Accommodation) -> list[dict]:
    """Who sleeps in a place, and when (one query)."""
    return [{"id": stay_id, "name": name, "check_in": check_in, "check_out": check_out,
             "nights": (check_out - check_in).days}
            for stay_id, name, check_in, check_out in session.execute(
                select(Stay.id, User.full_name, Stay.check_in, Stay.check_out)
                .join(Signup, Signup.id == Stay.signup_id)
                .join(Volunteer, Volunteer.id == Signup.volunteer_id)
                .join(User, User.id == Volunteer.user_id)
                .where(Stay.accommodation_id == accommodation.id)
                .order_by(Stay.check_in, User.full_name))]


def stay_cost_line(session: Session, stay: Stay) -> Cost | None:
    return session.scalar(select(Cost).where(Cost.stay_id == stay.id))


def free_beds(session: Session, places: list[Accommodation], check_in: date, check_out: date,
              *, exclude: tuple[int, ...] = ()) -> dict[int, int]:
    """{place id: beds free on every night of [check_in, check_out)} for ``places`` (the
    fewest free on any of those nights), in one query; ``exclude``: stays left out (the one
    being moved)."""
    beds = {a.id: a.beds for a in places}
    if check_out <= check_in or not beds:
        return beds
    taken: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    stmt = (select(Stay.accommodation_id, Stay.check_in, Stay.check_out)
            .where(Stay.accommodation_id.in_(list(beds)), Stay.check_in < check_out,
                   Stay.check_out > check_in))
    if exclude:
        stmt = stmt.where(Stay.id.not_in(exclude))
    for place_id, start, end in session.execute(stmt):
        for night in nights(max(start, check_in), min(end, check_out)):
            taken[place_id][night] += 1
    return {place_id: count - max(taken[place_id].values(), default=0)
            for place_id, count in beds.items()}


def future_stays(session: Session, signup: Signup, today=None) -> list[Stay]:
    """The stays ending a sign-up would give back (``housing.release_stays``): those not yet
    over."""
    today = today or utcnow().date()
    return [stay for stay in stays_of(session, signup) if stay.check_out > today]


def stays_of(session: Session, signup: Signup) -> list[Stay]:
    return list(session.scalars(select(Stay).where(Stay.signup_id == signup.id)
                                .order_by(Stay.check_in)))
