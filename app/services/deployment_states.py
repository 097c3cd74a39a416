"""A deployment's states edited as rows: capacity, base city and arrival window per state,
states added, and states removed while no one has signed up in them.

``check_rows`` finds every problem at once (so a form can show each beside its field);
``save_rows`` checks again and applies all rows in the caller's transaction, or nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..models import ACTIVE_SIGNUP_STATUSES, Deployment, Placement, Signup
from . import audit
from .deployments import MAX_CAPACITY, placement_stats, set_capacity
from .errors import ValidationFailed
from .validation import US_STATES


@dataclass
class StateRow:
    """One row of the form. ``state`` blank and nothing else given: an unused new row."""
    state: str
    capacity: int | None = None
    base_city: str = ""
    arrive_from: date | None = None
    depart_by: date | None = None
    remove: bool = False

    def is_blank(self) -> bool:
        return not self.state and self.capacity is None and not self.base_city \
            and self.arrive_from is None and self.depart_by is None


@dataclass(frozen=True)
class _Use:
    """What a state holds: every sign-up on record, the active ones, their spots and dates."""
    signups: int = 0
    held: int = 0
    first_arrival: date | None = None
    last_departure: date | None = None


def _uses(session: Session, deployment: Deployment) -> dict[str, _Use]:
    active = Signup.status.in_(ACTIVE_SIGNUP_STATUSES)
    rows = session.execute(
        select(Placement.state_code, func.count(Signup.id),
               func.min(case((active, Signup.arrive_on))),
               func.max(case((active, Signup.depart_on))))
        .join(Signup, Signup.placement_id == Placement.id)
        .where(Placement.deployment_id == deployment.id)
        .group_by(Placement.state_code))
    uses = {code: _Use(count, 0, first, last) for code, count, first, last in rows}
    for stats in placement_stats(session, deployment):  # every state's held spots, one query
        if stats.held:
            old = uses.get(stats.state_code, _Use())
            uses[stats.state_code] = _Use(old.signups, stats.held, old.first_arrival,
                                          old.last_departure)
    return uses


def check_rows(session: Session, deployment: Deployment,
               rows: list[StateRow]) -> dict[tuple[int, str], str]:
    """Every problem in ``rows``, as {(row index, field): message}; empty when all is well.

    Existing states are recognised by their code; a row with a new code adds that state.
    """
    problems: dict[tuple[int, str], str] = {}
    existing = {p.state_code for p in deployment.placements}
    uses = _uses(session, deployment)
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        if row.is_blank():
            continue
        code = (row.state or "").strip().upper()
        if not code:
            problems[i, "state"] = "Choose the state this row is for."
            continue
        if code not in US_STATES:
            problems[i, "state"] = f"{row.state!r} is not a US state code (e.g. NC, PA)."
            continue
        if code in seen:
            problems[i, "state"] = f"{code} is already in row {seen[code] + 1}."
            continue
        seen[code] = i
        use = uses.get(code, _Use())
        if row.remove:
            if code not in existing:
                continue  # a new row ticked "remove": nothing to add
            if use.signups:
                problems[i, "remove"] = (
                    f"{code} has {use.signups} sign-up(s) on record, so it stays in the "
                    "deployment's history; set its capacity to 0 to take no more claims.")
            continue
        if row.capacity is None:
            problems[i, "capacity"] = f"Give {code}'s number of spots."
        elif row.capacity < 0:
            problems[i, "capacity"] = "Capacity cannot be negative."
        elif row.capacity > MAX_CAPACITY:
            problems[i, "capacity"] = (f"{row.capacity:,} spots is more than a state can hold "
                                       f"here (at most {MAX_CAPACITY:,}); check the figure.")
        elif row.capacity < use.held:
            problems[i, "capacity"] = (f"{code} already has {use.held} spots held; the "
                                       f"capacity cannot go below {use.held}.")
        if len(row.base_city or "") > 100:
            problems[i, "base_city"] = "A base city is at most 100 characters."
        arrive = row.arrive_from or deployment.starts_on
        depart = row.depart_by or deployment.ends_on
        span = f"{deployment.starts_on:%-d %b %Y} to {deployment.ends_on:%-d %b %Y}"
        if not deployment.starts_on <= arrive <= deployment.ends_on:
            problems[i, "arrive_from"] = f"Arrivals fall within the deployment's dates ({span})."
        elif not deployment.starts_on <= depart <= deployment.ends_on:
            problems[i, "depart_by"] = f"Departures fall within the deployment's dates ({span})."
        elif depart < arrive:
            problems[i, "depart_by"] = "The last departure is before the first arrival."
        elif use.first_arrival and (use.first_arrival < arrive or use.last_departure > depart):
            problems[i, "arrive_from"] = (
                f"Active sign-ups in {code} run from {use.first_arrival:%-d %b} to "
                f"{use.last_departure:%-d %b}; the window must hold them.")
    return problems


def save_rows(session: Session, deployment: Deployment, rows: list[StateRow], *,
              actor) -> list[str]:
    """Apply every row (all or nothing: the caller commits). Returns what changed, in words.

    :raises ValidationFailed: the first problem ``check_rows`` finds
    """
    audit.act_as(session, actor)
    problems = check_rows(session, deployment, rows)
    if problems:
        (_, field), message = next(iter(problems.items()))
        raise ValidationFailed(message, field=field)
    by_code = {p.state_code: p for p in deployment.placements}
    changed: list[str] = []
    for row in rows:
        if row.is_blank():
            continue
        code = row.state.strip().upper()
        placement = by_code.get(code)
        if row.remove:
            if placement is not None:
                session.delete(placement)
                changed.append(f"{code} removed")
            continue
        arrive = row.arrive_from or deployment.starts_on
        depart = row.depart_by or deployment.ends_on
        city = (row.base_city or "").strip()
        if placement is None:
            placement = set_capacity(session, deployment, code, row.capacity, actor=actor,
                                     base_city=city)
            placement.arrive_from, placement.depart_by = arrive, depart
            changed.append(f"{code} added")
            continue
        before = (placement.capacity, placement.base_city, placement.arrive_from,
                  placement.depart_by)
        if placement.capacity != row.capacity:
            set_capacity(session, deployment, code, row.capacity, actor=actor)
        placement.base_city, placement.arrive_from, placement.depart_by = city, arrive, depart
        if before != (placement.capacity, placement.base_city, placement.arrive_from,
                      placement.depart_by):
            changed.append(f"{code} changed")
    session.flush()
    session.expire(deployment, ["placements"])
    return changed
