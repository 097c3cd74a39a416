"""Builders for tests: rows made through the real services (so audit events, counters and
findings come from the same code that serves the app), and big worlds in bulk.

Each builder flushes; the test (or fixture) commits when it needs to. Call them inside an app
context. Fixtures that use them live in ``conftest.py``.

Sections: people and deployments · sign-ups through the services · housing and the ledger ·
compliance · reports · big worlds and query counting.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import event, insert, select

from app.extensions import db
from app.models import (Accommodation, AccommodationKind, Citizenship, Cost, CostCategory,
                        CostOrigin, CostSplit, Finding, PayerKind, Placement, Role, Signup,
                        SignupRole, SignupStatus, Stay, User, Volunteer)
from app.services import accounts, deployments, housing, ledger, signups

START = date(2024, 10, 20)   # make_deployment's dates: 2024-10-20 to 2024-11-06
END = date(2024, 11, 6)
PASSWORD = "correct horse battery staple"   # what conftest's log_in sends


def d(day: int, month: int = 10) -> date:
    return date(2024, month, day)


# -- people and deployments -----------------------------------------------------------------
def make_deployment(slug: str | None = None, spots: dict[str, int] | None = None, **kwargs):
    """"Test deployment", 2024-10-20 to 2024-11-06, three spots in NC and two in PA."""
    return deployments.create_deployment(
        db.session, slug=slug or f"dep-{uuid4().hex[:8]}", name="Test deployment", actor=None,
        spots=spots if spots is not None else {"NC": 3, "PA": 2},
        starts_on=START, ends_on=END, **kwargs)


def make_volunteer(email: str | None = None, citizenship=Citizenship.FOREIGN_NATIONAL,
                   leave_type=None):
    """A volunteer (no password) whose citizenship and country are set directly."""
    user = accounts.create_user(db.session, email=email or f"v-{uuid4().hex[:8]}@example.org",
                                full_name="Vol Unteer", role=Role.VOLUNTEER, password=None,
                                actor=None)
    user.volunteer.citizenship = citizenship
    user.volunteer.country = "GB" if citizenship is Citizenship.FOREIGN_NATIONAL else "US"
    if leave_type is not None:
        user.volunteer.leave_type = leave_type
    db.session.flush()
    return user.volunteer


def make_signup(deployment, volunteer, state="NC", status=SignupStatus.CONFIRMED,
                role=SignupRole.CANVASSER):
    """A sign-up row written directly (no quota check), for the deployment's whole dates."""
    placement = next(p for p in deployment.placements if p.state_code == state)
    signup = Signup(deployment_id=deployment.id, placement_id=placement.id,
                    volunteer_id=volunteer.id, role=role, arrive_on=deployment.starts_on,
                    depart_on=deployment.ends_on, status=status)
    db.session.add(signup)
    db.session.flush()
    return signup


# -- sign-ups through the services ----------------------------------------------------------
def make_signup_deployment(slug=None, spots=None, **kwargs):
    """"Autumn test deployment" with two spots in NC and two in PA, for the sign-up tests."""
    return deployments.create_deployment(
        db.session, slug=slug or f"d-{uuid4().hex[:8]}", name="Autumn test deployment",
        actor=None, spots=spots if spots is not None else {"NC": 2, "PA": 2},
        starts_on=START, ends_on=END, **kwargs)


def register_volunteer(citizenship=Citizenship.FOREIGN_NATIONAL, email=None, declared=True,
                       password=None, name="Ava Penrose"):
    """A volunteer account; unless ``declared=False`` it has made the declaration (through
    ``signups.declare``) and may claim spots."""
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


def claim_spot(dep, vol, state="NC", role="canvasser", **kwargs):
    """``signups.claim_spot`` as the volunteer themself."""
    return signups.claim_spot(db.session, deployment=dep, volunteer=vol, state=state, role=role,
                              actor=vol.user, **kwargs)


def make_organiser(email=None) -> User:
    return accounts.create_user(db.session, email=email or f"o-{uuid4().hex[:8]}@example.org",
                                full_name="Olu Organiser", role=Role.ORGANISER, password=None,
                                actor=None)


def token_for(user: User) -> str:
    """A new API token for ``user``."""
    return accounts.issue_token(db.session, user, actor=None)


# -- housing and the ledger -----------------------------------------------------------------
def make_payer(deployment, name="Harper for America", kind=PayerKind.CAMPAIGN, country="US"):
    return ledger.add_payer(db.session, deployment, name=name, kind=kind, country=country,
                            actor=None)


def make_place(deployment, payer, *, name="Midtown Hotel", beds=2, cost="100.00",
               currency="USD", split=CostSplit.PER_BED, state="NC", arranged_by=None,
               kind=AccommodationKind.HOTEL, residence=False, address="1 Main St"):
    return housing.add_accommodation(
        db.session, deployment=deployment, actor=None, name=name, kind=kind, state_code=state,
        beds=beds, nightly_cost=cost, currency=currency, cost_split=split, payer_id=payer.id,
        arranged_by_id=arranged_by.id if arranged_by else None, is_host_residence=residence,
        address=address, city="Raleigh")


