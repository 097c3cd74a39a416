"""Accommodations and stays; beds are counted per night.

Capacity is protected under a lock taken inside the transaction, before anything is counted:
the volunteer's row (no one in two places on one night), then the accommodation's row (no
night with more people than beds). An UPDATE that changes nothing is the portable lock: it
takes a row lock on PostgreSQL and SQLite's database write lock, and it waits for whoever
holds it. Locks are always taken in that order (volunteer, then accommodation), and the audit
chain's head comes last (see audit.py), so two transactions cannot deadlock.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session, aliased

from ..models import (Accommodation, AccommodationKind, Cost, CostCategory, CostOrigin, CostSplit,
                      Deployment, Payer, Placement, Signup, SPOT_HOLDING_STATUSES, Stay, User,
                      Volunteer)
from ..models.types import utcnow
from . import audit, ledger
from .errors import Conflict, NotFound, ValidationFailed
from .validation import currency_code, state_code

#: The board shows this many nights at a time.
BOARD_NIGHTS = 14


# -- accommodations -----------------------------------------------------------------------
def _choice(enum_cls, value, field: str, what: str):
    try:
        return enum_cls(value)
    except ValueError:
        raise ValidationFailed(f"{value!r} is not {what}.", field=field) from None


def _payer_id(session: Session, deployment: Deployment, value, field: str) -> int | None:
    """A payer of this deployment by id; blank means none."""
    if value in ("", None):
        return None
    try:
        return ledger.get_payer(session, deployment, value).id
    except NotFound as exc:
        exc.field = field
        raise


def _beds(value) -> int:
    try:
        beds = int(str(value).strip())
    except ValueError:
        raise ValidationFailed("Beds is a whole number.", field="beds") from None
    if beds <= 0:
        raise ValidationFailed("A place to stay needs at least one bed.", field="beds")
    if beds > 10000:
        raise ValidationFailed("At most 10,000 beds in one place.", field="beds")
    return beds


def _text(value, limit: int, field: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationFailed(f"At most {limit} characters.", field=field)
    return value


def _accommodation_fields(session: Session, deployment: Deployment, fields: dict) -> dict:
    """Checked and normalised copies of the fields given (any subset of the columns).

    :raises ValidationFailed, NotFound: naming the field that is wrong
    """
    checks = {
        "kind": lambda v: _choice(AccommodationKind, v, "kind", "a kind of accommodation"),
        "cost_split": lambda v: _choice(CostSplit, v, "cost_split", "a way to split the cost"),
        "state_code": lambda v: state_code(v),
        "beds": _beds,
        "nightly_cost": lambda v: ledger.parse_amount(v, field="nightly_cost"),
        "currency": lambda v: currency_code(v or "USD"),
        "payer_id": lambda v: _payer_id(session, deployment, v, "payer_id"),
        "arranged_by_id": lambda v: _payer_id(session, deployment, v, "arranged_by_id"),
        "name": lambda v: _text(v, 200, "name"),
        "address": lambda v: _text(v, 300, "address"),
        "city": lambda v: _text(v, 100, "city"),
        "notes": lambda v: _text(v, 5000, "notes"),
        "is_host_residence": bool,
    }
    out = {}
    for key, value in fields.items():
        try:
            out[key] = checks[key](value)
        except ValidationFailed as exc:
            exc.field = key
            raise
    if "name" in out and not out["name"]:
        raise ValidationFailed("Give the place a name.", field="name")
    if "payer_id" in out and out["payer_id"] is None:
        raise ValidationFailed("Choose who pays for the place.", field="payer_id")
    return out


def add_accommodation(session: Session, *, deployment, actor: User | None,
                      **fields) -> Accommodation:
    """Add a place to stay. Its payer and whoever arranged it are kept apart.

    :raises ValidationFailed: no name, no beds, a negative nightly cost, an unknown state,
        kind or currency, a payer from elsewhere
    """
    audit.act_as(session, actor)
    fields.setdefault("beds", 0)
    fields.setdefault("nightly_cost", "0")
    missing = [key for key in ("name", "kind", "state_code", "payer_id") if key not in fields]
    if missing:
        raise ValidationFailed(f"Fill in {missing[0].replace('_id', '')}.", field=missing[0])
    fields = _accommodation_fields(session, deployment, fields)
    accommodation = Accommodation(deployment_id=deployment.id, **fields)
    session.add(accommodation)
    session.flush()
    return accommodation


def update_accommodation(session: Session, accommodation: Accommodation, *, actor: User | None,
                         **fields) -> Accommodation:
    """Change a place; the cost lines of its stays follow (payer, nightly cost, currency …).

    :raises ValidationFailed: as for ``add_accommodation``, or no rate for a new currency
    :raises Conflict: fewer beds than people already sleep there on some night
    """
    audit.act_as(session, actor)
    deployment = session.get(Deployment, accommodation.deployment_id)
    fields = _accommodation_fields(session, deployment, fields)
    _lock_accommodation(session, accommodation)
    if "beds" in fields:
        busiest, night = _busiest_night(session, accommodation.id)
        if fields["beds"] < busiest:
            raise Conflict(f"{busiest} people sleep at {accommodation.name} on "
                           f"{night.isoformat()}; it cannot have fewer beds than that.",
                           field="beds")
    for key, value in fields.items():
        setattr(accommodation, key, value)
    session.flush()
    for stay in session.scalars(select(Stay).where(Stay.accommodation_id == accommodation.id)):
        _sync_stay_cost(session, stay, actor)
    return accommodation


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


# -- nights and beds ----------------------------------------------------------------------
def nights(check_in: date, check_out: date) -> list[date]:
    return [check_in + timedelta(days=i) for i in range((check_out - check_in).days)]


def beds_taken(session: Session, accommodation: Accommodation, check_in: date,
               check_out: date, *, exclude: tuple[int, ...] = ()) -> dict[date, int]:
    """Occupied beds on each night in [check_in, check_out), leaving out the stays ``exclude``."""
    taken = {night: 0 for night in nights(check_in, check_out)}
    stmt = select(Stay.check_in, Stay.check_out).where(
        Stay.accommodation_id == accommodation.id, Stay.check_in < check_out,
        Stay.check_out > check_in)
    if exclude:
        stmt = stmt.where(Stay.id.not_in(exclude))
    for start, end in session.execute(stmt):
        for night in nights(max(start, check_in), min(end, check_out)):
            taken[night] += 1
    return taken


def _busiest_night(session: Session, accommodation_id: int) -> tuple[int, date | None]:
    """(people, night) for the fullest night of a place, by a sweep over its stays."""
    changes: dict[date, int] = defaultdict(int)
    for start, end in session.execute(select(Stay.check_in, Stay.check_out)
                                      .where(Stay.accommodation_id == accommodation_id)):
        changes[start] += 1
        changes[end] -= 1
    busiest, when, current = 0, None, 0
    for night in sorted(changes):
        current += changes[night]
        if current > busiest:
            busiest, when = current, night
    return busiest, when


def _lock_volunteer(session: Session, volunteer_id: int) -> None:
    session.flush()  # our own pending changes first, so they are inside the locked section
    session.execute(text("UPDATE volunteers SET home_organisation = home_organisation "
                         "WHERE id = :id"), {"id": volunteer_id})


def _lock_accommodation(session: Session, accommodation: Accommodation) -> None:
    """Serialise everyone who changes this place's nights; then re-read it."""
    session.flush()
    session.execute(text("UPDATE accommodations SET beds = beds WHERE id = :id"),
                    {"id": accommodation.id})
    session.refresh(accommodation)


