"""The capacity core: locking a placement, counting held spots, and running its waitlist.

Every path that changes who holds a spot (claims, withdrawals, offers, approvals, moves,
capacity edits, imports) first calls ``lock_placement`` in its transaction. The lock is an
UPDATE of the placement row that changes nothing: on PostgreSQL it takes the row lock, on
SQLite it takes the database's write lock (and, with the driver's deferred BEGIN, it is the
transaction's first statement, so no stale snapshot can be upgraded). Two workers therefore
never both see "one spot left"; the count that follows is exact until commit.

The counts come from counters the database keeps on the placement row (triggers on
``signups``), and the database refuses a placement with more spots held than its capacity,
whatever code path tries.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..models import Deployment, Placement, Signup, SignupStatus
from ..models.types import UTCDateTime, utcnow
from . import audit, housing, notifications


# Plain SQL: this runs on every claim, and it changes nothing but the locks it takes.
_LOCK = text("UPDATE placements SET capacity = capacity WHERE id = :id RETURNING capacity")


def lock_placement(session: Session, placement_id: int) -> Placement:
    """Serialise changes to one placement's spots until the transaction ends."""
    capacity = session.connection().execute(_LOCK, {"id": placement_id}).scalar_one()
    placement = session.get(Placement, placement_id)
    set_committed_value(placement, "capacity", capacity)  # as of the lock, not as first read
    return placement


def lock_placements(session: Session, placement_ids) -> dict[int, Placement]:
    """Lock several placements in id order, so two moves in opposite directions cannot deadlock."""
    return {pid: lock_placement(session, pid) for pid in sorted(set(placement_ids))}


@dataclass(frozen=True)
class Counts:
    held: int
    waitlisted: int
    overdue_offers: int


# Plain SQL, run by every claim while it holds the lock: the placement's counters (kept by
# the database's triggers, so this costs the same at any size) and its overdue offers, which
# are few (an index range of one placement's outstanding offers).
_COUNTS = text(f"""
SELECT held, waiting,
  (SELECT count(*) FROM signups
    WHERE placement_id = :placement AND status = '{SignupStatus.OFFERED.value}'
      AND offer_expires_at <= :now)
FROM placements WHERE id = :placement
""").bindparams(bindparam("now", type_=UTCDateTime()))  # nosec B608 - an enum constant, no input
_HELD = text("SELECT held FROM placements WHERE id = :placement")


def counts(session: Session, placement_id: int, now: datetime) -> Counts:
    """Held spots, waitlist length and overdue offers of one placement, in one query."""
    session.flush()  # count this transaction's own changes too, as autoflush would
    row = session.connection().execute(_COUNTS, {"placement": placement_id, "now": now}).one()
    return Counts(*row)


def held_spots(session: Session, placement_id: int) -> int:
    """Sign-ups that use one of the placement's spots (confirmed, pending, offered)."""
    session.flush()
    return session.connection().execute(_HELD, {"placement": placement_id}).scalar_one()


# Waitlist order is insertion order. Claims insert while holding the placement lock, so ids
# follow the order in which claims were decided (timestamps from several processes might not).

def waitlist(session: Session, placement_id: int) -> list[Signup]:
    """The waitlist in order: first come, first offered."""
    return list(session.scalars(select(Signup).where(
        Signup.placement_id == placement_id, Signup.status == SignupStatus.WAITLISTED)
        .order_by(Signup.id)))


def waitlist_position(session: Session, signup: Signup) -> int:
    """1 for the first in line."""
    return 1 + session.scalar(select(func.count()).select_from(Signup).where(
        Signup.placement_id == signup.placement_id, Signup.status == SignupStatus.WAITLISTED,
        Signup.id < signup.id))


def expire_offers(session: Session, placement: Placement, now: datetime | None = None) -> int:
    """Mark the placement's overdue offers expired. The caller holds the placement lock."""
    now = now or utcnow()
    overdue = session.scalars(select(Signup).where(
        Signup.placement_id == placement.id, Signup.status == SignupStatus.OFFERED,
        Signup.offer_expires_at <= now)).all()
    for signup in overdue:
        signup.status = SignupStatus.EXPIRED
        signup.offer_expires_at = None
        notifications.notify_signup(session, signup, "offer_expired")
        session.flush()
        housing.release_stays(session, signup, actor=None)
    return len(overdue)


def offer_free_spots(session: Session, placement: Placement, now: datetime | None = None) -> list[Signup]:
    """Offer each free spot to the next in line; the caller holds the placement lock.

    Expired offers are cleared first, so their spots go to the next in line too.
    """
    now = now or utcnow()
    expire_offers(session, placement, now)
    deployment = session.get(Deployment, placement.deployment_id)
    free = placement.capacity - held_spots(session, placement.id)
    offered = []
    for signup in waitlist(session, placement.id)[:max(free, 0)]:
        signup.status = SignupStatus.OFFERED
        signup.offer_expires_at = now + timedelta(hours=deployment.offer_hours)
        notifications.notify_signup(session, signup, "offer")
        offered.append(signup)
    session.flush()
    return offered


_OVERDUE = select(Signup.id).where(
    Signup.deployment_id == bindparam("deployment"), Signup.status == SignupStatus.OFFERED,
    Signup.offer_expires_at <= bindparam("now")).limit(1)


def has_overdue_offers(session: Session, deployment_id: int, now: datetime | None = None) -> bool:
    """A cheap read, so pages only take a write lock when an offer has really run out."""
    return session.scalar(_OVERDUE, {"deployment": deployment_id,
                                     "now": now or utcnow()}) is not None


def settle_overdue_offers(session: Session, deployment: Deployment,
                          now: datetime | None = None) -> int:
    """Expire overdue offers in ``deployment`` and pass their spots on. Flushes; caller commits.

    ``flask jobs run`` calls this; pages and the API call ``settle_overdue_offers_now``.
    """
    now = now or utcnow()
    if not has_overdue_offers(session, deployment.id, now):
        return 0
    placement_ids = session.scalars(select(Signup.placement_id).where(
        Signup.deployment_id == deployment.id, Signup.status == SignupStatus.OFFERED,
        Signup.offer_expires_at <= now).distinct()).all()
    expired = 0
    for placement in lock_placements(session, placement_ids).values():
        expired += expire_offers(session, placement, now)
        offer_free_spots(session, placement, now)
    return expired


def settle_overdue_offers_now(session: Session, deployment: Deployment) -> int:
    """Pass on the spots of overdue offers in a short transaction of its own, committed here.

    Offers run out without a cron job: whoever reads a deployment next settles them. That is a
    write, done as a job would do it — its own session and connection, the same actor in the
    audit chain — so the reader's own transaction stays a read and a GET needs no commit.
    Call it before the caller's session writes anything (on SQLite a second writer would wait
    for the first). Returns how many offers expired.
    """
    if not has_overdue_offers(session, deployment.id):
        return 0
    with Session(bind=session.get_bind()) as own:
        audit.act_as_same(own, session)
        expired = settle_overdue_offers(own, own.get(Deployment, deployment.id))
        own.commit()
    for obj in list(session.identity_map.values()):  # what the reader loaded may have moved
        if isinstance(obj, (Signup, Placement)) and obj.deployment_id == deployment.id:
            session.expire(obj)
    return expired
