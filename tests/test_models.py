"""Invariants the database itself holds, on SQLite and PostgreSQL alike."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from app.extensions import db
from app.models import (Cost, CostCategory, Payer, PayerKind, Placement, SignupStatus, User)
from app.models.types import utcnow
from app.services import ledger

from .builders import make_deployment, make_signup, make_volunteer

pytestmark = pytest.mark.usefixtures("app_ctx")


def _fails_integrity(statement_or_callable):
    with pytest.raises(IntegrityError):
        if callable(statement_or_callable):
            statement_or_callable()
        else:
            db.session.execute(text(statement_or_callable))
        db.session.flush()
    db.session.rollback()


def test_one_active_signup_per_volunteer_per_deployment():
    deployment = make_deployment()
    volunteer = make_volunteer()
    make_signup(deployment, volunteer, "NC")
    _fails_integrity(lambda: make_signup(deployment, volunteer, "PA",
                                         status=SignupStatus.WAITLISTED))


def test_a_withdrawn_signup_does_not_block_a_new_one():
    deployment = make_deployment()
    volunteer = make_volunteer()
    make_signup(deployment, volunteer, "NC", status=SignupStatus.WITHDRAWN)
    make_signup(deployment, volunteer, "NC", status=SignupStatus.CANCELLED)
    make_signup(deployment, volunteer, "PA")
    db.session.commit()


def test_signup_placement_must_belong_to_its_deployment():
    one, other = make_deployment(), make_deployment()
    volunteer = make_volunteer()
    signup = make_signup(one, volunteer, "NC")
    db.session.commit()
    foreign_placement = other.placements[0].id
    _fails_integrity(f"UPDATE signups SET placement_id = {foreign_placement} "
                     f"WHERE id = {signup.id}")


@pytest.mark.parametrize("statement", [
    "UPDATE placements SET capacity = -1",
    "UPDATE placements SET state_code = 'nc'",
    "UPDATE placements SET depart_by = '2000-01-01'",
    "UPDATE deployments SET ends_on = '2000-01-01'",
    "UPDATE users SET email = 'UPPER@EXAMPLE.ORG'",
    "UPDATE users SET role = 'superuser'",
])
def test_check_constraints(statement):
    make_deployment()
    make_volunteer()
    db.session.commit()
    _fails_integrity(statement)


def test_duplicate_email_is_refused_by_the_database():
    make_volunteer(email="same@example.org")
    db.session.commit()
    _fails_integrity(lambda: db.session.add(User(email="same@example.org", full_name="x",
                                                 role="volunteer")))


def test_foreign_keys_are_enforced():
    _fails_integrity("INSERT INTO placements (deployment_id, state_code, capacity, base_city, "
                     "arrive_from, depart_by) VALUES (9999, 'NC', 1, '', '2024-01-01', "
                     "'2024-01-02')")


def _cost(deployment, volunteer, payer, amount):
    return ledger.record_cost(db.session, deployment=deployment, volunteer=volunteer,
                              category=CostCategory.TRAVEL, amount=amount, currency="USD",
                              incurred_on=date(2024, 10, 20), payer=payer, actor=None)


def test_money_is_exact_decimal_through_the_database():
    deployment = make_deployment()
    volunteer = make_volunteer()
    payer = ledger.find_or_add_payer(db.session, deployment, name="Self", kind=PayerKind.SELF,
                                     actor=None)
    for amount in ("0.10", "0.20", "1234567.89"):
        _cost(deployment, volunteer, payer, amount)
    db.session.commit()
    db.session.expire_all()
    amounts = db.session.scalars(select(Cost.amount).order_by(Cost.id)).all()
    assert amounts == [Decimal("0.10"), Decimal("0.20"), Decimal("1234567.89")]
    total = db.session.scalar(select(db.func.sum(Cost.amount)))
    assert total == Decimal("1234568.19")  # summed in SQL, exactly


def test_floats_and_fractions_of_a_cent_are_refused():
    deployment = make_deployment()
    volunteer = make_volunteer()
    payer = Payer(deployment_id=deployment.id, name="P", kind=PayerKind.SELF)
    db.session.add(payer)
    db.session.flush()
    base = dict(deployment_id=deployment.id, volunteer_id=volunteer.id,
                category=CostCategory.MEALS, currency="USD", incurred_on=date(2024, 10, 20),
                payer_id=payer.id)
    for bad in (0.1, Decimal("0.001")):
        db.session.add(Cost(amount=bad, amount_usd=Decimal("1.00"), **base))
        with pytest.raises(StatementError):
            db.session.flush()
        db.session.rollback()


def test_times_are_utc_aware_and_naive_times_are_refused():
    volunteer = make_volunteer()
    db.session.commit()
    db.session.expire_all()
    created = db.session.get(User, volunteer.user_id).created_at
    assert created.tzinfo is not None and created.utcoffset().total_seconds() == 0
    assert abs((utcnow() - created).total_seconds()) < 60
    user = db.session.get(User, volunteer.user_id)
    user.last_login_at = datetime(2024, 1, 1, 12, 0)
    with pytest.raises(StatementError, match="naive"):
        db.session.flush()
    db.session.rollback()


def test_placement_capacity_cannot_go_below_held_spots():
    from app.services import deployments
    from app.services.errors import Conflict
    deployment = make_deployment(spots={"NC": 3})
    for _ in range(2):
        make_signup(deployment, make_volunteer(), "NC")
    with pytest.raises(Conflict, match="2 spots held"):
        deployments.set_capacity(db.session, deployment, "NC", 1, actor=None)
    placement = db.session.scalar(select(Placement))
    deployments.set_capacity(db.session, deployment, "NC", 2, actor=None)
    assert placement.capacity == 2
