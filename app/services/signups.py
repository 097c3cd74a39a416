"""Sign-ups: declare, claim a spot or join the waitlist, offers, approval, withdrawal, moves.

Every function that changes who holds a spot locks the placement first (``spots.lock_placement``)
and lets the database count; see ``spots`` for why that makes overbooking impossible.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..models import (ACTIVE_SIGNUP_STATUSES, Affiliation, Citizenship,
                      Deployment, LeaveType, Placement, Signup, SignupRole,
                      SignupStatus, User, Volunteer)
from ..models.types import utcnow
from . import audit, choices, deployment_status, hooks, housing, notifications, spots
from .errors import Conflict, NotFound, ValidationFailed
from .validation import country_code

ATTESTATION = ("I confirm that no one is compensating me for the time I spend volunteering on "
               "this trip, and that I will tell the organisers if that changes.")


class DeploymentClosed(Conflict):
    code = "closed"


class DeclarationRequired(Conflict):
    code = "declaration_required"


class AttestationRequired(Conflict):
    code = "attestation_required"


class UnknownState(NotFound):
    code = "unknown_state"


class InvalidRole(ValidationFailed):
    code = "invalid_role"


class InvalidDates(ValidationFailed):
    code = "invalid_dates"


class AlreadyClaimed(Conflict):
    code = "already_claimed"


class ClaimBlocked(Conflict):
    """An earlier sign-up was withdrawn, cancelled or rejected: only an organiser can undo it."""
    code = "claim_blocked"


class PlacementFull(Conflict):
    code = "full"


class OfferExpired(Conflict):
    code = "offer_expired"


class OverrideRequired(Conflict):
    code = "override_required"


class WrongStatus(Conflict):
    code = "invalid_status"


class NoClaim(NotFound):
    code = "no_claim"


@dataclass(frozen=True)
class ClaimResult:
    signup: Signup
    #: Place in the waitlist (1 = next), or None when the claim holds a spot.
    position: int | None = None


# -- declaration ------------------------------------------------------------------------------

def declare(session: Session, volunteer: Volunteer, *, citizenship, country: str,
            home_organisation: str, affiliation, leave_type, attest: bool,
            actor: User | None) -> Volunteer:
    """Record the facts the compliance rules need, and (if ``attest``) the dated attestation.

    :raises ValidationFailed: an unknown value or country
    """
    audit.act_as(session, actor)
    volunteer.citizenship = choices.parse(Citizenship, citizenship, field="citizenship",
                                          what="citizenship")
    volunteer.country = country_code(country)
    volunteer.home_organisation = (home_organisation or "").strip()[:200]
    # None leaves a fact undeclared (an import without it), which the rules report as missing.
    volunteer.affiliation = None if affiliation is None else \
        choices.parse(Affiliation, affiliation, field="affiliation", what="affiliation")
    volunteer.leave_type = None if leave_type is None else \
        choices.parse(LeaveType, leave_type, field="leave_type", what="leave type")
    volunteer.declared_at = utcnow()
    if attest:
        _attest(volunteer)
    session.flush()
    return volunteer


def _attest(volunteer: Volunteer) -> None:
    volunteer.attested_at = utcnow()
    volunteer.attestation_text = ATTESTATION


def needs_override(volunteer: Volunteer, role: SignupRole) -> bool:
    """A foreign national in a decision-making role needs an organiser's written reason."""
    return role.is_decision_making and volunteer.citizenship is Citizenship.FOREIGN_NATIONAL


# -- claiming ---------------------------------------------------------------------------------

_PLACEMENT = select(Placement).where(Placement.deployment_id == bindparam("deployment"),
                                     Placement.state_code == bindparam("state"))


def find_placement(session: Session, deployment: Deployment, state: str) -> Placement:
    """:raises UnknownState: the deployment has no spots in ``state``"""
    code = (state or "").strip().upper()
    placement = session.scalar(_PLACEMENT, {"deployment": deployment.id, "state": code})
    if placement is None:
        offered = ", ".join(p.state_code for p in deployment.placements) or "none"
        raise UnknownState(f"This deployment has no spots in {state!r} (it has: {offered}).",
                           field="state")
    return placement


