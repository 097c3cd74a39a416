"""A deployment's life: draft → open → closed → archived.

- A draft is being prepared: only staff see it; the public and volunteers get a 404.
- Open takes claims until the deployment's last day; the day after, it closes itself (the
  next read stores it, like overdue offers: no cron job needed).
- Closed refuses claims with a message saying why; it may reopen while its dates last.
- Archived is kept for the record: off the public pages, no claims; it may go back to closed.
"""
from __future__ import annotations

from datetime import date

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Deployment, DeploymentStatus, Role, Signup
from ..models.types import utcnow
from . import audit
from .errors import Conflict, NotFound, ValidationFailed

DRAFT, OPEN, CLOSED, ARCHIVED = (DeploymentStatus.DRAFT, DeploymentStatus.OPEN,
                                 DeploymentStatus.CLOSED, DeploymentStatus.ARCHIVED)

#: Where each status may go next. A draft may be dropped straight into the archive; an open
#: deployment goes back to draft only while nobody has signed up (checked below).
NEXT = {DRAFT: (OPEN, ARCHIVED), OPEN: (CLOSED, DRAFT), CLOSED: (OPEN, ARCHIVED),
        ARCHIVED: (CLOSED,)}
#: Seen by everyone; the others only by staff.
PUBLIC = frozenset({OPEN, CLOSED})
STAFF_ROLES = frozenset({Role.ADMIN, Role.ORGANISER, Role.AUDITOR})


def today() -> date:
    """Deployments' dates are calendar days; the day is taken in UTC everywhere, unless the
    app's ``TODAY`` pins it (tests and demos of a past season; never in production)."""
    pinned = current_app.config.get("TODAY") if has_app_context() else None
    return date.fromisoformat(str(pinned)) if pinned else utcnow().date()


def has_ended(deployment: Deployment, on: date | None = None) -> bool:
    return deployment.ends_on < (on or today())


def takes_claims(deployment: Deployment, on: date | None = None) -> bool:
    return deployment.status is OPEN and not has_ended(deployment, on)


def why_no_claims(deployment: Deployment, on: date | None = None) -> str | None:
    """None when the deployment takes claims; otherwise a sentence a volunteer can act on."""
    name = deployment.name
    if deployment.status is DRAFT:
        return f"{name} is not open for sign-ups yet."
    if deployment.status is ARCHIVED:
        return f"{name} is archived; it takes no sign-ups."
    if has_ended(deployment, on):
        return f"{name} ended on {deployment.ends_on:%-d %B %Y}; sign-ups are closed."
    if deployment.status is CLOSED:
        return f"Sign-ups for {name} are closed. Ask an organiser if you still want to go."
    return None


def is_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in STAFF_ROLES


def check_visible(deployment: Deployment, viewer) -> Deployment:
    """The deployment, if ``viewer`` may see it: a draft or an archive is staff-only.

    :raises NotFound: as if it did not exist (a draft's name is not announced)
    """
    if deployment.status not in PUBLIC and not is_staff(viewer):
        raise NotFound(f"No deployment called {deployment.slug!r}.")
    return deployment


def choices_for(deployment: Deployment) -> list[DeploymentStatus]:
    """The statuses the settings page offers: the current one and where it may go."""
    return [deployment.status, *NEXT[deployment.status]]


def change(session: Session, deployment: Deployment, new: DeploymentStatus, *, actor,
           on: date | None = None) -> Deployment:
    """Move a deployment to ``new`` (no change when it is there already).

    :raises ValidationFailed: a step the lifecycle does not allow, or opening after the end
    :raises Conflict: back to draft once people have signed up
    """
    new = DeploymentStatus(new)
    if new is deployment.status:
        return deployment
    audit.act_as(session, actor)
    if new not in NEXT[deployment.status]:
        allowed = " or ".join(s.label.lower() for s in NEXT[deployment.status])
        raise ValidationFailed(f"A {deployment.status.label.lower()} deployment can become "
                               f"{allowed}, not {new.label.lower()}.", field="status")
    if new is OPEN and has_ended(deployment, on):
        raise ValidationFailed(f"It ended on {deployment.ends_on:%-d %B %Y}: move its end date "
                               "first to open it again.", field="status")
    if new is DRAFT:
        signed = session.scalar(select(func.count()).select_from(Signup)
                                .where(Signup.deployment_id == deployment.id)) or 0
        if signed:
            raise Conflict(f"{signed} sign-up(s) are on record: a deployment people have "
                           "joined cannot become a draft again; close it instead.",
                           field="status")
    old = deployment.status
    deployment.status = new
    audit.record(session, "deployment.status_changed", "deployment", deployment.id,
                 {"from": old.value, "to": new.value})
    session.flush()
    return deployment


def close_if_ended_now(session: Session, deployment: Deployment) -> bool:
    """Store that an open deployment past its last day is closed, in a short transaction of
    its own (as ``spots.settle_overdue_offers_now`` does), so the reader's stays a read.
    Returns whether it closed now."""
    if not (deployment.status is OPEN and has_ended(deployment)):
        return False
    with Session(bind=session.get_bind()) as own:
        audit.act_as(own, None)
        found = own.get(Deployment, deployment.id, with_for_update=True)
        if found.status is OPEN and has_ended(found):
            found.status = CLOSED
            audit.record(own, "deployment.closed_itself", "deployment", found.id,
                         {"ended_on": found.ends_on.isoformat()})
        own.commit()
    session.expire(deployment, ["status"])
    return True
