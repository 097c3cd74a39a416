"""Accommodations and stays; beds are counted per night."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (Accommodation, CostCategory, CostOrigin, CostSplit, Signup,
                      SPOT_HOLDING_STATUSES, Stay, User)
from . import audit, ledger
from .errors import Conflict, ValidationFailed


def add_accommodation(session: Session, *, deployment, actor: User | None, **fields) -> Accommodation:
    """:raises ValidationFailed: no beds, or a negative nightly cost"""
    audit.act_as(session, actor)
    if int(fields.get("beds", 0)) <= 0:
        raise ValidationFailed("A place to stay needs at least one bed.", field="beds")
    fields["nightly_cost"] = ledger.parse_amount(fields.get("nightly_cost", "0"),
                                                 field="nightly_cost")
    accommodation = Accommodation(deployment_id=deployment.id, **fields)
    session.add(accommodation)
    session.flush()
    return accommodation


def nights(check_in: date, check_out: date) -> list[date]:
    return [check_in + timedelta(days=i) for i in range((check_out - check_in).days)]


def beds_taken(session: Session, accommodation: Accommodation, check_in: date,
               check_out: date) -> dict[date, int]:
    """Occupied beds on each night in [check_in, check_out)."""
    taken = {night: 0 for night in nights(check_in, check_out)}
    overlapping = session.scalars(select(Stay).where(
        Stay.accommodation_id == accommodation.id, Stay.check_in < check_out,
        Stay.check_out > check_in))
    for stay in overlapping:
        for night in nights(max(stay.check_in, check_in), min(stay.check_out, check_out)):
            taken[night] += 1
    return taken


def assign_stay(session: Session, *, signup: Signup, accommodation: Accommodation,
                check_in: date, check_out: date, actor: User | None) -> Stay:
    """Put a signed-up volunteer in a bed for the nights [check_in, check_out).

    Also records the stay's housing cost line, paid by the accommodation's payer.

    :raises ValidationFailed: dates out of order or outside the volunteer's dates
    :raises Conflict: a night with no free bed, or the volunteer already sleeps elsewhere
    """
    audit.act_as(session, actor)
    if check_out <= check_in:
        raise ValidationFailed("Check-out must be after check-in.", field="check_out")
    if signup.status not in SPOT_HOLDING_STATUSES:
        raise Conflict("Only a volunteer holding a spot can be given a bed.")
    if check_in < signup.arrive_on or check_out > signup.depart_on:
        raise ValidationFailed(f"The stay must fall within the volunteer's dates "
                               f"({signup.arrive_on} to {signup.depart_on}).", field="check_in")
    clash = session.scalar(select(Stay).where(Stay.signup_id == signup.id,
                                              Stay.check_in < check_out, Stay.check_out > check_in))
    if clash is not None:
        raise Conflict("This volunteer already has a bed on some of those nights.")
    full = [n for n, count in beds_taken(session, accommodation, check_in, check_out).items()
            if count >= accommodation.beds]
    if full:
        raise Conflict(f"{accommodation.name} has no free bed on {full[0].isoformat()}.")
    stay = Stay(signup_id=signup.id, accommodation=accommodation, check_in=check_in,
                check_out=check_out)
    session.add(stay)
    session.flush()
    _record_stay_cost(session, stay, actor)
    return stay


def _record_stay_cost(session: Session, stay: Stay, actor: User | None) -> None:
    accommodation = stay.accommodation
    count = len(nights(stay.check_in, stay.check_out))
    per_night = accommodation.nightly_cost
    if accommodation.cost_split is CostSplit.SHARED:
        per_night = per_night / accommodation.beds
    amount = (per_night * count).quantize(ledger.CENT, rounding=ROUND_HALF_UP)
    ledger.record_cost(
        session, deployment=accommodation.deployment, volunteer=stay.signup.volunteer,
        category=CostCategory.HOUSING, amount=amount, currency=accommodation.currency,
        incurred_on=stay.check_in, payer=accommodation.payer, actor=actor,
        origin=CostOrigin.STAY, stay_id=stay.id, arranged_by_id=accommodation.arranged_by_id,
        in_residence=accommodation.is_host_residence, paid_to=accommodation.name,
        description=f"{count} night{'s' if count != 1 else ''} at {accommodation.name}")