def active_signup(session: Session, deployment: Deployment, volunteer: Volunteer) -> Signup | None:
    return session.scalar(select(Signup).where(
        Signup.deployment_id == deployment.id, Signup.volunteer_id == volunteer.id,
        Signup.status.in_(ACTIVE_SIGNUP_STATUSES)))


def _check_dates(placement: Placement, arrive_on: date | None, depart_on: date | None):
    arrive_on = arrive_on or placement.arrive_from
    depart_on = depart_on or placement.depart_by
    if depart_on < arrive_on:
        raise InvalidDates("The departure date is before the arrival date.", field="depart_on")
    if arrive_on < placement.arrive_from or depart_on > placement.depart_by:
        raise InvalidDates(f"Dates must fall within {placement.state_code}'s window, "
                           f"{placement.arrive_from} to {placement.depart_by}.", field="arrive_on")
    return arrive_on, depart_on


def claim_spot(session: Session, *, deployment: Deployment, volunteer: Volunteer, state: str,
               role, actor: User | None, arrive_on: date | None = None,
               depart_on: date | None = None, attest: bool = False,
               override_reason: str | None = None, now: datetime | None = None,
               require_attestation: bool = True, by_organiser: bool = False) -> ClaimResult:
    """Claim one of the remaining spots in ``state``, or join its waitlist when it is full.

    The claim holds a spot as ``confirmed``, or ``pending_approval`` when the deployment needs
    approval or a foreign national claims a decision-making role without an organiser's
    written ``override_reason``.

    ``require_attestation`` False is for organisers placing people (imports): the volunteer's
    own attestation is then still missing, and shown as such, until they sign it.
    ``by_organiser``: an organiser places the volunteer (an import, a reinstatement), so an
    earlier rejection or cancellation does not block the claim. A volunteer's own withdrawal
    never does: they may claim again, by the same rules.

    :raises DeploymentClosed, DeclarationRequired, AttestationRequired, UnknownState,
        InvalidRole, InvalidDates, AlreadyClaimed, ClaimBlocked, PlacementFull (no waitlist)
    """
    audit.act_as(session, actor)
    refusal = deployment_status.why_no_claims(deployment)
    if refusal:
        raise DeploymentClosed(refusal)
    role = choices.parse(SignupRole, role, field="role", what="role", error=InvalidRole)
    placement = find_placement(session, deployment, state)
    arrive_on, depart_on = _check_dates(placement, arrive_on, depart_on)
    if volunteer.citizenship is None:
        raise DeclarationRequired("Declare your citizenship, home organisation, affiliation and "
                                  "leave status before you claim a spot.")
    if volunteer.attested_at is None and (attest or require_attestation):
        if not attest:
            raise AttestationRequired("Sign the attestation that no one is compensating you "
                                      "for this trip before you claim a spot.")
        _attest(volunteer)
    override_reason = (override_reason or "").strip() or None

    placement = spots.lock_placement(session, placement.id)
    now = utcnow() if now is None else now
    _refuse_second_claim(session, deployment, volunteer, by_organiser=by_organiser)
    counts = spots.counts(session, placement.id, now)
    if counts.overdue_offers or (counts.waitlisted and counts.held < placement.capacity):
        spots.offer_free_spots(session, placement, now)  # people already waiting come first
        counts = spots.counts(session, placement.id, now)
    if counts.held < placement.capacity:
        guarded = needs_override(volunteer, role) and not override_reason
        status = SignupStatus.PENDING_APPROVAL if deployment.requires_approval or guarded \
            else SignupStatus.CONFIRMED
    elif deployment.keeps_waitlist:
        status = SignupStatus.WAITLISTED
    else:
        raise PlacementFull(f"{placement.state_code} is full and this deployment keeps no "
                            "waitlist.")
    values = dict(deployment_id=deployment.id, placement_id=placement.id,
                  volunteer_id=volunteer.id, role=role, arrive_on=arrive_on, depart_on=depart_on,
                  status=status, offer_expires_at=None, role_override_reason=override_reason,
                  role_override_by_id=actor.id if override_reason and actor else None,
                  cancel_reason=None, created_at=now, updated_at=now)
    try:
        # Core, not a flush: this is the hot path of launch day (see ``hooks.insert``).
        signup = hooks.insert(session, Signup, **values)
    except IntegrityError:  # the same volunteer claiming in two states at once (PostgreSQL)
        raise AlreadyClaimed("You already have a sign-up in this deployment.") from None
    set_committed_value(signup, "placement", placement)
    set_committed_value(signup, "volunteer", volunteer)
    # Last in line: everyone already waiting has a smaller id (they claimed under this lock).
    position = counts.waitlisted + 1 if status is SignupStatus.WAITLISTED else None
    kind = {SignupStatus.CONFIRMED: "confirmation", SignupStatus.WAITLISTED: "waitlisted",
            SignupStatus.PENDING_APPROVAL: "pending_approval"}[status]
    notifications.notify_signup(session, signup, kind, position=position, write=hooks.insert)
    return ClaimResult(signup, position)