def make_person(deployment, *, state="NC", status=SignupStatus.CONFIRMED, email=None,
                arrive=START, depart=END):
    """A new volunteer signed up in ``state``; returns the sign-up."""
    volunteer = make_volunteer(email=email)
    signup = make_signup(deployment, volunteer, state, status=status)
    signup.arrive_on, signup.depart_on = arrive, depart
    db.session.flush()
    return signup


def add_rate(currency="GBP", on=d(1), rate="1.25"):
    return ledger.record_exchange_rate(db.session, currency=currency, rate_on=on,
                                       usd_per_unit=rate, source="test", actor=None)


def small_world(slug="w"):
    """A deployment, three payers, a two-bed hotel in NC and three signed-up volunteers.

    Returns plain ids (committed), for tests that go through the client.
    """
    deployment = make_deployment(slug=slug, spots={"NC": 5, "PA": 5})
    campaign = make_payer(deployment)
    party = make_payer(deployment, "Northbridge Labour Party", PayerKind.FOREIGN_PARTY, "GB")
    own = make_payer(deployment, "Self", PayerKind.SELF, None)
    hotel = make_place(deployment, campaign, arranged_by=party)
    people = [make_person(deployment, email=f"p{i}-{slug}@example.org") for i in range(3)]
    db.session.commit()
    return {"slug": deployment.slug, "deployment_id": deployment.id, "campaign_id": campaign.id,
            "party_id": party.id, "self_id": own.id, "hotel_id": hotel.id,
            "signup_ids": [s.id for s in people], "volunteer_ids": [s.volunteer_id for s in people],
            "emails": [f"p{i}-{slug}@example.org" for i in range(3)]}


# -- compliance -----------------------------------------------------------------------------
_COST_DAY = date(2024, 10, 10)


def make_election_deployment(slug=None, election_code="G2024", spots=None, office="president",
                             jurisdiction="US"):
    """A deployment for the 2024 general election (nine spots in NC and in PA)."""
    return make_deployment(slug=slug or f"c-{uuid4().hex[:8]}", spots=spots or {"NC": 9, "PA": 9},
                           election=deployments.Election(election_code, office, jurisdiction,
                                                         "2024 general", date(2024, 11, 5)))


def make_payer_of_kind(dep, kind=PayerKind.SELF, name=None, org=None, country=None):
    """``ledger.find_or_add_payer``: a payer of ``kind``, named at random unless named."""
    return ledger.find_or_add_payer(db.session, dep, name=name or f"{kind.value} {uuid4().hex[:4]}",
                                    kind=kind, organisation_type=org, country=country,
                                    actor=None)


def make_cost(dep, person, category=CostCategory.TRAVEL, amount="100.00", paid_by=None,
              day=_COST_DAY, **details):
    """A USD cost line through ``ledger.record_cost``, paid by "Self" unless ``paid_by``."""
    paid_by = paid_by or make_payer_of_kind(dep, PayerKind.SELF, name="Self")
    return ledger.record_cost(db.session, deployment=dep, volunteer=person, category=category,
                              amount=amount, currency="USD", incurred_on=day, payer=paid_by,
                              actor=None, **details)


def current_findings(**where) -> set[tuple]:
    """{(rule, code, amount as str or None)} of current findings matching ``where``."""
    query = select(Finding).where(Finding.is_current.is_(True))
    for key, value in where.items():
        query = query.where(getattr(Finding, key) == value)
    return {(f.rule_id, f.code.value, None if f.amount_usd is None else f"{f.amount_usd:.2f}")
            for f in db.session.scalars(query)}


def one_finding(**where) -> Finding:
    """The single finding (current or not) matching ``where``."""
    query = select(Finding)
    for key, value in where.items():
        query = query.where(getattr(Finding, key) == value)
    return db.session.scalars(query).one()


# -- reports --------------------------------------------------------------------------------
def make_login_volunteer(email, name, citizenship):
    """A volunteer who can log in with ``PASSWORD``."""
    user = accounts.create_user(db.session, email=email, full_name=name, role=Role.VOLUNTEER,
                                password=PASSWORD, actor=None)
    user.volunteer.citizenship = citizenship
    user.volunteer.country = "GB" if citizenship is Citizenship.FOREIGN_NATIONAL else "US"
    db.session.flush()
    return user.volunteer


def make_cost_paid_by(deployment, volunteer, payer_name, kind, amount, *,
                      description="Hotel night", category="HOUSING"):
    """A USD cost line on 2024-10-22 paid by the payer named ``payer_name`` (found or added)."""
    payer = ledger.find_or_add_payer(db.session, deployment, name=payer_name,
                                     kind=PayerKind(kind), actor=None)
    return ledger.record_cost(db.session, deployment=deployment, volunteer=volunteer,
                              category=CostCategory(category), amount=Decimal(amount),
                              currency="USD", incurred_on=date(2024, 10, 22), payer=payer,
                              actor=None, description=description)


