"""Small builders for service-level tests. Each flushes; the test commits when it needs to."""
from __future__ import annotations

from datetime import date
from uuid import uuid4

from app.extensions import db
from app.models import Citizenship, Role, Signup, SignupRole, SignupStatus
from app.services import accounts, deployments


def make_deployment(slug: str | None = None, spots: dict[str, int] | None = None, **kwargs):
    return deployments.create_deployment(
        db.session, slug=slug or f"dep-{uuid4().hex[:8]}", name="Test deployment", actor=None,
        spots=spots if spots is not None else {"NC": 3, "PA": 2},
        starts_on=date(2024, 10, 20), ends_on=date(2024, 11, 6), **kwargs)


def make_volunteer(email: str | None = None, citizenship=Citizenship.FOREIGN_NATIONAL):
    user = accounts.create_user(db.session, email=email or f"v-{uuid4().hex[:8]}@example.org",
                                full_name="Vol Unteer", role=Role.VOLUNTEER, password=None,
                                actor=None)
    user.volunteer.citizenship = citizenship
    user.volunteer.country = "GB" if citizenship is Citizenship.FOREIGN_NATIONAL else "US"
    db.session.flush()
    return user.volunteer


def make_signup(deployment, volunteer, state="NC", status=SignupStatus.CONFIRMED,
                role=SignupRole.CANVASSER):
    placement = next(p for p in deployment.placements if p.state_code == state)
    signup = Signup(deployment_id=deployment.id, placement_id=placement.id,
                    volunteer_id=volunteer.id, role=role, arrive_on=deployment.starts_on,
                    depart_on=deployment.ends_on, status=status)
    db.session.add(signup)
    db.session.flush()
    return signup