#: An organiser's decisions: a volunteer cannot undo them by claiming again (an organiser can
#: reinstate them). Their own withdrawal does not block a new claim.
_BLOCKING = (SignupStatus.CANCELLED, SignupStatus.REJECTED)
#: Sign-ups an organiser can reinstate through the claim path.
REINSTATABLE = (SignupStatus.WITHDRAWN, SignupStatus.CANCELLED, SignupStatus.REJECTED)


_EARLIER = (select(Signup.status, Signup.updated_at)
            .where(Signup.deployment_id == bindparam("deployment"),
                   Signup.volunteer_id == bindparam("volunteer"))
            .order_by(Signup.updated_at.desc()))


def _refuse_second_claim(session: Session, deployment: Deployment, volunteer: Volunteer, *,
                         by_organiser: bool) -> None:
    earlier = session.connection().execute(_EARLIER, {"deployment": deployment.id,
                                                      "volunteer": volunteer.id}).all()
    if any(status in ACTIVE_SIGNUP_STATUSES for status, _ in earlier):
        raise AlreadyClaimed("You already have a sign-up in this deployment; withdraw it "
                             "first to change state.")
    if by_organiser:
        return  # an organiser placing or reinstating someone decides anew
    for status, when in earlier:
        if status in _BLOCKING:
            raise ClaimBlocked(f"Your earlier sign-up was {status.value} on {when:%-d %b %Y} "
                               "by an organiser; an organiser can reinstate you.")


def reinstate(session: Session, signup: Signup, *, actor: User | None) -> ClaimResult:
    """Take back a volunteer whose sign-up was withdrawn, rejected or cancelled: a new claim
    in the same state, role and dates, through the claim path (capacity and the waitlist
    apply; the earlier sign-up stays as history).

    :raises Conflict: the sign-up is still active
    :raises DeploymentClosed, AlreadyClaimed, PlacementFull, … as for ``claim_spot``
    """
    if signup.status not in REINSTATABLE:
        raise Conflict(f"This sign-up is {signup.status.value}: there is nothing to reinstate.")
    placement = signup.placement
    return claim_spot(session, deployment=placement.deployment, volunteer=signup.volunteer,
                      state=placement.state_code, role=signup.role, actor=actor,
                      arrive_on=signup.arrive_on, depart_on=signup.depart_on,
                      override_reason=signup.role_override_reason, require_attestation=False,
                      by_organiser=True)


# -- the volunteer's own changes --------------------------------------------------------------

def withdraw(session: Session, signup: Signup, *, actor: User | None) -> Signup:
    """The volunteer gives up their claim (or their place on the waitlist, or an offer).

    :raises WrongStatus: the sign-up is not active
    """
    audit.act_as(session, actor)
    placement = spots.lock_placement(session, signup.placement_id)
    session.refresh(signup)
    if signup.status not in ACTIVE_SIGNUP_STATUSES:
        raise WrongStatus(f"This sign-up is already {signup.status.value}.")
    return _end(session, signup, placement, SignupStatus.WITHDRAWN, "withdrawal", actor)


