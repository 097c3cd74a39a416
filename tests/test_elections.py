"""Elections: a deployment's election code, office and jurisdiction are checked in one place,
set from the command line and the settings form, shown to organisers and in the disclosure,
and the $1,000 running totals (R3-R5 per volunteer, R15 per host) run across every deployment
of the same election."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Citizenship, CostCategory, Deployment, PayerKind, Role
from app.services import deployments
from app.services.compliance.disclosure import build_disclosure
from app.services.deployments import Election, check_election
from app.services.errors import ValidationFailed

from .builders import (current_findings, make_cost, make_deployment, make_election_deployment,
                       make_payer_of_kind, make_volunteer)
from .conftest import count_rows, csrf_token

US, FN = Citizenship.US_CITIZEN, Citizenship.FOREIGN_NATIONAL


# -- the shape of an election -----------------------------------------------------------------
@pytest.mark.parametrize(("given", "expected"), [
    (("G2024", "president", "US"), ("G2024", "president", "US")),
    (("g2024", "President", "us"), ("G2024", "president", "US")),
    (("P2024", "senate", "NC"), ("P2024", "senate", "NC")),
    (("R2024", "senate", " pa "), ("R2024", "senate", "PA")),
    (("G2024", "house", "NC-05"), ("G2024", "house", "NC-05")),
    (("S2023", "house", "ak-al"), ("S2023", "house", "AK-AL")),
    ((" G2024 ", "", ""), ("G2024", "", "")),
    (("", "", ""), ("", "", "")),
])
def test_good_elections_are_accepted_and_normalised(given, expected):
    election = check_election(*given, name=" 2024 general ", on=date(2024, 11, 5))
    assert (election.code, election.office, election.jurisdiction) == expected
    assert election.name == "2024 general" and election.on == date(2024, 11, 5)


@pytest.mark.parametrize(("given", "field", "words"), [
    (("2024G", "president", "US"), "election_code", "'2024G' is not an election code"),
    (("G24", "president", "US"), "election_code", "'G24' is not an election code"),
    (("X2024", "president", "US"), "election_code", "'X2024' is not an election code"),
    (("G20245", "", ""), "election_code", "is not an election code"),
    (("G2024", "mayor", "US"), "election_office", "'mayor' is not an office"),
    (("G2024", "president", "NC"), "election_jurisdiction", "presidential election's "
                                                           "jurisdiction is US"),
    (("G2024", "house", "NC"), "election_jurisdiction", "House election's jurisdiction is a "
                                                       "state and its district"),
    (("G2024", "house", "NC-5"), "election_jurisdiction", "e.g. NC-05"),
    (("G2024", "house", "ZZ-05"), "election_jurisdiction", "is not a jurisdiction"),
    (("G2024", "senate", "ZZ"), "election_jurisdiction", "'ZZ' is not a jurisdiction"),
    (("G2024", "", "Carolina"), "election_jurisdiction", "is not a jurisdiction"),
    (("", "president", "US"), "election_code", "Give the election's code"),
    (("", "", "NC"), "election_code", "Give the election's code"),
])
def test_elections_in_the_wrong_shape_are_refused_naming_the_field(given, field, words):
    with pytest.raises(ValidationFailed) as caught:
        check_election(*given)
    assert caught.value.field == field
    assert words in caught.value.message


@pytest.mark.parametrize("jurisdiction", ["US", "NC-05"])
def test_a_senate_election_is_for_a_state(jurisdiction):
    """A Senate seat is elected statewide: the whole US, or one House district, is the
    jurisdiction of no Senate election."""
    with pytest.raises(ValidationFailed) as caught:
        check_election("G2024", "senate", jurisdiction)
    assert caught.value.field == "election_jurisdiction"


def test_a_name_over_100_characters_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        check_election("G2024", "president", "US", name="x" * 101)
    assert caught.value.field == "election"


# -- the command line -------------------------------------------------------------------------
def test_deployments_create_stores_the_election(app, runner):
    result = runner.invoke(args=["deployments", "create", "us-2024", "--name", "US 2024",
                                 "--election", "g2024", "--office", "president",
                                 "--jurisdiction", "us", "--election-name", "2024 general"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        found = deployments.get_deployment(db.session, "us-2024")
        assert (found.election_code, found.election_office, found.election_jurisdiction,
                found.election) == ("G2024", "president", "US", "2024 general")


@pytest.mark.parametrize(("extra", "exit_code", "words"), [
    (["--election", "2024G"], 1, "'2024G' is not an election code"),
    (["--election", "G24", "--office", "president"], 1, "'G24' is not an election code"),
    (["--election", "G2024", "--office", "house", "--jurisdiction", "NC"], 1,
     "A House election's jurisdiction is a state and its district"),
    (["--election", "G2024", "--office", "president", "--jurisdiction", "PA"], 1,
     "A presidential election's jurisdiction is US"),
    (["--office", "senate", "--jurisdiction", "NC"], 1, "Give the election's code"),
    (["--election", "G2024", "--office", "mayor"], 2, "'mayor' is not one of"),
])
def test_deployments_create_refuses_a_bad_election_and_creates_nothing(app, runner, extra,
                                                                       exit_code, words):
    result = runner.invoke(args=["deployments", "create", "bad", "--name", "Bad",
                                 "--state", "NC:5", *extra])
    assert result.exit_code == exit_code
    assert words in result.output
    assert count_rows(app, Deployment) == 0


# -- the settings form ------------------------------------------------------------------------
def _settings(slug: str) -> str:
    return f"/organiser/deployments/{slug}/settings"


def _settings_form(**over) -> dict:
    return {"name": "Test deployment", "starts_on": "2024-10-20", "ends_on": "2024-11-06",
            "status": "open", "offer_hours": "24", "keeps_waitlist": "y",
            "election": "2024 general", "election_code": "G2024",
            "election_office": "house", "election_jurisdiction": "NC-05",
            "election_date": "2024-11-05", **over}


def _state(app, slug: str) -> tuple:
    """What the settings form may change."""
    with app.app_context():
        found = deployments.get_deployment(db.session, slug)
        return (found.election_code, found.election_office, found.election_jurisdiction,
                found.election, found.election_date, found.status.value, found.offer_hours,
                found.requires_approval, found.keeps_waitlist)


@pytest.fixture
def plain(app):
    """A deployment with no election, committed; returns its slug."""
    with app.app_context():
        make_deployment(slug="plain")
        db.session.commit()
    return "plain"


def test_an_organiser_sets_the_election_and_the_deployment_page_shows_it(app, client, login_as,
                                                                          plain):
    login_as(Role.ORGANISER)
    form = client.get(_settings(plain)).get_data(as_text=True)
    assert 'name="election_code"' in form and 'name="election_jurisdiction"' in form
    saved = client.post(_settings(plain), data={"csrf_token": csrf_token(client, _settings(plain)),
                                                **_settings_form(election_code="g2024",
                                                                 election_jurisdiction="nc-05")})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    page = client.get(saved.location).get_data(as_text=True)
    assert "2024 general (G2024, house, NC-05)" in page
    with app.app_context():
        found = deployments.get_deployment(db.session, plain)
        assert (found.election_code, found.election_office, found.election_jurisdiction,
                found.election_date) == ("G2024", "house", "NC-05", date(2024, 11, 5))
    again = client.get(_settings(plain)).get_data(as_text=True)
    assert 'value="G2024"' in again and 'value="NC-05"' in again


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"election_code": "2024G"}, "election_code", "is not an election code"),
    ({"election_code": "X2024"}, "election_code", "is not an election code"),
    ({"election_jurisdiction": "NC"}, "election_jurisdiction", "a state and its district"),
    ({"election_office": "president"}, "election_jurisdiction", "jurisdiction is US"),
    ({"election_office": "mayor"}, "election_office", "Not a valid choice"),
])
def test_a_bad_election_in_the_settings_shows_a_field_error_and_changes_nothing(
        app, client, login_as, plain, change, field, words):
    login_as(Role.ORGANISER)
    before = _state(app, plain)
    response = client.post(_settings(plain), data={
        "csrf_token": csrf_token(client, _settings(plain)),
        **_settings_form(status="closed", offer_hours="48", requires_approval="y", **change)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert words in page
    # the message sits beside its field: after the field's input, before the next field
    assert re.search(rf'name="{field}".*?{re.escape(words)}', page, re.S), field
    assert _state(app, plain) == before


def test_the_new_deployment_form_checks_the_election_too(app, client, login_as):
    login_as(Role.ORGANISER)
    path = "/organiser/deployments/new"
    form = {"slug": "fresh", "name": "Fresh", "starts_on": "2024-10-20",
            "ends_on": "2024-11-06", "rows-0-state": "NC", "rows-0-capacity": "5",
            "election_code": "G24",
            "election_office": "president", "election_jurisdiction": "US"}
    refused = client.post(path, data={"csrf_token": csrf_token(client, path), **form})
    assert refused.status_code == 422
    assert "&#39;G24&#39; is not an election code" in refused.get_data(as_text=True)
    assert count_rows(app, Deployment) == 0
    made = client.post(path, data={"csrf_token": csrf_token(client, path),
                                   **form, "election_code": "G2024"})
    assert made.status_code == 302, made.get_data(as_text=True)
    with app.app_context():
        found = deployments.get_deployment(db.session, "fresh")
        assert (found.election_code, found.election_office, found.election_jurisdiction) == \
            ("G2024", "president", "US")


def test_auditors_cannot_change_the_election(app, client, login_as, plain):
    login_as(Role.AUDITOR)
    before = _state(app, plain)
    response = client.post(_settings(plain), data={
        "csrf_token": csrf_token(client, _settings(plain)), **_settings_form()})
    assert response.status_code == 403
    assert _state(app, plain) == before


# -- running totals across the deployments of one election -------------------------------------
def _three(other: Election):
    """Deployments A and B for the presidential general election, and C for ``other``."""
    a = make_election_deployment(slug="a")
    b = make_election_deployment(slug="b")
    c = make_deployment(slug="c", election=other)
    return a, b, c


ELSEWHERE = [
    pytest.param(Election("P2024", "president", "US"), id="another code"),
    pytest.param(Election("G2024", "house", "NC-05"), id="same code, another office"),
    pytest.param(Election("G2024", "senate", "NC"), id="same code, senate"),
    pytest.param(Election(), id="no election"),
]


@pytest.mark.parametrize("other", ELSEWHERE)
@pytest.mark.parametrize(("citizenship", "excess"), [
    (US, {("R4", "INKIND_REPORTABLE", "200.00")}),
    (FN, {("R5", "PROHIBITED_FOREIGN_INKIND", "200.00"), ("R5", "REVIEW_CONTESTED", "200.00")}),
])
def test_own_travel_counts_every_deployment_of_the_election(app_ctx, other, citizenship, excess):
    a, b, c = _three(other)
    person = make_volunteer(citizenship=citizenship)
    first = make_cost(a, person, CostCategory.TRAVEL, "700.00", day=date(2024, 10, 1))
    second = make_cost(b, person, CostCategory.TRAVEL, "500.00", day=date(2024, 10, 2))
    apart = make_cost(c, person, CostCategory.TRAVEL, "500.00", day=date(2024, 10, 3))
    db.session.commit()
    assert current_findings(cost_id=first.id) == {("R3", "VOL_OK", "700.00")}
    assert current_findings(cost_id=second.id) == {("R3", "VOL_OK", "300.00")} | excess
    assert current_findings(cost_id=apart.id) == {("R3", "VOL_OK", "500.00")}


def test_moving_a_deployment_to_the_same_election_joins_the_running_total(app_ctx):
    a, _, c = _three(Election("P2024", "president", "US"))
    person = make_volunteer(citizenship=US)
    make_cost(a, person, CostCategory.TRAVEL, "700.00", day=date(2024, 10, 1))
    apart = make_cost(c, person, CostCategory.TRAVEL, "500.00", day=date(2024, 10, 3))
    db.session.commit()
    assert current_findings(cost_id=apart.id) == {("R3", "VOL_OK", "500.00")}
    deployments.set_election(db.session, c, Election("G2024", "president", "US"), actor=None)
    db.session.commit()
    assert current_findings(cost_id=apart.id) == {("R3", "VOL_OK", "300.00"),
                                                  ("R4", "INKIND_REPORTABLE", "200.00")}


def _host_meal(dep, guest, amount, day, host="Dana Whitfield"):
    payer = make_payer_of_kind(dep, PayerKind.US_INDIVIDUAL, name=host, country="US")
    return make_cost(dep, guest, CostCategory.MEALS, amount, payer, day=day, in_residence=True)


@pytest.mark.parametrize("other", ELSEWHERE)
def test_a_hosts_home_meals_count_every_deployment_of_the_election(app_ctx, other):
    a, b, c = _three(other)
    first = _host_meal(a, make_volunteer(), "700.00", date(2024, 10, 1))
    second = _host_meal(b, make_volunteer(citizenship=US), "500.00", date(2024, 10, 2))
    apart = _host_meal(c, make_volunteer(), "500.00", date(2024, 10, 3))
    other_host = _host_meal(b, make_volunteer(), "500.00", date(2024, 10, 4), host="Sam Lee")
    db.session.commit()
    assert current_findings(cost_id=first.id) == {("R15", "VOL_OK", "700.00")}
    assert current_findings(cost_id=second.id) == {("R15", "VOL_OK", "300.00"),
                                                   ("R15", "INKIND_REPORTABLE", "200.00")}
    assert current_findings(cost_id=apart.id) == {("R15", "VOL_OK", "500.00")}
    assert current_findings(cost_id=other_host.id) == {("R15", "VOL_OK", "500.00")}


# -- shown on reports -------------------------------------------------------------------------
def test_the_disclosure_names_the_elections_office_and_jurisdiction(app_ctx):
    dep = make_election_deployment(slug="house-race", election_code="G2024", office="house",
                                   jurisdiction="NC-05")
    make_cost(dep, make_volunteer(), CostCategory.TRAVEL, "100.00")
    db.session.commit()
    section = build_disclosure(db.session, dep)["deployment"]
    assert {key: section[key] for key in ("election", "election_code", "election_office",
                                          "election_jurisdiction")} == {
        "election": "2024 general", "election_code": "G2024", "election_office": "house",
        "election_jurisdiction": "NC-05"}
    assert db.session.scalar(select(Deployment.election_office)
                             .where(Deployment.slug == "house-race")) == "house"