# -- big worlds and query counting ----------------------------------------------------------
@contextmanager
def count_queries(engine):
    """Count the SQL statements sent to ``engine`` (from any thread) inside the block."""
    statements: list[str] = []
    lock = threading.Lock()

    def _count(conn, cursor, statement, parameters, context, executemany):
        with lock:
            statements.append(statement)
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def bulk_world(deployment, *, volunteers: int, places: int, costs: int, stays: bool = True):
    """Many rows at once with plain INSERTs (fast; the audit chain is not the subject here).

    Every volunteer holds a spot in NC or PA; the first volunteers each get a stay; cost lines
    are spread over the volunteers and three payers.
    """
    now = datetime(2024, 10, 1, tzinfo=timezone.utc)
    placements = {p.state_code: p.id for p in db.session.scalars(
        select(Placement).where(Placement.deployment_id == deployment.id))}
    for placement_id in placements.values():
        db.session.get(Placement, placement_id).capacity = volunteers
    payer_ids = [make_payer(deployment, f"Bulk payer {k.value}", k, None).id
                 for k in (PayerKind.CAMPAIGN, PayerKind.FOREIGN_PARTY, PayerKind.SELF)]
    tag = deployment.slug
    s = db.session
    first_user = (s.scalar(select(db.func.max(User.id))) or 0) + 1
    s.execute(insert(User), [{"id": first_user + i, "email": f"bulk{i}-{tag}@example.org",
                              "full_name": f"Bulk Person {i:04d}", "role": Role.VOLUNTEER,
                              "password_hash": None, "is_active": True,
                              "session_nonce": f"{i:032d}", "created_at": now}
                             for i in range(volunteers)])
    first_vol = (s.scalar(select(db.func.max(Volunteer.id))) or 0) + 1
    s.execute(insert(Volunteer), [{"id": first_vol + i, "user_id": first_user + i,
                                   "home_organisation": "", "phone": "+1 555 0100",
                                   "attestation_text": "", "created_at": now}
                                  for i in range(volunteers)])
    first_signup = (s.scalar(select(db.func.max(Signup.id))) or 0) + 1
    s.execute(insert(Signup), [{"id": first_signup + i, "deployment_id": deployment.id,
                                "placement_id": placements["NC" if i % 2 else "PA"],
                                "volunteer_id": first_vol + i, "role": SignupRole.CANVASSER,
                                "arrive_on": START, "depart_on": END,
                                "status": SignupStatus.CONFIRMED, "created_at": now,
                                "updated_at": now}
                               for i in range(volunteers)])
    first_place = (s.scalar(select(db.func.max(Accommodation.id))) or 0) + 1
    s.execute(insert(Accommodation), [
        {"id": first_place + i, "deployment_id": deployment.id, "name": f"Bulk place {i:03d}",
         "kind": AccommodationKind.HOTEL, "address": f"{i} Bulk St", "city": "Raleigh",
         "state_code": "NC" if i % 2 else "PA", "beds": 6, "nightly_cost": Decimal("80.00"),
         "currency": "USD", "cost_split": CostSplit.PER_BED, "payer_id": payer_ids[i % 3],
         "arranged_by_id": None, "is_host_residence": False, "notes": "", "created_at": now}
        for i in range(places)])
    if stays:
        s.execute(insert(Stay), [{"signup_id": first_signup + i,
                                  "accommodation_id": first_place + (i // 5) % places,
                                  "check_in": START, "check_out": START + timedelta(days=5),
                                  "created_at": now}
                                 for i in range(min(volunteers, places * 5))])
    s.execute(insert(Cost), [
        {"deployment_id": deployment.id, "volunteer_id": first_vol + i % volunteers,
         "category": list(CostCategory)[i % len(CostCategory)], "description": f"Bulk {i}",
         "amount": Decimal("12.50"), "currency": "USD", "amount_usd": Decimal("12.50"),
         "usd_per_unit": None, "exchange_rate_id": None, "incurred_on": START + timedelta(i % 15),
         "payer_id": payer_ids[i % 3], "arranged_by_id": None, "paid_to": "Somewhere",
         "in_residence": False, "reimbursed": False, "reimbursed_on": None, "evidence_ref": "",
         "origin": CostOrigin.MANUAL, "stay_id": None, "notes": "", "created_at": now,
         "updated_at": now}
        for i in range(costs)])
    s.flush()
    if db.engine.dialect.name == "postgresql":  # explicit ids above: move the sequences on
        for table in ("users", "volunteers", "signups", "accommodations"):
            s.execute(db.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))


def scale_worlds():
    """The scale tests' two deployments, committed: "small" (4 volunteers, 2 places, 6 cost
    lines) and "large" (1,000 volunteers, 200 places, 20,000 cost lines)."""
    small = make_deployment(slug="small", spots={"NC": 10, "PA": 10})
    bulk_world(small, volunteers=4, places=2, costs=6)
    large = make_deployment(slug="large", spots={"NC": 10, "PA": 10})
    bulk_world(large, volunteers=1000, places=200, costs=20000)
    db.session.commit()
