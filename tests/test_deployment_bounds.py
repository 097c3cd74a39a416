"""Deployment settings have bounds that make sense (issue 13): at most 10,000 spots a state,
dates within five years of today; the errors sit under their fields."""
from datetime import date

import pytest

from app.extensions import db
from app.models import Deployment, Role
from app.services import deployments
from app.services.errors import ValidationFailed

from .conftest import count_rows, csrf_token


@pytest.mark.parametrize(("spots", "message"), [
    (["NC:99999999999"], "99,999,999,999 spots is more than a state can hold here"),
    (["NC:10001"], "at most 10,000"),
])
def test_absurd_capacities_are_refused(app_ctx, spots, message):
    with pytest.raises(ValidationFailed, match=message):
        deployments.parse_state_spots(spots)
    assert deployments.parse_state_spots(["NC:10000"]) == {"NC": 10000}


@pytest.mark.parametrize(("starts", "ends", "field"), [
    (date(1900, 1, 1), date(1900, 2, 1), "starts_on"),
    (date(2025, 1, 1), date(2999, 1, 1), "ends_on"),
    (date(2025, 2, 1), date(2025, 1, 1), "ends_on"),
])
def test_dates_far_from_today_or_out_of_order_are_refused(app_ctx, starts, ends, field):
    with pytest.raises(ValidationFailed) as refused:
        deployments.check_dates(starts, ends, today=date(2026, 11, 30))
    assert refused.value.field == field


def test_the_new_deployment_form_shows_the_bound_under_its_field(app, client, login_as):
    login_as(Role.ORGANISER)
    path = "/organiser/deployments/new"
    form = {"csrf_token": csrf_token(client, path), "slug": "too-big", "name": "Too big",
            "starts_on": "2026-12-01", "ends_on": "2026-12-20", "rows-0-state": "NC",
            "rows-0-capacity": "99999999999"}
    response = client.post(path, data=form)
    assert response.status_code == 422
    assert "is more than a state can hold here" in response.get_data(as_text=True)
    response = client.post(path, data={**form, "rows-0-capacity": "5",
                                       "starts_on": "1900-01-01"})
    assert response.status_code == 422
    assert "is not within 5 years of today" in response.get_data(as_text=True)
    # Every field's error at once: the slug, the year and the state's spots together.
    everything = client.post(path, data={**form, "slug": "Not A Slug", "ends_on": "2999-01-01"})
    page = everything.get_data(as_text=True)
    assert everything.status_code == 422
    assert "is not within 5 years of today" in page and "more than a state can hold" in page
    assert "lower-case letters" in page.lower()
    assert count_rows(app, Deployment) == 0
    assert client.post(path, data={**form, "rows-0-capacity": "5"}).status_code == 302
    with app.app_context():
        assert db.session.query(Deployment).count() == 1


def _settings(**over):
    return {"name": "Autumn canvass", "starts_on": "2024-10-19", "ends_on": "2024-11-08",
            "status": "open", "offer_hours": "24", "keeps_waitlist": "y", **over}


def test_an_organiser_renames_and_redates_a_deployment(app, client, login_as):
    from .builders import make_signup_deployment, register_volunteer, claim_spot
    from app.models import Placement
    with app.app_context():
        dep = make_signup_deployment(slug="redate", spots={"NC": 3})
        claim_spot(dep, register_volunteer())  # 2024-10-20 to 2024-11-06, the whole window
        db.session.commit()
    login_as(Role.ORGANISER)
    path = "/organiser/deployments/redate/settings"
    page = client.get(path).get_data(as_text=True)
    assert 'value="Autumn test deployment"' in page and 'value="2024-10-20"' in page
    saved = client.post(path, data={"csrf_token": csrf_token(client, path), **_settings()})
    assert saved.status_code == 302
    with app.app_context():
        dep = deployments.get_deployment(db.session, "redate")
        assert (dep.name, dep.starts_on, dep.ends_on) == (
            "Autumn canvass", date(2024, 10, 19), date(2024, 11, 8))
        nc = db.session.query(Placement).one()
        assert (nc.arrive_from, nc.depart_by) == (date(2024, 10, 19), date(2024, 11, 8))
    # Narrower than a sign-up's dates: refused, with how many and why.
    refused = client.post(path, data={"csrf_token": csrf_token(client, path),
                                      **_settings(starts_on="2024-10-25")})
    assert refused.status_code == 422
    assert "1 active sign-up(s) have dates outside 2024-10-25 to 2024-11-08" in \
        refused.get_data(as_text=True)
    far = client.post(path, data={"csrf_token": csrf_token(client, path),
                                  **_settings(ends_on="2999-01-01")})
    assert "is not within 5 years of today" in far.get_data(as_text=True)
    with app.app_context():
        assert deployments.get_deployment(db.session, "redate").starts_on == date(2024, 10, 19)
