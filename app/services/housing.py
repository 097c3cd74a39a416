"""Accommodations and stays: the changes. Beds are counted per night. (What the pages show —
the board, the housing roster, a volunteer's own stays — is in ``housing_reads``.)

Capacity is protected under a lock taken inside the transaction, before anything is counted:
the volunteer's row (no one in two places on one night), then the accommodation's row (no
night with more people than beds). An UPDATE that changes nothing is the portable lock: it
takes a row lock on PostgreSQL and SQLite's database write lock, and it waits for whoever
holds it. Locks are always taken in that order (volunteer, then accommodation), and the audit
chain's head comes last (see audit.py), so two transactions cannot deadlock.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..models import (Accommodation, AccommodationKind, Cost, CostCategory, CostSplit,
                      Deployment, Placement, Signup, SPOT_HOLDING_STATUSES, Stay, User)
from ..models.types import utcnow
from . import audit, choices, ledger, money
from .errors import Conflict, NotFound, ValidationFailed
from .validation import currency_code, state_code


# -- accommodations -----------------------------------------------------------------------
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
        "kind": lambda v: choices.parse(AccommodationKind, v, field="kind",
                                        what="kind of accommodation"),
        "cost_split": lambda v: choices.parse(CostSplit, v, field="cost_split",
                                              what="way to split the cost"),
        "state_code": lambda v: _deployment_state(session, deployment, v),
        "beds": _beds,
        "nightly_cost": lambda v: money.parse_amount(v, field="nightly_cost"),
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


def _deployment_state(session: Session, deployment, raw) -> str:
    """A state code of one of the deployment's placements: a place elsewhere would house no
    one it can place.

    :raises ValidationFailed: not a state, or not one of the deployment's
    """
    code = state_code(raw)
    states = sorted(session.scalars(select(Placement.state_code)
                                    .where(Placement.deployment_id == deployment.id)))
    if code not in states:
        raise ValidationFailed(f"{code} is not one of this deployment's states "
                               f"({', '.join(states) or 'none yet'}); add the state to the "
                               "deployment first.", field="state_code")
    return code


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


def _other_state_reason(signup: Signup, accommodation: Accommodation,
                        reason: str | None) -> str | None:
    """A bed in another state than the sign-up's needs a reason; the same state keeps none.

    :raises ValidationFailed: another state and no reason
    """
    reason = " ".join((reason or "").split())[:500] or None
    state = signup.placement.state_code
    if accommodation.state_code == state:
        return None
    if reason is None:
        raise ValidationFailed(f"{accommodation.name} is in {accommodation.state_code}, but "
                               f"{signup.volunteer.full_name}'s sign-up is for {state}. Give "
                               "the reason for a bed in another state (auditors see it), or "
                               "choose a place in " + state + ".", field="other_state_reason")
    return reason


def assign_stay(session: Session, *, signup: Signup, accommodation: Accommodation,
                check_in: date, check_out: date, actor: User | None,
                other_state_reason: str | None = None) -> Stay:
    """Put a signed-up volunteer in a bed for the nights [check_in, check_out).

    Also records the stay's housing cost line, paid by the accommodation's payer. A place in
    another state than the sign-up's needs ``other_state_reason``.

    :raises ValidationFailed: dates out of order or outside the volunteer's dates, another
        state without a reason, no exchange rate for a foreign-currency place
    :raises Conflict: a night with no free bed, or the volunteer already sleeps elsewhere
    """
    audit.act_as(session, actor)
    _check_dates(check_in, check_out)
    reason = _other_state_reason(signup, accommodation, other_state_reason)
    _lock_volunteer(session, signup.volunteer_id)
    _lock_accommodation(session, accommodation)
    session.refresh(signup)
    _check_stay(session, signup, accommodation, check_in, check_out)
    stay = Stay(signup_id=signup.id, accommodation=accommodation, check_in=check_in,
                check_out=check_out, other_state_reason=reason)
    session.add(stay)
    session.flush()
    _sync_stay_cost(session, stay, actor)
    return stay


def move_stay(session: Session, stay: Stay, *, accommodation: Accommodation, check_in: date,
              check_out: date, actor: User | None,
              other_state_reason: str | None = None) -> Stay:
    """Move a whole stay to another place and/or other dates; its cost line follows.

    :raises ValidationFailed, Conflict: as for ``assign_stay``
    """
    audit.act_as(session, actor)
    _check_dates(check_in, check_out)
    signup = stay.signup
    stay.other_state_reason = _other_state_reason(
        signup, accommodation, other_state_reason or stay.other_state_reason)
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
    return money.cents(per_night * count)


def _sync_stay_cost(session: Session, stay: Stay, actor: User | None) -> Cost:
    """Create or rewrite the stay's housing line from the stay and its accommodation."""
    accommodation = stay.accommodation
    deployment = session.get(Deployment, accommodation.deployment_id)
    count = (stay.check_out - stay.check_in).days
    return ledger.write_stay_line(
        session, deployment, stay_id=stay.id, volunteer=stay.signup.volunteer, actor=actor,
        category=CostCategory.HOUSING,
        amount=stay_amount(accommodation, stay.check_in, stay.check_out),
        currency=accommodation.currency, incurred_on=stay.check_in, payer=accommodation.payer,
        arranged_by_id=accommodation.arranged_by_id, in_residence=accommodation.is_host_residence,
        # A host's own room costs the host nothing, whatever value it is given for the record.
        cash_outlay=not accommodation.is_host_residence,
        paid_to=accommodation.name[:200],
        description=f"{count} night{'s' if count != 1 else ''} at {accommodation.name} "
                    f"({stay.check_in.isoformat()} to {stay.check_out.isoformat()})"[:500])
