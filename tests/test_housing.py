"""Stays and accommodations through the services: beds per night, dates, derived cost lines."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (Accommodation, AccommodationKind, Cost, CostCategory, CostOrigin,
                        CostSplit, PayerKind, SignupStatus, Stay)
from app.services import housing, housing_reads, ledger
from app.services.errors import Conflict, NotFound, ValidationFailed

from .builders import add_rate, d, make_deployment, make_payer, make_person, make_place
from .conftest import count_rows


@pytest.fixture
def world(app_ctx):
    deployment = make_deployment(slug="housing", spots={"NC": 5, "PA": 5})
    campaign = make_payer(deployment)
    party = make_payer(deployment, "Northbridge Labour Party", PayerKind.FOREIGN_PARTY, "GB")
    hotel = make_place(deployment, campaign, beds=2, cost="100.00", arranged_by=party)
    return {"deployment": deployment, "campaign": campaign, "party": party, "hotel": hotel}


def _lines(stay=None):
    stmt = select(Cost).order_by(Cost.id)
    if stay is not None:
        stmt = stmt.where(Cost.stay_id == stay.id)
    return list(db.session.scalars(stmt))


def test_a_stay_becomes_a_derived_housing_line_with_payer_and_arranger(world):
    signup = make_person(world["deployment"])
    stay = housing.assign_stay(db.session, signup=signup, accommodation=world["hotel"],
                               check_in=d(21), check_out=d(24), actor=None)
    (line,) = _lines(stay)
    assert (line.category, line.origin, line.amount, line.currency, line.amount_usd) == (
        CostCategory.HOUSING, CostOrigin.STAY, Decimal("300.00"), "USD", Decimal("300.00"))
    assert line.payer_id == world["campaign"].id
    assert line.arranged_by_id == world["party"].id  # kept apart from the payer
    assert line.volunteer_id == signup.volunteer_id and line.incurred_on == d(21)
    assert "3 nights at Midtown Hotel" in line.description


def test_a_shared_place_charges_each_bed_its_share_of_the_night(world):
    flat = make_place(world["deployment"], world["campaign"], name="Shared flat", beds=3,
                      cost="100.00", split=CostSplit.SHARED)
    stay = housing.assign_stay(db.session, signup=make_person(world["deployment"]),
                               accommodation=flat, check_in=d(21), check_out=d(23), actor=None)
    assert _lines(stay)[0].amount == Decimal("66.67")  # 2 × 100/3, rounded to the cent


def test_beds_are_counted_per_night_not_per_stay(world):
    hotel = world["hotel"]  # two beds
    a, b, c = (make_person(world["deployment"]) for _ in range(3))
    housing.assign_stay(db.session, signup=a, accommodation=hotel, check_in=d(20),
                        check_out=d(23), actor=None)
    housing.assign_stay(db.session, signup=b, accommodation=hotel, check_in=d(22),
                        check_out=d(25), actor=None)
    # The 22nd holds two people: full. c may come the night a leaves… no, b is still there.
    with pytest.raises(Conflict, match="no free bed on 2024-10-22"):
        housing.assign_stay(db.session, signup=c, accommodation=hotel, check_in=d(21),
                            check_out=d(24), actor=None)
    # …but the nights either side of the 22nd have a free bed.
    housing.assign_stay(db.session, signup=c, accommodation=hotel, check_in=d(23),
                        check_out=d(25), actor=None)
    assert housing.beds_taken(db.session, hotel, d(20), d(25)) == {
        d(20): 1, d(21): 1, d(22): 2, d(23): 2, d(24): 2}


@pytest.mark.parametrize(("check_in", "check_out", "error", "message"), [
    (d(24), d(22), ValidationFailed, "Check-out must be after check-in"),
    (d(22), d(22), ValidationFailed, "Check-out must be after check-in"),
    (d(18), d(22), ValidationFailed, "within the volunteer's dates"),
    (d(30), d(8, 11), ValidationFailed, "within the volunteer's dates"),
])
def test_bad_stay_dates_are_refused_and_nothing_is_written(world, check_in, check_out, error,
                                                           message):
    signup = make_person(world["deployment"])
    db.session.commit()
    with pytest.raises(error, match=message):
        housing.assign_stay(db.session, signup=signup, accommodation=world["hotel"],
                            check_in=check_in, check_out=check_out, actor=None)
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(Stay.id))) == 0
    assert db.session.scalar(select(db.func.count(Cost.id))) == 0


def test_no_one_sleeps_in_two_places_on_the_same_night(world):
    signup = make_person(world["deployment"])
    other = make_place(world["deployment"], world["campaign"], name="Other hotel", beds=5)
    housing.assign_stay(db.session, signup=signup, accommodation=world["hotel"],
                        check_in=d(21), check_out=d(24), actor=None)
    with pytest.raises(Conflict, match="already sleeps at Midtown Hotel on 2024-10-23"):
        housing.assign_stay(db.session, signup=signup, accommodation=other, check_in=d(23),
                            check_out=d(26), actor=None)
    # Check-out day is free: the next stay may start that evening.
    housing.assign_stay(db.session, signup=signup, accommodation=other, check_in=d(24),
                        check_out=d(26), actor=None)


def test_only_a_volunteer_holding_a_spot_gets_a_bed(world):
    waiting = make_person(world["deployment"], status=SignupStatus.WAITLISTED)
    with pytest.raises(Conflict, match="holding a spot"):
        housing.assign_stay(db.session, signup=waiting, accommodation=world["hotel"],
                            check_in=d(21), check_out=d(22), actor=None)


def test_moving_a_stay_moves_its_cost_line_to_the_new_payer(world):
    own = make_payer(world["deployment"], "Self", PayerKind.SELF, None)
    let = make_place(world["deployment"], own, name="Short let", beds=1, cost="55.00",
                     kind=AccommodationKind.SHORT_LET)
    signup = make_person(world["deployment"])
    stay = housing.assign_stay(db.session, signup=signup, accommodation=world["hotel"],
                               check_in=d(21), check_out=d(24), actor=None)
    housing.move_stay(db.session, stay, accommodation=let, check_in=d(22), check_out=d(26),
                      actor=None)
    (line,) = _lines()
    assert (line.payer_id, line.amount, line.arranged_by_id, line.incurred_on) == (
        own.id, Decimal("220.00"), None, d(22))
    assert housing.beds_taken(db.session, world["hotel"], d(21), d(24)) == {
        d(21): 0, d(22): 0, d(23): 0}


def test_a_move_is_checked_like_a_new_stay_but_ignores_the_stay_itself(world):
    a, b, c = (make_person(world["deployment"]) for _ in range(3))
    stay = housing.assign_stay(db.session, signup=a, accommodation=world["hotel"],
                               check_in=d(21), check_out=d(24), actor=None)
    housing.assign_stay(db.session, signup=b, accommodation=world["hotel"], check_in=d(21),
                        check_out=d(30), actor=None)
    # Extending a's own stay within the hotel is fine: a's bed is a's.
    housing.move_stay(db.session, stay, accommodation=world["hotel"], check_in=d(20),
                      check_out=d(26), actor=None)
    housing.assign_stay(db.session, signup=c, accommodation=world["hotel"], check_in=d(26),
                        check_out=d(28), actor=None)
    with pytest.raises(Conflict, match="no free bed on 2024-10-26"):
        housing.move_stay(db.session, stay, accommodation=world["hotel"], check_in=d(20),
                          check_out=d(27), actor=None)


def test_splitting_a_stay_makes_two_lines_that_add_up(world):
    host = make_payer(world["deployment"], "Dana Whitfield", PayerKind.US_INDIVIDUAL, "US")
    home = make_place(world["deployment"], host, name="Whitfield home", beds=1, cost="0.00",
                      kind=AccommodationKind.HOST_HOME, residence=True)
    signup = make_person(world["deployment"])
    stay = housing.assign_stay(db.session, signup=signup, accommodation=world["hotel"],
                               check_in=d(21), check_out=d(26), actor=None)
    second = housing.split_stay(db.session, stay, on=d(23), accommodation=home, actor=None)
    assert (stay.check_in, stay.check_out, second.check_in, second.check_out) == (
        d(21), d(23), d(23), d(26))
    first_line, = _lines(stay)
    second_line, = _lines(second)
    assert first_line.amount == Decimal("200.00") and first_line.payer_id == world["campaign"].id
    assert second_line.amount == Decimal("0.00") and second_line.payer_id == host.id
    assert second_line.in_residence is True
    with pytest.raises(ValidationFailed, match="strictly inside"):
        housing.split_stay(db.session, second, on=d(26), actor=None)


def test_ending_a_stay_early_shortens_its_line_and_frees_the_nights(world):
    signup = make_person(world["deployment"])
    stay = housing.assign_stay(db.session, signup=signup, accommodation=world["hotel"],
                               check_in=d(21), check_out=d(26), actor=None)
    housing.end_stay_early(db.session, stay, check_out=d(22), actor=None)
    assert _lines(stay)[0].amount == Decimal("100.00")
    for bad in (d(21), d(20), d(22), d(30)):
        with pytest.raises(ValidationFailed):
            housing.end_stay_early(db.session, stay, check_out=bad, actor=None)


def test_removing_a_stay_removes_its_line(world):
    signup = make_person(world["deployment"])
    stay = housing.assign_stay(db.session, signup=signup, accommodation=world["hotel"],
                               check_in=d(21), check_out=d(26), actor=None)
    ledger.record_cost(db.session, deployment=world["deployment"], volunteer=signup.volunteer,
                       category=CostCategory.MEALS, amount="20.00", currency="USD",
                       incurred_on=d(21), payer=world["campaign"], actor=None)
    housing.remove_stay(db.session, stay, actor=None)
    assert [line.category for line in _lines()] == [CostCategory.MEALS]
    assert db.session.scalar(select(db.func.count(Stay.id))) == 0


def test_release_stays_clears_a_cancelled_signups_future_nights(world):
    signup = make_person(world["deployment"])
    stay = housing.assign_stay(db.session, signup=signup, accommodation=world["hotel"],
                               check_in=d(21), check_out=d(23), actor=None)
    housing.split_stay(db.session, stay, on=d(22), actor=None)
    assert housing.release_stays(db.session, signup, actor=None, today=d(20)) == 2
    assert _lines() == []


def test_release_stays_keeps_the_nights_already_slept(world):
    signup = make_person(world["deployment"])
    housing.assign_stay(db.session, signup=signup, accommodation=world["hotel"],
                        check_in=d(21), check_out=d(25), actor=None)
    assert housing.release_stays(db.session, signup, actor=None, today=d(23)) == 1
    [stay] = housing_reads.stays_of(db.session, signup)
    assert (stay.check_in, stay.check_out) == (d(21), d(23))
    assert housing.release_stays(db.session, signup, actor=None, today=d(26)) == 0


def test_derived_lines_cannot_be_edited_or_deleted_by_hand(world):
    signup = make_person(world["deployment"])
    stay = housing.assign_stay(db.session, signup=signup, accommodation=world["hotel"],
                               check_in=d(21), check_out=d(23), actor=None)
    line = _lines(stay)[0]
    with pytest.raises(Conflict, match="worked out from a stay"):
        ledger.update_cost(db.session, line, actor=None, volunteer=signup.volunteer,
                           category="HOUSING", amount="1.00", currency="USD", incurred_on=d(21),
                           payer=world["party"])
    with pytest.raises(Conflict, match="worked out from a stay"):
        ledger.delete_cost(db.session, line, actor=None)
    db.session.refresh(line)
    assert line.amount == Decimal("200.00") and line.payer_id == world["campaign"].id


def test_editing_a_place_rewrites_its_stays_lines(world):
    signup = make_person(world["deployment"])
    stay = housing.assign_stay(db.session, signup=signup, accommodation=world["hotel"],
                               check_in=d(21), check_out=d(23), actor=None)
    add_rate("GBP", d(1), "1.30")
    housing.update_accommodation(db.session, world["hotel"], actor=None, nightly_cost="90.00",
                                 currency="GBP", payer_id=world["party"].id, arranged_by_id="")
    line = _lines(stay)[0]
    assert (line.amount, line.currency, line.amount_usd, line.usd_per_unit) == (
        Decimal("180.00"), "GBP", Decimal("234.00"), Decimal("1.30000000"))
    assert line.payer_id == world["party"].id and line.arranged_by_id is None


def test_a_place_cannot_have_fewer_beds_than_people_on_its_busiest_night(world):
    for _ in range(2):
        housing.assign_stay(db.session, signup=make_person(world["deployment"]),
                            accommodation=world["hotel"], check_in=d(21), check_out=d(23),
                            actor=None)
    with pytest.raises(Conflict, match="2 people sleep at Midtown Hotel on 2024-10-21"):
        housing.update_accommodation(db.session, world["hotel"], actor=None, beds=1)
    housing.update_accommodation(db.session, world["hotel"], actor=None, beds=2)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"beds": 0}, "beds", "at least one bed"),
    ({"beds": -3}, "beds", "at least one bed"),
    ({"beds": "many"}, "beds", "whole number"),
    ({"nightly_cost": "-5"}, "nightly_cost", "cannot be negative"),
    ({"nightly_cost": "lots"}, "nightly_cost", "not an amount"),
    ({"currency": "XYZ"}, "currency", "ISO 4217"),
    ({"state_code": "ZZ"}, "state_code", "not a US state"),
    ({"kind": "castle"}, "kind", "not a kind"),
    ({"name": "  "}, "name", "name"),
])
def test_bad_accommodation_input_is_refused_with_its_field(world, fields, field, message):
    base = dict(name="Place", kind="hotel", state_code="NC", beds=2, nightly_cost="10.00",
                currency="USD", payer_id=world["campaign"].id)
    db.session.commit()
    with pytest.raises(ValidationFailed, match=message) as caught:
        housing.add_accommodation(db.session, deployment=world["deployment"], actor=None,
                                  **{**base, **fields})
    assert caught.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(Accommodation.id))) == 1


def test_a_payer_from_another_deployment_is_refused(world):
    elsewhere = make_deployment(slug="elsewhere")
    stranger = make_payer(elsewhere, "Stranger")
    with pytest.raises(NotFound):
        make_place(world["deployment"], stranger)


def test_a_foreign_currency_place_needs_a_rate_and_shows_both_amounts(world):
    flat = make_place(world["deployment"], world["party"], name="Union flat", beds=2,
                      cost="45.00", currency="GBP")
    signup = make_person(world["deployment"])
    db.session.commit()
    with pytest.raises(ValidationFailed, match="No GBP exchange rate on or before 2024-10-21"):
        housing.assign_stay(db.session, signup=signup, accommodation=flat, check_in=d(21),
                            check_out=d(23), actor=None)
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(Stay.id))) == 0
    add_rate("GBP", d(1), "1.20")
    add_rate("GBP", d(21), "1.30")
    add_rate("GBP", d(22), "9.99")  # after the stay's first night: not used
    stay = housing.assign_stay(db.session, signup=signup, accommodation=flat, check_in=d(21),
                               check_out=d(23), actor=None)
    line = _lines(stay)[0]
    assert (line.amount, line.currency, line.amount_usd) == (Decimal("90.00"), "GBP",
                                                             Decimal("117.00"))


def test_volunteers_see_their_own_stay_address_and_who_pays(world):
    signup = make_person(world["deployment"])
    stay = housing.assign_stay(db.session, signup=signup, accommodation=world["hotel"],
                               check_in=d(21), check_out=d(23), actor=None)
    housing.split_stay(db.session, stay, on=d(22), actor=None)
    mine = housing_reads.my_stays(db.session, signup.volunteer)
    assert [(s["check_in"], s["check_out"]) for s in mine] == [(d(21), d(22)), (d(22), d(23))]
    first = mine[0]
    assert (first["accommodation"], first["address"], first["state"], first["payer_name"],
            first["payer_kind"], first["arranged_by"]) == (
        "Midtown Hotel", "1 Main St", "NC", "Harper for America", "CAMPAIGN",
        "Northbridge Labour Party")
    assert housing_reads.my_stays(db.session, make_person(world["deployment"]).volunteer) == []


def test_the_board_counts_each_night_and_lists_who_sleeps_there(world):
    a, b = make_person(world["deployment"]), make_person(world["deployment"])
    make_place(world["deployment"], world["campaign"], name="PA rooms", state="PA", beds=4)
    housing.assign_stay(db.session, signup=a, accommodation=world["hotel"], check_in=d(20),
                        check_out=d(22), actor=None)
    housing.assign_stay(db.session, signup=b, accommodation=world["hotel"], check_in=d(21),
                        check_out=d(23), actor=None)
    grid = housing_reads.board(db.session, world["deployment"], state="NC")
    assert grid.states == ["NC", "PA"] and [r.name for r in grid.rows] == ["Midtown Hotel"]
    cells = grid.rows[0].cells
    assert [(c.taken, c.free) for c in cells[:4]] == [(1, 1), (2, 0), (1, 1), (0, 2)]
    assert len(grid.nights) == housing_reads.BOARD_NIGHTS and grid.nights[0] == d(20)
    assert len(housing_reads.board(db.session, world["deployment"]).rows) == 2


def test_every_housing_change_is_in_the_audit_chain(world, app):
    from app.models import AuditEvent
    signup = make_person(world["deployment"])
    db.session.commit()
    before = count_rows(app, AuditEvent)
    stay = housing.assign_stay(db.session, signup=signup, accommodation=world["hotel"],
                               check_in=d(21), check_out=d(23), actor=None)
    housing.end_stay_early(db.session, stay, check_out=d(22), actor=None)
    db.session.commit()
    actions = db.session.execute(select(AuditEvent.action, AuditEvent.entity_type)
                                 .where(AuditEvent.seq > before)).all()
    assert ("create", "stays") in actions and ("create", "costs") in actions
    assert ("update", "stays") in actions and ("update", "costs") in actions
