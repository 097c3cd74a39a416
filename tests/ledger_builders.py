"""Builders for housing and ledger tests: small worlds through the services, big ones in bulk."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import event, insert, select

from app.extensions import db
from app.models import (Accommodation, AccommodationKind, Cost, CostCategory, CostOrigin,
                        CostSplit, PayerKind, Placement, Role, Signup, SignupRole,
                        SignupStatus, Stay, User, Volunteer)
from app.services import housing, ledger

from .factories import make_deployment, make_signup, make_volunteer

START = date(2024, 10, 20)   # make_deployment's dates: 2024-10-20 to 2024-11-06
END = date(2024, 11, 6)


def d(day: int, month: int = 10) -> date:
    return date(2024, month, day)


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
