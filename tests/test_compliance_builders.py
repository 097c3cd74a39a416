"""Builders shared by the compliance tests (this module holds no tests of its own).

Everything goes through the real services, so the findings come from the same commit hook
that serves the app.
"""
from __future__ import annotations

from datetime import date
from uuid import uuid4

from sqlalchemy import select

from app.extensions import db
from app.models import (Citizenship, CostCategory, Finding, PayerKind, SignupRole,
                        SignupStatus)
from app.services import ledger

from .factories import make_deployment, make_signup, make_volunteer

DAY = date(2024, 10, 10)


def deployment(slug=None, election_code="G2024", spots=None):
    return make_deployment(slug=slug or f"c-{uuid4().hex[:8]}", spots=spots or {"NC": 9, "PA": 9},
                           election_code=election_code, election="2024 general",
                           election_date=date(2024, 11, 5))


def volunteer(citizenship=Citizenship.FOREIGN_NATIONAL, leave_type=None, email=None):
    person = make_volunteer(email=email, citizenship=citizenship)
    person.citizenship = citizenship
    person.leave_type = leave_type
    db.session.flush()
    return person


def signup(dep, person, state="NC", role=SignupRole.CANVASSER, status=SignupStatus.CONFIRMED):
    return make_signup(dep, person, state, status=status, role=role)


def payer(dep, kind=PayerKind.SELF, name=None, org=None, country=None):
    return ledger.find_or_add_payer(db.session, dep, name=name or f"{kind.value} {uuid4().hex[:4]}",
                                    kind=kind, organisation_type=org, country=country,
                                    actor=None)


def cost(dep, person, category=CostCategory.TRAVEL, amount="100.00", paid_by=None, day=DAY,
         **details):
    paid_by = paid_by or payer(dep, PayerKind.SELF, name="Self")
    return ledger.record_cost(db.session, deployment=dep, volunteer=person, category=category,
                              amount=amount, currency="USD", incurred_on=day, payer=paid_by,
                              actor=None, **details)


def current(**where) -> set[tuple]:
    """{(rule, code, amount as str or None)} of current findings matching ``where``."""
    query = select(Finding).where(Finding.is_current.is_(True))
    for key, value in where.items():
        query = query.where(getattr(Finding, key) == value)
    return {(f.rule_id, f.code.value, None if f.amount_usd is None else f"{f.amount_usd:.2f}")
            for f in db.session.scalars(query)}


def finding(**where) -> Finding:
    query = select(Finding)
    for key, value in where.items():
        query = query.where(getattr(Finding, key) == value)
    return db.session.scalars(query).one()