# -- stays --------------------------------------------------------------------------------
def _check_dates(check_in, check_out) -> None:
    if not isinstance(check_in, date):
        raise ValidationFailed("Give a check-in date.", field="check_in")
    if not isinstance(check_out, date):
        raise ValidationFailed("Give a check-out date.", field="check_out")
    if check_out <= check_in:
        raise ValidationFailed("Check-out must be after check-in (a stay is at least one "
                               "night).", field="check_out")


def _check_stay(session: Session, signup: Signup, accommodation: Accommodation, check_in: date,
                check_out: date, *, exclude: tuple[int, ...] = ()) -> None:
    """Everything a stay must satisfy; call with the volunteer and the place locked.

    :raises ValidationFailed: dates out of order or outside the volunteer's dates
    :raises Conflict: not holding a spot, another place on one of the nights, or no free bed
    """
    _check_dates(check_in, check_out)
    if accommodation.deployment_id != signup.deployment_id:
        raise ValidationFailed("That place belongs to another deployment.",
                               field="accommodation_id")
    if signup.status not in SPOT_HOLDING_STATUSES:
        raise Conflict(f"Only a volunteer holding a spot can be given a bed; this sign-up is "
                       f"{signup.status.value.replace('_', ' ')}.")
    if check_in < signup.arrive_on or check_out > signup.depart_on:
        raise ValidationFailed(f"The stay must fall within the volunteer's dates "
                               f"({signup.arrive_on.isoformat()} to "
                               f"{signup.depart_on.isoformat()}).", field="check_in")
    clash_stmt = (select(Stay.check_in, Stay.check_out, Accommodation.name)
                  .join(Signup, Signup.id == Stay.signup_id)
                  .join(Accommodation, Accommodation.id == Stay.accommodation_id)
                  .where(Signup.volunteer_id == signup.volunteer_id, Stay.check_in < check_out,
                         Stay.check_out > check_in))
    if exclude:
        clash_stmt = clash_stmt.where(Stay.id.not_in(exclude))
    clash = session.execute(clash_stmt.limit(1)).first()
    if clash is not None:
        first = max(clash.check_in, check_in)
        raise Conflict(f"This volunteer already sleeps at {clash.name} on {first.isoformat()}; "
                       "move or end that stay first.", field="check_in")
    taken = beds_taken(session, accommodation, check_in, check_out, exclude=exclude)
    full = [night for night, count in taken.items() if count >= accommodation.beds]
    if full:
        more = f" (and {len(full) - 1} more night{'s' if len(full) > 2 else ''})" \
            if len(full) > 1 else ""
        raise Conflict(f"{accommodation.name} has no free bed on {full[0].isoformat()}{more}: "
                       f"all {accommodation.beds} are taken.", field="accommodation_id")


