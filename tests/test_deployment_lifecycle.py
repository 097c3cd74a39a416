"""A deployment's life (draft → open → closed → archived), its states edited as rows, role
changes asked about first, and one Deployments item per role."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from app.extensions import db
from app.models import (AuditEvent, Deployment, DeploymentStatus, Placement, Role, Signup,
                        SignupStatus, Volunteer)
from app.services import accounts, demo, deployment_status, deployments, signups
from app.services.errors import Conflict, ValidationFailed

from .builders import (claim_spot, make_signup_deployment, make_volunteer, make_signup,
                       register_volunteer, token_for)
from .conftest import csrf_token, log_in

DRAFT, OPEN, CLOSED, ARCHIVED = (DeploymentStatus.DRAFT, DeploymentStatus.OPEN,
                                 DeploymentStatus.CLOSED, DeploymentStatus.ARCHIVED)


def _made(app, status=OPEN, **kwargs) -> str:
    with app.app_context():
        found = make_signup_deployment(status=status, **kwargs)
        db.session.commit()
        return found.slug


def _status(app, slug) -> DeploymentStatus:
    with app.app_context():
        return db.session.scalar(db.select(Deployment.status).where(Deployment.slug == slug))


def _volunteer_client(app, declared=True):
    client = app.test_client()
    with app.app_context():
        volunteer = register_volunteer(declared=declared, password="correct horse battery staple")
        email, token = volunteer.user.email, token_for(volunteer.user)
        db.session.commit()
    assert log_in(client, email).status_code == 302
    return client, token


# -- who sees what ----------------------------------------------------------------------------
def test_a_draft_is_not_found_by_the_public_or_volunteers_but_staff_see_it(app):
    slug = _made(app, status=DRAFT)
    anonymous = app.test_client()
    assert anonymous.get(f"/deployments/{slug}").status_code == 404
    assert anonymous.get(f"/api/v1/deployments/{slug}").status_code == 404
    assert slug not in anonymous.get("/").get_data(as_text=True)
    volunteer, token = _volunteer_client(app)
    assert volunteer.get(f"/deployments/{slug}").status_code == 404
    assert volunteer.get(f"/me/deployments/{slug}/claim").status_code == 404
    claimed = volunteer.post(f"/api/v1/deployments/{slug}/placements/NC/claims",
                             json={"attestation": True},
                             headers={"Authorization": f"Bearer {token}"})
    assert claimed.status_code == 404
    for role in (Role.ORGANISER, Role.AUDITOR, Role.ADMIN):
        staff = app.test_client()
        with app.app_context():
            email = f"{role.value}-draft@example.org"
            if accounts.find_user(db.session, email) is None:
                accounts.create_user(db.session, email=email, full_name="S", role=role,
                                     password="correct horse battery staple", actor=None)
                db.session.commit()
        assert log_in(staff, email).status_code == 302
        page = staff.get(f"/deployments/{slug}")
        assert page.status_code == 200 and "A draft: only staff can see it" in \
            page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Signup)) == 0


def test_a_closed_deployment_refuses_claims_with_a_clear_message(app):
    slug = _made(app, status=CLOSED)
    volunteer, token = _volunteer_client(app)
    public = volunteer.get(f"/deployments/{slug}").get_data(as_text=True)
    assert "Sign-ups for Autumn test deployment are closed." in public
    assert "Claim a spot" not in public
    page = volunteer.get(f"/me/deployments/{slug}/claim")
    assert page.status_code == 200 and "are closed" in page.get_data(as_text=True)
    assert 'action="/me/deployments/' not in page.get_data(as_text=True), "no claim form"
    posted = volunteer.post(f"/me/deployments/{slug}/claim",
                            data={"csrf_token": csrf_token(volunteer, "/me/declaration"),
                                  "state": "NC", "role": "canvasser"})
    assert posted.status_code == 409 and "are closed" in posted.get_data(as_text=True)
    api = volunteer.post(f"/api/v1/deployments/{slug}/placements/NC/claims",
                         json={"attestation": True}, headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 409 and api.json["error"] == "closed"
    assert "are closed" in api.json["message"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Signup)) == 0


def test_a_deployment_past_its_last_day_closes_itself_on_the_next_read(app):
    slug = _made(app)
    app.config["TODAY"] = "2024-11-07"  # the day after its last day
    assert slug not in app.test_client().get("/").get_data(as_text=True)
    page = app.test_client().get(f"/deployments/{slug}").get_data(as_text=True)
    assert "ended on 6 November 2024; sign-ups are closed" in page
    assert _status(app, slug) is CLOSED
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(
            AuditEvent.action == "deployment.closed_itself"))
        assert event is not None and event.data == {"ended_on": "2024-11-06"}
        found = deployments.get_deployment(db.session, slug)
        with pytest.raises(signups.DeploymentClosed, match="ended on 6 November 2024"):
            claim_spot(found, register_volunteer())
    app.config["TODAY"] = "2024-11-06"  # its last day: still open for those who ask
    slug2 = _made(app)
    app.test_client().get(f"/deployments/{slug2}")
    assert _status(app, slug2) is OPEN


def test_an_archived_deployment_is_off_the_public_pages_and_listed_apart(app, client, login_as):
    slug = _made(app, status=CLOSED)
    with app.app_context():
        found = deployments.get_deployment(db.session, slug)
        deployment_status.change(db.session, found, ARCHIVED, actor=None)
        db.session.commit()
    assert app.test_client().get(f"/deployments/{slug}").status_code == 404
    login_as(Role.ORGANISER)
    page = client.get("/organiser/").get_data(as_text=True)
    archived = page[page.index("Archived (1)"):]
    assert "Autumn test deployment" in archived


# -- the steps ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("start", "to", "allowed"), [
    (DRAFT, OPEN, True), (DRAFT, ARCHIVED, True), (DRAFT, CLOSED, False),
    (OPEN, CLOSED, True), (OPEN, DRAFT, True), (OPEN, ARCHIVED, False),
    (CLOSED, OPEN, True), (CLOSED, ARCHIVED, True), (CLOSED, DRAFT, False),
    (ARCHIVED, CLOSED, True), (ARCHIVED, OPEN, False), (ARCHIVED, DRAFT, False),
])
def test_the_lifecycle_allows_only_its_steps(app_ctx, start, to, allowed):
    found = make_signup_deployment(status=start)
    if allowed:
        deployment_status.change(db.session, found, to, actor=None)
        assert found.status is to
    else:
        with pytest.raises(ValidationFailed, match=f"not {to.label.lower()}"):
            deployment_status.change(db.session, found, to, actor=None)
        assert found.status is start


def test_back_to_draft_only_before_anyone_signs_up_and_no_reopening_after_the_end(app_ctx):
    found = make_signup_deployment()
    claim_spot(found, register_volunteer())
    with pytest.raises(Conflict, match="1 sign-up"):
        deployment_status.change(db.session, found, DRAFT, actor=None)
    deployment_status.change(db.session, found, CLOSED, actor=None)
    with pytest.raises(ValidationFailed, match="move its end date first"):
        deployment_status.change(db.session, found, OPEN, actor=None, on=date(2024, 12, 1))


def test_the_settings_page_offers_only_the_next_steps(app, client, login_as):
    slug = _made(app, status=DRAFT)
    login_as(Role.ORGANISER)
    page = client.get(f"/organiser/deployments/{slug}/settings").get_data(as_text=True)
    select = page[page.index('name="status"'):page.index("</select>", page.index('name="status"'))]
    assert re.findall(r'value="(\w+)"', select) == ["draft", "open", "archived"]
    token = csrf_token(client, f"/organiser/deployments/{slug}/settings")
    form = {"csrf_token": token, "name": "Autumn test deployment", "starts_on": "2024-10-20",
            "ends_on": "2024-11-06", "offer_hours": "48", "keeps_waitlist": "y"}
    refused = client.post(f"/organiser/deployments/{slug}/settings",
                          data={**form, "status": "closed"})
    assert refused.status_code == 422 and _status(app, slug) is DRAFT
    opened = client.post(f"/organiser/deployments/{slug}/settings", data={**form, "status": "open"})
    assert opened.status_code == 302 and _status(app, slug) is OPEN
    assert app.test_client().get(f"/deployments/{slug}").status_code == 200


# -- states as rows -----------------------------------------------------------------------------
def _placements(app, slug):
    with app.app_context():
        found = deployments.get_deployment(db.session, slug)
        return {p.state_code: (p.capacity, p.base_city, p.arrive_from.isoformat(),
                               p.depart_by.isoformat()) for p in found.placements}


def test_states_are_changed_added_and_removed_on_one_page(app, client, login_as):
    slug = _made(app)
    login_as(Role.ORGANISER)
    page = client.get(f"/organiser/deployments/{slug}/states").get_data(as_text=True)
    assert page.count('aria-label="Spots in ') == 5  # NC, PA and three empty rows
    form = {"csrf_token": csrf_token(client, f"/organiser/deployments/{slug}/states"),
            "rows-0-state": "NC", "rows-0-capacity": "6", "rows-0-base_city": "Durham",
            "rows-0-arrive_from": "2024-10-22", "rows-0-depart_by": "2024-11-05",
            "rows-1-state": "PA", "rows-1-capacity": "2", "rows-1-remove": "y",
            "rows-2-state": "NV", "rows-2-capacity": "7", "rows-2-base_city": "Reno",
            "rows-3-state": "", "rows-4-state": ""}
    saved = client.post(f"/organiser/deployments/{slug}/states", data=form)
    assert saved.status_code == 302
    assert "NC changed, PA removed, NV added" in client.get(saved.location).get_data(as_text=True)
    assert _placements(app, slug) == {
        "NC": (6, "Durham", "2024-10-22", "2024-11-05"),
        "NV": (7, "Reno", "2024-10-20", "2024-11-06")}


def test_every_row_problem_is_shown_at_once_and_nothing_is_saved(app, client, login_as):
    slug = _made(app)
    with app.app_context():
        found = deployments.get_deployment(db.session, slug)
        claim_spot(found, register_volunteer(), state="PA")
        db.session.commit()
    before = _placements(app, slug)
    login_as(Role.ORGANISER)
    form = {"csrf_token": csrf_token(client, f"/organiser/deployments/{slug}/states"),
            "rows-0-state": "NC", "rows-0-capacity": "12000", "rows-0-base_city": "Durham",
            "rows-1-state": "PA", "rows-1-capacity": "2", "rows-1-remove": "y",
            "rows-2-state": "NC", "rows-2-capacity": "3",
            "rows-3-state": "VA", "rows-3-capacity": "4", "rows-3-arrive_from": "2024-09-01",
            "rows-4-state": "ZZ", "rows-4-capacity": "1"}
    refused = client.post(f"/organiser/deployments/{slug}/states", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    for words in ("12,000 spots is more than a state can hold",
                  "PA has 1 sign-up(s) on record", "NC is already in row 1",
                  "Arrivals fall within the deployment&#39;s dates",
                  "&#39;ZZ&#39; is not a US state code", "Nothing was saved"):
        assert words in page, words
    assert _placements(app, slug) == before


def test_a_window_must_hold_the_active_sign_ups_and_capacity_the_held_spots(app_ctx):
    from app.services.deployment_states import StateRow, check_rows
    found = make_signup_deployment()
    claim_spot(found, register_volunteer(), state="NC")
    claim_spot(found, register_volunteer(), state="NC")
    problems = check_rows(db.session, found, [
        StateRow("NC", 1, arrive_from=date(2024, 10, 25)), StateRow("PA", 2)])
    assert problems[0, "capacity"] == "NC already has 2 spots held; the capacity cannot go below 2."
    problems = check_rows(db.session, found, [StateRow("NC", 2, arrive_from=date(2024, 10, 25))])
    assert "Active sign-ups in NC run from 20 Oct to 6 Nov" in problems[0, "arrive_from"]


def test_the_states_page_and_settings_are_not_offered_to_auditors(app, client, login_as):
    slug = _made(app)
    login_as(Role.AUDITOR)
    for path in (f"/organiser/deployments/{slug}/states", f"/organiser/deployments/{slug}/settings",
                 "/organiser/deployments/new"):
        assert client.get(path).status_code == 403, path
    page = client.get(f"/organiser/deployments/{slug}").get_data(as_text=True)
    assert "/states\"" not in page and "/settings\"" not in page


# -- role changes ask first ------------------------------------------------------------------
def test_an_organisers_role_change_asks_first_and_says_what_the_rules_will_record(
        app, client, login_as):
    with app.app_context():
        found = make_signup_deployment()
        signup = make_signup(found, make_volunteer())
        db.session.commit()
        slug, signup_id = found.slug, signup.id
    login_as(Role.ORGANISER)
    roster = f"/organiser/deployments/{slug}/states/NC"
    token = csrf_token(client, roster)
    path = f"/organiser/deployments/{slug}/signups/{signup_id}/role"
    asked = client.post(path, data={"csrf_token": token, "role": "strategy_adviser",
                                    "override_reason": "Logistics only.", "back": roster})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "role in NC changes from canvasser to strategy adviser" in page
    assert "The rules will record:" in page and "Logistics only." in page
    assert 'name="confirmed" value="yes"' in page
    with app.app_context():
        assert db.session.get(Signup, signup_id).role.value == "canvasser"
    done = client.post(path, data={"csrf_token": token, "role": "strategy_adviser",
                                   "override_reason": "Logistics only.", "confirmed": "yes",
                                   "back": roster})
    assert done.status_code == 302 and done.location == roster
    with app.app_context():
        changed = db.session.get(Signup, signup_id)
        assert changed.role.value == "strategy_adviser"
        assert changed.role_override_reason == "Logistics only."


@pytest.mark.parametrize("kind", ["reject", "cancel"])
def test_rejecting_or_cancelling_asks_first_and_says_what_happens(app, client, login_as, kind):
    with app.app_context():
        found = make_signup_deployment(spots={"NC": 1, "PA": 1})
        status = SignupStatus.PENDING_APPROVAL if kind == "reject" else SignupStatus.CONFIRMED
        signup = make_signup(found, make_volunteer(), status=status)
        waiting = make_signup(found, make_volunteer(), status=SignupStatus.WAITLISTED)
        db.session.commit()
        slug, signup_id, waiting_id = found.slug, signup.id, waiting.id
    login_as(Role.ORGANISER)
    token = csrf_token(client, f"/organiser/deployments/{slug}/states/NC")
    path = f"/organiser/deployments/{slug}/signups/{signup_id}/{kind}"
    asked = client.post(path, data={"csrf_token": token, "reason": "Travel dates clash."})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "with your reason: “Travel dates clash.”" in page
    assert "offered to the next person waiting" in page
    assert "until an organiser reinstates them" in page
    with app.app_context():
        assert db.session.get(Signup, signup_id).status is status
    done = client.post(path, data={"csrf_token": token, "reason": "Travel dates clash.",
                                   "confirmed": "yes"})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Signup, signup_id).status.value == \
            ("rejected" if kind == "reject" else "cancelled")
        assert db.session.get(Signup, waiting_id).status is SignupStatus.OFFERED


# -- the menu ----------------------------------------------------------------------------------
@pytest.mark.parametrize("role", [None, Role.VOLUNTEER, Role.ORGANISER, Role.AUDITOR, Role.ADMIN])
def test_one_deployments_item_per_role(client, login_as, role):
    login_as(role)
    page = client.get("/").get_data(as_text=True)
    nav = page[page.index('<nav aria-label="Main">'):page.index("</nav>")]
    items = re.findall(r">\s*(Deployments[^<]*)<", nav)
    assert items == ["Deployments"], items
    target = "/organiser/" if role in (Role.ORGANISER, Role.AUDITOR, Role.ADMIN) else "/"
    assert f'<a href="{target}">Deployments</a>' in nav


# -- the demo follows the clock ----------------------------------------------------------------
def test_the_demo_moves_to_the_next_election_and_stays_the_same_demo(app):
    assert demo.election_day(2024) == date(2024, 11, 5)
    assert demo.election_day(2028) == date(2028, 11, 7)
    assert demo.election_day(2028) - demo.election_day(2024) == timedelta(weeks=209)
    assert demo.season_for(date(2024, 10, 1)) == 2024
    assert demo.season_for(date(2024, 11, 6)) == 2024
    assert demo.season_for(date(2026, 11, 30)) == 2028
    app.config["TODAY"] = "2026-11-30"
    with app.app_context():
        summary = demo.load_demo(db.session)
        db.session.commit()
        assert summary.slug == "us-2028-general"
        found = deployments.get_current(db.session, summary.slug)
        assert (found.starts_on, found.ends_on) == (date(2028, 10, 22), date(2028, 11, 8))
        assert found.status is OPEN and found.election_code == "G2028"
        assert found.election_date == date(2028, 11, 7) and found.name.startswith("Autumn 2028")
        assert found.starts_on.weekday() == demo.STARTS.weekday()
        # Every volunteer's declaration is in the past, though the season is to come.
        latest = db.session.scalar(db.select(db.func.max(Volunteer.declared_at)))
        assert latest <= datetime.now(timezone.utc)
        counts = {p.state_code: p.capacity for p in db.session.scalars(
            db.select(Placement).where(Placement.deployment_id == found.id))}
        assert counts == {code: spec[0] for code, spec in demo.PLACEMENTS.items()}
        # Loading again (any season) changes nothing.
        app.config["TODAY"] = "2031-01-01"
        again = demo.load_demo(db.session)
        assert not again.created and again.slug == "us-2028-general"
        assert db.session.scalar(db.select(db.func.count()).select_from(Deployment)) == 1
        # A volunteer can claim in it: it is a live example.
        app.config["TODAY"] = "2026-11-30"
        result = claim_spot(found, register_volunteer(), state="PA")
        assert result.signup.arrive_on == date(2028, 10, 22)


def test_a_pinned_day_is_refused_in_production(tmp_path, monkeypatch):
    from app import create_app
    monkeypatch.setenv("TRIPLEDGER_TODAY", "2024-10-01")
    monkeypatch.setenv("SECRET_KEY", "Zq8#vR2!kP9@mW4$xT7%nL3^bH6&cJ1*")
    with pytest.raises(RuntimeError, match="TODAY pins the calendar"):
        create_app(instance_path=str(tmp_path))
    monkeypatch.setenv("TRIPLEDGER_ENV", "development")
    monkeypatch.setenv("TRIPLEDGER_TODAY", "2024-13-01")
    with pytest.raises(RuntimeError, match="is not a date"):
        create_app(instance_path=str(tmp_path))
    monkeypatch.setenv("TRIPLEDGER_TODAY", "2024-10-01")
    assert create_app(instance_path=str(tmp_path)).config["TODAY"] == "2024-10-01"


def test_the_new_deployment_form_sent_twice_makes_one_deployment(app, client, login_as):
    login_as(Role.ORGANISER)
    page = client.get("/organiser/deployments/new").get_data(as_text=True)
    once = re.search(r'name="once"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="once"', page)
    token = once.group(1) or once.group(2)
    form = {"csrf_token": csrf_token(client, "/organiser/deployments/new"), "once": token,
            "slug": "twice", "name": "Twice", "starts_on": "2024-12-01",
            "ends_on": "2024-12-10", "rows-0-state": "NC", "rows-0-capacity": "3"}
    first = client.post("/organiser/deployments/new", data=form)
    again = client.post("/organiser/deployments/new", data=form)
    assert first.status_code == again.status_code == 302
    assert again.location == "/organiser/deployments/twice"
    assert "This form was already saved: Twice was created then" in \
        client.get(again.location).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Deployment)) == 1


def test_settings_show_every_fields_problem_at_once_and_save_the_parties(app, client, login_as):
    slug = _made(app)
    login_as(Role.ORGANISER)
    path = f"/organiser/deployments/{slug}/settings"
    form = {"csrf_token": csrf_token(client, path), "name": "Autumn test deployment",
            "starts_on": "2024-10-20", "ends_on": "2024-11-06", "offer_hours": "48",
            "status": "open", "keeps_waitlist": "y", "sending_organisation": "Northbridge",
            "receiving_committee": "Harper for America"}
    refused = client.post(path, data={**form, "starts_on": "1900-01-01",
                                      "committee_fec_id": "X1", "election_code": "G24"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "is not within 5 years of today" in page
    assert "&#39;G24&#39; is not an election code" in page
    assert "X1" in page and "C00123456" in page  # the FEC id's own message names the shape
    with app.app_context():
        assert deployments.get_deployment(db.session, slug).receiving_committee == ""
    saved = client.post(path, data=form)
    assert saved.status_code == 302
    with app.app_context():
        found = deployments.get_deployment(db.session, slug)
        assert (found.sending_organisation, found.receiving_committee) == \
            ("Northbridge", "Harper for America")
