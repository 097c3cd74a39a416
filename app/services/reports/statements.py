"""A volunteer's own statements: the deployments they have one in.

A statement is the report of one volunteer's scope (``compliance.scope.for_volunteer``), asked
for through ``service.request_report`` like any other report.
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ...models import Cost, Deployment, Signup, Volunteer


def deployments_of(session: Session, volunteer: Volunteer | None) -> list[Deployment]:
    """Every deployment ``volunteer`` has a sign-up or a cost line in, the latest first."""
    if volunteer is None:
        return []
    involved = or_(
        Deployment.id.in_(select(Signup.deployment_id).where(Signup.volunteer_id == volunteer.id)),
        Deployment.id.in_(select(Cost.deployment_id).where(Cost.volunteer_id == volunteer.id)))
    return session.scalars(select(Deployment).where(involved)
                           .order_by(Deployment.starts_on.desc())).all()
