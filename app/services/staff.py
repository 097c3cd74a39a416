"""Deployment staff: which organisers run which deployment.

An organiser sees and changes only the deployments they are staff of; admins run every
deployment; auditors read every deployment (they change nothing but reviews, and their
dashboard verifies the one audit chain that spans all deployments), so they need no
membership. Volunteers are never staff. The check is made once per request, in the role gate
(``security.gate``) and the API's ``token_required``, from the URL's ``slug``: a route under a
deployment is scoped without a line of its own.

A non-member is answered 403 ("not on the staff of this deployment"), like any other refusal
of the gate; a slug that names no deployment is a 404 for everyone.
"""
from __future__ import annotations

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from ..models import Deployment, Role, StaffMembership, User
from . import audit
from .errors import Conflict, NotFound, PermissionDenied, ValidationFailed

NOT_STAFF = ("You are not on the staff of this deployment. An administrator can add you "
             "(Admin → Deployment staff).")

# Built once: every request under a deployment runs it.
_ACCESS = (select(Deployment.id, exists().where(StaffMembership.deployment_id == Deployment.id,
                                                 StaffMembership.user_id == bindparam("user"))
                  .label("member"))
           .where(Deployment.slug == bindparam("slug")))


def is_scoped(user: User) -> bool:
    """Does ``user`` see only the deployments they are staff of? (Organisers do.)"""
    return user.role is Role.ORGANISER


def check_access(session: Session, user: User, slug: str) -> None:
    """Let ``user`` into the deployment ``slug`` (admins, auditors: always; organisers: when
    they are staff of it; other roles are refused by the role gate before this).

    :raises NotFound: no deployment has that slug
    :raises PermissionDenied: an organiser who is not on its staff
    """
    if not is_scoped(user):
        return
    row = session.execute(_ACCESS, {"slug": slug, "user": user.id}).first()
    if row is None:
        raise NotFound(f"No deployment called {slug!r}.")
    if not row.member:
        raise PermissionDenied(NOT_STAFF)


def is_member(session: Session, deployment: Deployment, user: User) -> bool:
    return session.scalar(select(StaffMembership.id).where(
        StaffMembership.deployment_id == deployment.id,
        StaffMembership.user_id == user.id)) is not None


def visible_deployments(session: Session, user: User) -> list[Deployment]:
    """The deployments ``user`` sees in lists: an organiser's own, everyone else's all; the
    latest first."""
    query = select(Deployment).order_by(Deployment.starts_on.desc(), Deployment.name)
    if is_scoped(user):
        query = query.join(StaffMembership, StaffMembership.deployment_id == Deployment.id) \
            .where(StaffMembership.user_id == user.id)
    return list(session.scalars(query))


def members(session: Session, deployment: Deployment) -> list[User]:
    """The deployment's staff, by name."""
    return list(session.scalars(
        select(User).join(StaffMembership, StaffMembership.user_id == User.id)
        .where(StaffMembership.deployment_id == deployment.id)
        .order_by(User.full_name, User.email)))


def members_by_deployment(session: Session, deployments) -> dict[int, list[User]]:
    """{deployment id: its staff, by name} for several deployments, in one query."""
    found: dict[int, list[User]] = {d.id: [] for d in deployments}
    for deployment_id, user in session.execute(
            select(StaffMembership.deployment_id, User)
            .join(User, StaffMembership.user_id == User.id)
            .where(StaffMembership.deployment_id.in_(list(found)))
            .order_by(User.full_name, User.email)):
        found[deployment_id].append(user)
    return found


def candidates(session: Session, deployment: Deployment) -> list[User]:
    """Active organisers not yet on the deployment's staff (the admin page's choices)."""
    taken = select(StaffMembership.user_id).where(
        StaffMembership.deployment_id == deployment.id)
    return list(session.scalars(
        select(User).where(User.role == Role.ORGANISER, User.is_active,
                           User.id.not_in(taken)).order_by(User.full_name, User.email)))


def add_member(session: Session, deployment: Deployment, user: User, *,
               actor: User | None) -> StaffMembership:
    """Put organiser ``user`` on the staff of ``deployment``.

    :raises ValidationFailed: ``user`` is not an organiser (admins and auditors see every
        deployment without it; volunteers are never staff)
    :raises Conflict: already on its staff
    """
    audit.act_as(session, actor)
    if user.role is not Role.ORGANISER:
        raise ValidationFailed(
            f"{user.email} is {user.role.label.lower()}, not an organiser: only organisers are "
            "staff of a deployment (admins run every deployment, auditors read every one).",
            field="email")
    if is_member(session, deployment, user):
        raise Conflict(f"{user.email} is already on the staff of {deployment.slug}.",
                       field="email")
    membership = StaffMembership(deployment_id=deployment.id, user_id=user.id,
                                 added_by_id=actor.id if actor is not None else None)
    session.add(membership)
    session.flush()
    audit.record(session, "staff.added", "deployments", deployment.id,
                 {"user_id": user.id, "email": user.email})
    return membership


def add_creator(session: Session, deployment: Deployment, actor: User | None) -> None:
    """The organiser who creates a deployment runs it: put them on its staff."""
    if actor is not None and actor.role is Role.ORGANISER:
        add_member(session, deployment, actor, actor=actor)


def remove_member(session: Session, deployment: Deployment, user: User, *,
                  actor: User | None) -> None:
    """Take ``user`` off the staff of ``deployment`` (at their next request they are out).

    :raises NotFound: not on its staff
    """
    audit.act_as(session, actor)
    membership = session.scalar(select(StaffMembership).where(
        StaffMembership.deployment_id == deployment.id, StaffMembership.user_id == user.id))
    if membership is None:
        raise NotFound(f"{user.email} is not on the staff of {deployment.slug}.")
    session.delete(membership)
    session.flush()
    audit.record(session, "staff.removed", "deployments", deployment.id,
                 {"user_id": user.id, "email": user.email})


def forget_user(session: Session, user: User) -> None:
    """Drop every membership of ``user`` (their role is no longer organiser: a later return to
    the role starts with none). The caller has set the actor."""
    for membership in session.scalars(select(StaffMembership)
                                      .where(StaffMembership.user_id == user.id)):
        session.delete(membership)
    session.flush()