def _end(session: Session, signup: Signup, placement: Placement, status: SignupStatus,
         kind: str, actor: User | None, reason: str | None = None) -> Signup:
    """Close a sign-up (the caller holds the placement lock): tell the volunteer, give back
    future beds, and offer the freed spot to the next in line."""
    signup.status = status
    signup.offer_expires_at = None
    if reason is not None:
        signup.cancel_reason = reason
    notifications.notify_signup(session, signup, kind, reason=reason or "")
    session.flush()
    housing.release_stays(session, signup, actor=actor)
    spots.offer_free_spots(session, placement)
    return signup


def accept_offer(session: Session, signup: Signup, *, actor: User | None,
                 now: datetime | None = None) -> Signup:
    """Take up an offered spot before it expires.

    :raises WrongStatus: nothing is on offer
    :raises OfferExpired: the offer ran out
    """
    audit.act_as(session, actor)
    now = now or utcnow()
    spots.lock_placement(session, signup.placement_id)
    session.refresh(signup)
    if signup.status is not SignupStatus.OFFERED:
        raise WrongStatus("There is no open offer on this sign-up.")
    if signup.offer_expires_at <= now:
        raise OfferExpired(f"This offer expired at {signup.offer_expires_at:%-d %b %Y %H:%M} UTC "
                           "and the spot has gone to the next person in line.")
    deployment = signup.placement.deployment
    guarded = needs_override(signup.volunteer, signup.role) and not signup.role_override_reason
    signup.status = SignupStatus.PENDING_APPROVAL if deployment.requires_approval or guarded \
        else SignupStatus.CONFIRMED
    signup.offer_expires_at = None
    notifications.notify_signup(session, signup, "confirmation"
                                if signup.status is SignupStatus.CONFIRMED else "pending_approval")
    session.flush()
    return signup


def decline_offer(session: Session, signup: Signup, *, actor: User | None) -> Signup:
    """Turn an offer down; it goes to the next in line. :raises WrongStatus:"""
    audit.act_as(session, actor)
    if signup.status is not SignupStatus.OFFERED:
        raise WrongStatus("There is no open offer on this sign-up.")
    return withdraw(session, signup, actor=actor)


# -- organisers -------------------------------------------------------------------------------