def assign_stay(session: Session, *, signup: Signup, accommodation: Accommodation,
                check_in: date, check_out: date, actor: User | None) -> Stay:
    """Put a signed-up volunteer in a bed for the nights [check_in, check_out).

    Also records the stay's housing cost line, paid by the accommodation's payer.

    :raises ValidationFailed: dates out of order or outside the volunteer's dates, no exchange
        rate for a foreign-currency place
    :raises Conflict: a night with no free bed, or the volunteer already sleeps elsewhere
    """
    audit.act_as(session, actor)
    _check_dates(check_in, check_out)
    _lock_volunteer(session, signup.volunteer_id)
    _lock_accommodation(session, accommodation)
    session.refresh(signup)
    _check_stay(session, signup, accommodation, check_in, check_out)
    stay = Stay(signup_id=signup.id, accommodation=accommodation, check_in=check_in,
                check_out=check_out)
    session.add(stay)
    session.flush()
    _sync_stay_cost(session, stay, actor)
    return stay


def get_stay(session: Session, deployment: Deployment, stay_id: int) -> Stay:
    """:raises NotFound: no such stay in this deployment"""
    stay = session.get(Stay, stay_id)
    if stay is None or stay.accommodation.deployment_id != deployment.id:
        raise NotFound("No such stay in this deployment.")
    return stay


def move_stay(session: Session, stay: Stay, *, accommodation: Accommodation, check_in: date,
              check_out: date, actor: User | None) -> Stay:
    """Move a whole stay to another place and/or other dates; its cost line follows.

    :raises ValidationFailed, Conflict: as for ``assign_stay``
    """
    audit.act_as(session, actor)
    _check_dates(check_in, check_out)
    signup = stay.signup
    _lock_volunteer(session, signup.volunteer_id)
    _lock_accommodation(session, accommodation)
    session.refresh(signup)
    _check_stay(session, signup, accommodation, check_in, check_out, exclude=(stay.id,))
    stay.accommodation, stay.check_in, stay.check_out = accommodation, check_in, check_out
    session.flush()
    _sync_stay_cost(session, stay, actor)
    return stay


def split_stay(session: Session, stay: Stay, *, on: date, actor: User | None,
               accommodation: Accommodation | None = None) -> Stay:
    """End ``stay`` on the morning of ``on`` and continue from that night in ``accommodation``
    (the same place if None). Returns the new, second stay; both get their own cost line.

    :raises ValidationFailed: ``on`` is not strictly inside the stay
    :raises Conflict: no free bed in the new place on one of the nights
    """
    audit.act_as(session, actor)
    if not isinstance(on, date) or not stay.check_in < on < stay.check_out:
        raise ValidationFailed(f"Split on a night strictly inside the stay (after "
                               f"{stay.check_in.isoformat()}, before "
                               f"{stay.check_out.isoformat()}).", field="on")
    target = accommodation or stay.accommodation
    signup = stay.signup
    _lock_volunteer(session, signup.volunteer_id)
    _lock_accommodation(session, target)
    session.refresh(stay)
    original_out = stay.check_out
    if not stay.check_in < on < original_out:  # changed while we waited for the lock
        raise Conflict("The stay changed meanwhile; reload the page and try again.")
    session.refresh(signup)
    # The nights from ``on`` leave the first stay either way, so it is excluded when counting.
    _check_stay(session, signup, target, on, original_out, exclude=(stay.id,))
    stay.check_out = on
    second = Stay(signup_id=signup.id, accommodation=target, check_in=on,
                  check_out=original_out)
    session.add(second)
    session.flush()
    _sync_stay_cost(session, stay, actor)
    _sync_stay_cost(session, second, actor)
    return second


