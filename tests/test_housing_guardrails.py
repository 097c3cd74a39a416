"""Housing guardrails (issue 13): a bed in another state than the volunteer's sign-up needs an
organiser's reason, which auditors see; a place can only be in one of the deployment's
states."""
from datetime import date

import pytest

from app.extensions import db
from app.models import Role, Stay
from app.services import housing
from app.services.errors import ValidationFailed

from .builders import make_deployment, make_payer, make_person, make_place
from .conftest import count_rows, csrf_token


def _pa_volunteer_and_nc_hotel():
    deployment = make_deployment(slug="beds", spots={"NC": 5, "PA": 5})
    hotel = make_place(deployment, make_payer(deployment), state="NC")
    signup = make_person(deployment, state="PA")
    db.session.commit()
    return deployment, hotel, signup


def test_a_bed_in_another_state_needs_a_reason(app_ctx):
    _, hotel, signup = _pa_volunteer_and_nc_hotel()
    nights = dict(check_in=date(2024, 10, 21), check_out=date(2024, 10, 24))
    with pytest.raises(ValidationFailed) as refused:
        housing.assign_stay(db.session, signup=signup, accommodation=hotel, actor=None, **nights)
    assert refused.value.field == "other_state_reason"
    assert "is in NC, but" in refused.value.message and "sign-up is for PA" in \
        refused.value.message
    db.session.rollback()
    stay = housing.assign_stay(db.session, signup=signup, accommodation=hotel, actor=None,
                               other_state_reason="  PA hotel full the first nights  ", **nights)
    db.session.commit()
    assert stay.other_state_reason == "PA hotel full the first nights"


def test_the_same_state_keeps_no_reason(app_ctx):
    deployment = make_deployment(slug="same", spots={"NC": 5})
    hotel = make_place(deployment, make_payer(deployment), state="NC")
    signup = make_person(deployment, state="NC")
    stay = housing.assign_stay(db.session, signup=signup, accommodation=hotel, actor=None,
                               check_in=date(2024, 10, 21), check_out=date(2024, 10, 22),
                               other_state_reason="not needed")
    assert stay.other_state_reason is None


def test_a_place_must_be_in_one_of_the_deployments_states(app_ctx):
    deployment = make_deployment(slug="where", spots={"NC": 5, "PA": 5})
    with pytest.raises(ValidationFailed, match=r"NV is not one of this deployment's states "
                                               r"\(NC, PA\)") as refused:
        make_place(deployment, make_payer(deployment), state="NV")
    assert refused.value.field == "state_code"


def test_the_stay_form_asks_for_the_reason_and_auditors_read_it(app, client, login_as):
    with app.app_context():
        _, hotel, signup = _pa_volunteer_and_nc_hotel()
        ids = {"hotel": hotel.id, "signup": signup.id}
    login_as(Role.ORGANISER)
    path = f"/organiser/deployments/beds/housing/signups/{ids['signup']}/stays/new"
    form = {"csrf_token": csrf_token(client, path), "accommodation_id": str(ids["hotel"]),
            "check_in": "2024-10-21", "check_out": "2024-10-23"}
    refused = client.post(path, data=form)
    assert refused.status_code == 422
    assert "Give the reason for a bed in another state" in refused.get_data(as_text=True)
    assert count_rows(app, Stay) == 0
    saved = client.post(path, data={**form, "other_state_reason": "PA full on the 21st"})
    assert saved.status_code == 302
    with app.app_context():
        stay_id = db.session.query(Stay.id).scalar()
    login_as(Role.AUDITOR)
    page = client.get(f"/organiser/deployments/beds/housing/stays/{stay_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Another state than the sign-up" in text and "(PA)" in text
    assert "PA full on the 21st" in text


def test_the_bed_picker_counts_free_beds_for_the_stays_nights(app, client, login_as):
    with app.app_context():
        deployment = make_deployment(slug="picker", spots={"NC": 5, "PA": 5})
        payer = make_payer(deployment)
        hotel = make_place(deployment, payer, name="Big Hotel", beds=3, state="NC")
        flat = make_place(deployment, payer, name="Small Flat", beds=1, state="NC")
        make_place(deployment, payer, name="Philly Room", beds=2, state="PA")
        sleeper = make_person(deployment, state="NC")
        housing.assign_stay(db.session, signup=sleeper, accommodation=flat, actor=None,
                            check_in=date(2024, 10, 22), check_out=date(2024, 10, 23))
        housing.assign_stay(db.session, signup=make_person(deployment, state="NC"),
                            accommodation=hotel, actor=None, check_in=date(2024, 10, 20),
                            check_out=date(2024, 10, 21))  # before the nights asked about
        newcomer = make_person(deployment, state="NC", arrive=date(2024, 10, 21),
                               depart=date(2024, 10, 24))
        db.session.commit()
        signup_id = newcomer.id
    login_as(Role.ORGANISER)
    page = client.get(f"/organiser/deployments/picker/housing/signups/{signup_id}/stays/new")
    text = page.get_data(as_text=True)
    assert "NC · Big Hotel — 3 of 3 beds free 21 Oct–24 Oct" in text
    assert "NC · Small Flat — full on some of 21 Oct–24 Oct" in text
    assert "PA · Philly Room — 2 of 2 beds free 21 Oct–24 Oct · another state than NC: needs " \
           "a reason" in text
    # The sign-up's own state first, the fullest last among them.
    assert text.index("Big Hotel") < text.index("Small Flat") < text.index("Philly Room")
