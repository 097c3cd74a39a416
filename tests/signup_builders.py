"""Builders for sign-up tests: declared volunteers with tokens, deployments with spots."""
from __future__ import annotations

from datetime import date
from uuid import uuid4

from app.extensions import db
from app.models import Citizenship, Role, User
from app.services import accounts, deployments, signups


def deployment(slug=None, spots=None, **kwargs):
    return deployments.create_deployment(
        db.session, slug=slug or f"d-{uuid4().hex[:8]}", name="Autumn test deployment",
        actor=None, spots=spots if spots is not None else {"NC": 2, "PA": 2},
        starts_on=date(2024, 10, 20), ends_on=date(2024, 11, 6), **kwargs)


def volunteer(citizenship=Citizenship.FOREIGN_NATIONAL, email=None, declared=True,
              password=None, name="Ava Penrose"):
    user = accounts.create_user(db.session, email=email or f"v-{uuid4().hex[:10]}@example.org",
                                full_name=name, role=Role.VOLUNTEER, password=password,
                                actor=None)
    if declared:
        signups.declare(db.session, user.volunteer, citizenship=citizenship,
                        country="GB" if citizenship is Citizenship.FOREIGN_NATIONAL else "US",
                        home_organisation="Northbridge Labour Party",
                        affiliation="former_staff", leave_type="NOT_EMPLOYED", attest=True,
                        actor=user)
    return user.volunteer


def claim(dep, vol, state="NC", role="canvasser", **kwargs):
    return signups.claim_spot(db.session, deployment=dep, volunteer=vol, state=state, role=role,
                              actor=vol.user, **kwargs)


def organiser(email=None) -> User:
    return accounts.create_user(db.session, email=email or f"o-{uuid4().hex[:8]}@example.org",
                                full_name="Olu Organiser", role=Role.ORGANISER, password=None,
                                actor=None)


def token_for(user: User) -> str:
    return accounts.issue_token(db.session, user, actor=None)