def _reason(reason: str | None, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(f"Give a reason for the {what}.", field="reason")
    return reason[:2000]


def approve(session: Session, signup: Signup, *, actor: User,
            override_reason: str | None = None) -> Signup:
    """Confirm a pending claim. A foreign national in a decision-making role needs a written
    override reason, which is kept and shown to auditors.

    :raises WrongStatus: not pending
    :raises OverrideRequired: the role guard applies and no reason was given
    """
    audit.act_as(session, actor)
    spots.lock_placement(session, signup.placement_id)
    session.refresh(signup)
    if signup.status is not SignupStatus.PENDING_APPROVAL:
        raise WrongStatus(f"Only a pending claim can be approved; this one is "
                          f"{signup.status.value}.")
    _apply_override(signup, signup.role, override_reason, actor)
    signup.status = SignupStatus.CONFIRMED
    notifications.notify_signup(session, signup, "approval")
    session.flush()
    return signup


def _apply_override(signup: Signup, role: SignupRole, override_reason: str | None,
                    actor: User) -> None:
    reason = (override_reason or "").strip()
    if needs_override(signup.volunteer, role):
        if not reason and not (signup.role == role and signup.role_override_reason):
            raise OverrideRequired(
                f"{signup.volunteer.full_name} is a foreign national: foreign nationals may not "
                f"take part in a campaign's decisions (52 U.S.C. 30121; 11 CFR 110.20(i)). "
                f"Write why the {role.label.lower()} role is acceptable to override.",
                field="override_reason")
    if reason:
        signup.role_override_reason = reason[:2000]
        signup.role_override_by_id = actor.id


def reject(session: Session, signup: Signup, *, actor: User, reason: str) -> Signup:
    """Turn down a pending claim; its spot goes to the waitlist.

    :raises ValidationFailed: no reason  :raises WrongStatus: not pending
    """
    audit.act_as(session, actor)
    reason = _reason(reason, "rejection")
    placement = spots.lock_placement(session, signup.placement_id)
    session.refresh(signup)
    if signup.status is not SignupStatus.PENDING_APPROVAL:
        raise WrongStatus(f"Only a pending claim can be rejected; this one is "
                          f"{signup.status.value}.")
    return _end(session, signup, placement, SignupStatus.REJECTED, "rejection", actor, reason)


def cancel(session: Session, signup: Signup, *, actor: User, reason: str) -> Signup:
    """Cancel an active sign-up with a reason; a freed spot goes to the waitlist.

    :raises ValidationFailed: no reason  :raises WrongStatus: not active
    """
    audit.act_as(session, actor)
    reason = _reason(reason, "cancellation")
    placement = spots.lock_placement(session, signup.placement_id)
    session.refresh(signup)
    if signup.status not in ACTIVE_SIGNUP_STATUSES:
        raise WrongStatus(f"This sign-up is already {signup.status.value}.")
    return _end(session, signup, placement, SignupStatus.CANCELLED, "cancellation", actor, reason)


def move(session: Session, signup: Signup, state: str, *, actor: User) -> Signup:
    """Move a confirmed or pending volunteer to another state, atomically: the target must have
    a free spot, and the spot left behind goes to that state's waitlist.

    :raises UnknownState, PlacementFull, InvalidDates, WrongStatus
    """
    audit.act_as(session, actor)
    deployment = signup.placement.deployment
    target = find_placement(session, deployment, state)
    if target.id == signup.placement_id:
        raise WrongStatus(f"This volunteer is already in {target.state_code}.")
    locked = spots.lock_placements(session, [signup.placement_id, target.id])
    session.refresh(signup)
    if signup.status not in (SignupStatus.CONFIRMED, SignupStatus.PENDING_APPROVAL):
        raise WrongStatus(f"Only confirmed or pending sign-ups can be moved; this one is "
                          f"{signup.status.value}.")
    target = locked[target.id]
    _check_dates(target, signup.arrive_on, signup.depart_on)
    spots.offer_free_spots(session, target)
    if spots.held_spots(session, target.id) >= target.capacity:
        raise PlacementFull(f"{target.state_code} has no free spot.")
    source = locked[signup.placement_id]
    housing.release_stays(session, signup, actor=actor)  # the beds were in the old state
    signup.placement_id = target.id
    session.flush()
    session.refresh(signup)
    notifications.notify_signup(session, signup, "moved")
    spots.offer_free_spots(session, source)
    return signup


def change_role(session: Session, signup: Signup, role, *, actor: User,
                override_reason: str | None = None) -> Signup:
    """An organiser assigns a role. :raises InvalidRole, OverrideRequired, WrongStatus:"""
    audit.act_as(session, actor)
    role = choices.parse(SignupRole, role, field="role", what="role", error=InvalidRole)
    if signup.status not in ACTIVE_SIGNUP_STATUSES:
        raise WrongStatus(f"This sign-up is {signup.status.value}.")
    if signup.status is SignupStatus.CONFIRMED or override_reason:
        _apply_override(signup, role, override_reason, actor)
    signup.role = role
    session.flush()
    return signup


def signup_for_volunteer(session: Session, signup_id: int, volunteer: Volunteer) -> Signup:
    """The volunteer's own sign-up; another person's id is reported as not found."""
    signup = session.get(Signup, signup_id)
    if signup is None or signup.volunteer_id != volunteer.id:
        raise NoClaim("No such sign-up of yours.")
    return signup


def signup_in_deployment(session: Session, signup_id: int, deployment: Deployment) -> Signup:
    signup = session.get(Signup, signup_id)
    if signup is None or signup.deployment_id != deployment.id:
        raise NoClaim("No such sign-up in this deployment.")
    return signup
