"""Who holds or waits for a spot, as the organisers' and the volunteers' pages show it.

Reads only; the changes are in ``signups``. Each list loads the people it shows with it, so a
page is a fixed number of queries whatever its length.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload

from ..models import Deployment, Placement, Signup, SignupRole, SignupStatus, Volunteer
from . import compliance, spots
from .paging import PER_PAGE, Page, paginate

#: A state's roster: who needs a decision first, then offers, the confirmed, the waitlist.
ROSTER_ORDER = {SignupStatus.PENDING_APPROVAL: 0, SignupStatus.OFFERED: 1,
                SignupStatus.CONFIRMED: 2, SignupStatus.WAITLISTED: 3}
_ORDER = case(ROSTER_ORDER, value=Signup.status)
_ON_ROSTER = Signup.status.in_(list(ROSTER_ORDER))


@dataclass
class StateRoster:
    """One page of a placement's roster; waitlisted people are numbered from the first of them."""
    page: Page
    #: How many people come before the first waitlisted one, in roster order.
    ahead_of_waitlist: int

    def number(self, index_on_page: int, signup: Signup) -> str:
        index = self.page.offset + index_on_page
        if signup.status is SignupStatus.WAITLISTED:
            return f"W{index - self.ahead_of_waitlist + 1}"
        return str(index + 1)


def state_roster(session: Session, placement: Placement, *, page: int = 1,
                 per_page: int = PER_PAGE) -> StateRoster:
    """A placement's active sign-ups in roster order, a page at a time (three queries)."""
    stmt = (select(Signup).where(Signup.placement_id == placement.id, _ON_ROSTER)
            .options(joinedload(Signup.volunteer).joinedload(Volunteer.user))
            .order_by(_ORDER, Signup.id))
    found = paginate(session, stmt, page, per_page, scalars=True,
                     count=select(func.count()).select_from(Signup).where(
                         Signup.placement_id == placement.id, _ON_ROSTER))
    ahead = session.scalar(select(func.count()).select_from(Signup).where(
        Signup.placement_id == placement.id, _ON_ROSTER,
        _ORDER < ROSTER_ORDER[SignupStatus.WAITLISTED])) or 0
    return StateRoster(found, ahead)


def all_signups(session: Session, deployment: Deployment, *, status: SignupStatus | None = None,
                state: str | None = None, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """Every sign-up of the deployment, of every status and state (or one of each), newest
    first, a page at a time."""
    where = [Signup.deployment_id == deployment.id]
    if status is not None:
        where.append(Signup.status == status)
    if state is not None:
        where.append(Signup.placement_id.in_(select(Placement.id).where(
            Placement.deployment_id == deployment.id, Placement.state_code == state)))
    stmt = (select(Signup).where(*where)
            .options(joinedload(Signup.volunteer).joinedload(Volunteer.user),
                     joinedload(Signup.placement))
            .order_by(Signup.updated_at.desc(), Signup.id.desc()))
    return paginate(session, stmt, page, per_page, scalars=True,
                    count=select(func.count()).select_from(Signup).where(*where))


def earlier_signups(session: Session, placement: Placement, limit: int = 200) -> list[Signup]:
    """Withdrawn, rejected and cancelled sign-ups of a placement whose volunteer holds no
    active sign-up in the deployment (the ones an organiser could reinstate), newest first."""
    active = select(Signup.volunteer_id).where(
        Signup.deployment_id == placement.deployment_id,
        Signup.status.in_(list(ROSTER_ORDER)))
    return list(session.scalars(
        select(Signup).where(Signup.placement_id == placement.id,
                             Signup.status.in_([SignupStatus.WITHDRAWN, SignupStatus.REJECTED,
                                                SignupStatus.CANCELLED]),
                             Signup.volunteer_id.not_in(active))
        .options(joinedload(Signup.volunteer).joinedload(Volunteer.user))
        .order_by(Signup.updated_at.desc(), Signup.id.desc()).limit(limit)).unique())


def pending_claims(session: Session, deployment: Deployment, limit: int = PER_PAGE
                   ) -> list[Signup]:
    """Claims waiting for an organiser's decision, oldest first."""
    return list(session.scalars(
        select(Signup).where(Signup.deployment_id == deployment.id,
                             Signup.status == SignupStatus.PENDING_APPROVAL)
        .options(joinedload(Signup.volunteer).joinedload(Volunteer.user),
                 joinedload(Signup.placement))
        .order_by(Signup.created_at).limit(limit)))


@dataclass
class OwnSignups:
    """A volunteer's own sign-ups, newest first, with their waitlist positions."""
    signups: list[Signup]
    positions: dict[int, int]


def own_signups(session: Session, volunteer: Volunteer) -> OwnSignups:
    mine = list(session.scalars(
        select(Signup).where(Signup.volunteer_id == volunteer.id)
        .options(joinedload(Signup.placement).joinedload(Placement.deployment))
        .order_by(Signup.created_at.desc())))
    return OwnSignups(mine, {s.id: spots.waitlist_position(session, s) for s in mine
                             if s.status is SignupStatus.WAITLISTED})


_DECISION_ROLES = [role for role in SignupRole if role.is_decision_making]


def role_preview(session: Session, deployment: Deployment, signup: Signup, role) -> list:
    """What giving ``signup`` the role ``role`` would record that a form must warn about."""
    paid_by = compliance.paid_lines(session, deployment, {signup.volunteer_id}).get(
        signup.volunteer_id, [])
    return compliance.entry_warnings(
        compliance.preview_role_findings(signup.volunteer, role, paid_by))


def role_warnings(session: Session, deployment: Deployment,
                  signups: list[Signup]) -> dict[int, dict]:
    """What each sign-up's role — or a decision-making role instead — would record, for the
    approve and role forms to say before saving:
    {signup id: {"current": [...], "if_changed": {role label: [...]}}}. A volunteer paid on
    a line of the deployment holds a paid role whatever it is (R2c)."""
    paid = compliance.paid_lines(session, deployment, {s.volunteer_id for s in signups})
    warnings = {}
    for signup in signups:
        volunteer = signup.volunteer
        paid_by = paid.get(signup.volunteer_id, [])
        current = compliance.entry_warnings(
            compliance.preview_role_findings(volunteer, signup.role, paid_by))
        changed = {role.label: found for role in _DECISION_ROLES if role != signup.role
                   if (found := compliance.entry_warnings(
                       compliance.preview_role_findings(volunteer, role, paid_by)))}
        if current or changed:
            warnings[signup.id] = {"current": current, "if_changed": changed}
    return warnings