def end_stay_early(session: Session, stay: Stay, *, check_out: date, actor: User | None) -> Stay:
    """Bring the check-out forward; the freed nights and the cost line follow.

    :raises ValidationFailed: the new check-out is not after check-in and before the old one
    """
    audit.act_as(session, actor)
    if not isinstance(check_out, date):
        raise ValidationFailed("Give the new check-out date.", field="check_out")
    if check_out <= stay.check_in:
        raise ValidationFailed("The new check-out must be after check-in; to cancel the whole "
                               "stay, remove it.", field="check_out")
    if check_out >= stay.check_out:
        raise ValidationFailed(f"Ending early means a check-out before "
                               f"{stay.check_out.isoformat()}; to extend, move the stay.",
                               field="check_out")
    _lock_volunteer(session, stay.signup.volunteer_id)
    stay.check_out = check_out
    session.flush()
    _sync_stay_cost(session, stay, actor)
    return stay


def remove_stay(session: Session, stay: Stay, *, actor: User | None) -> None:
    """Take a volunteer out of a place altogether; the stay's cost line goes with it."""
    audit.act_as(session, actor)
    _lock_volunteer(session, stay.signup.volunteer_id)
    for line in session.scalars(select(Cost).where(Cost.stay_id == stay.id)):
        session.delete(line)
    session.flush()  # the line points at the stay: it must go first
    session.delete(stay)
    session.flush()


def release_stays(session: Session, signup: Signup, *, actor: User | None,
                  today: date | None = None) -> int:
    """Give back the beds of a sign-up that no longer holds a spot (withdrawn, cancelled …).

    Nights already slept stay on record (they were things of value received): a stay under
    way ends today, a stay still to come is removed with its cost line. Returns how many
    stays were changed.
    """
    today = today or utcnow().date()
    changed = 0
    for stay in list(session.scalars(select(Stay).where(Stay.signup_id == signup.id,
                                                        Stay.check_out > today))):
        if stay.check_in >= today:
            remove_stay(session, stay, actor=actor)
        else:
            end_stay_early(session, stay, check_out=today, actor=actor)
        changed += 1
    return changed


# -- derived cost lines -------------------------------------------------------------------
def stay_amount(accommodation: Accommodation, check_in: date, check_out: date) -> Decimal:
    """Nights × nightly cost; a SHARED place charges each bed its share of the night."""
    per_night = accommodation.nightly_cost
    if accommodation.cost_split is CostSplit.SHARED:
        per_night = per_night / accommodation.beds
    count = (check_out - check_in).days
    return (per_night * count).quantize(ledger.CENT, rounding=ROUND_HALF_UP)


def _sync_stay_cost(session: Session, stay: Stay, actor: User | None) -> Cost:
    """Create or rewrite the stay's housing line from the stay and its accommodation."""
    accommodation = stay.accommodation
    deployment = session.get(Deployment, accommodation.deployment_id)
    count = (stay.check_out - stay.check_in).days
    amount = stay_amount(accommodation, stay.check_in, stay.check_out)
    details = dict(
        incurred_on=stay.check_in, arranged_by_id=accommodation.arranged_by_id,
        in_residence=accommodation.is_host_residence, paid_to=accommodation.name[:200],
        description=f"{count} night{'s' if count != 1 else ''} at {accommodation.name} "
                    f"({stay.check_in.isoformat()} to {stay.check_out.isoformat()})"[:500])
    line = session.scalar(select(Cost).where(Cost.stay_id == stay.id))
    if line is None:
        return ledger.record_cost(
            session, deployment=deployment, volunteer=stay.signup.volunteer,
            category=CostCategory.HOUSING, amount=amount, currency=accommodation.currency,
            payer=accommodation.payer, actor=actor, origin=CostOrigin.STAY, stay_id=stay.id,
            **details)
    usd, rate = ledger.to_usd(session, amount, accommodation.currency, stay.check_in)
    line.amount, line.currency, line.amount_usd = amount, accommodation.currency, usd
    line.usd_per_unit = rate.usd_per_unit if rate else None
    line.exchange_rate_id = rate.id if rate else None
    line.payer_id = accommodation.payer_id
    for key, value in details.items():
        setattr(line, key, value)
    session.flush()
    return line


# -- reading ------------------------------------------------------------------------------
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
    page: ledger.Page
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
    found = ledger.paginate(session, stmt, page, per_page)
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
                state: str | None = None, unhoused_only: bool = False) -> ledger.Page:
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
    found = ledger.paginate(session, stmt, page, per_page)
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


def signup_in(session: Session, deployment: Deployment, signup_id: int) -> Signup:
    """:raises NotFound: no such sign-up in this deployment"""
    signup = session.get(Signup, signup_id)
    if signup is None or signup.deployment_id != deployment.id:
        raise NotFound("No such sign-up in this deployment.")
    return signup


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


def stays_of(session: Session, signup: Signup) -> list[Stay]:
    return list(session.scalars(select(Stay).where(Stay.signup_id == signup.id)
                                .order_by(Stay.check_in)))

