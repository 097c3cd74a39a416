"""Sign-ups through the browser forms and the JSON API."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import DeploymentStatus, Signup, SignupStatus
from app.models.types import utcnow
from app.services import signups

from .builders import (claim_spot, make_organiser, make_signup_deployment, register_volunteer,
                       token_for)
from .conftest import PASSWORD, csrf_token, log_in


def _count(app, **where):
    with app.app_context():
        query = select(func.count()).select_from(Signup)
        for key, value in where.items():
            query = query.where(getattr(Signup, key) == value)
        return db.session.scalar(query)


@pytest.fixture
def dep(app):
    with app.app_context():
        d = make_signup_deployment(slug="autumn", spots={"NC": 1, "PA": 2})
        db.session.commit()
        return d.slug


@pytest.fixture
def volunteer_client(app, client):
    """A registered volunteer who has not declared yet, logged in."""
    with app.app_context():
        register_volunteer(email="vera@example.org", declared=False, password=PASSWORD)
        db.session.commit()
    log_in(client, "vera@example.org")
    return client


DECLARATION = {"citizenship": "FOREIGN_NATIONAL", "country": "gb",
               "home_organisation": "Northbridge Labour Party", "affiliation": "former_staff",
               "leave_type": "NOT_EMPLOYED", "attest": "y"}


def test_declare_then_claim_in_the_browser(app, volunteer_client, dep):
    client = volunteer_client
    first = client.get(f"/me/deployments/{dep}/claim?state=PA")
    assert first.status_code == 302 and first.location.startswith("/me/declaration?next=")
    token = csrf_token(client, "/me/declaration")
    unsigned = client.post("/me/declaration", data={**DECLARATION, "attest": "",
                                                    "csrf_token": token})
    assert unsigned.status_code == 422 and "must sign the attestation" in unsigned.get_data(as_text=True)
    done = client.post(first.location, data={**DECLARATION, "csrf_token": token})
    assert done.status_code == 302 and done.location == f"/me/deployments/{dep}/claim?state=PA"
    page = client.get(done.location).get_data(as_text=True)
    assert '<option selected value="PA">' in page
    claimed = client.post(f"/me/deployments/{dep}/claim",
                          data={"csrf_token": token, "state": "PA", "role": "canvasser"},
                          follow_redirects=True)
    assert "Your spot in PA is confirmed." in claimed.get_data(as_text=True)
    assert "Withdraw" in client.get("/me/").get_data(as_text=True)


def test_claim_form_errors_are_shown_and_nothing_is_written(app, volunteer_client, dep):
    client = volunteer_client
    token = csrf_token(client, "/me/declaration")
    client.post("/me/declaration", data={**DECLARATION, "csrf_token": token})
    bad_dates = client.post(f"/me/deployments/{dep}/claim", data={
        "csrf_token": token, "state": "NC", "role": "canvasser", "arrive_on": "2024-09-01"})
    assert bad_dates.status_code == 422
    assert "within NC&#39;s window" in bad_dates.get_data(as_text=True)
    bad_role = client.post(f"/me/deployments/{dep}/claim", data={
        "csrf_token": token, "state": "NC", "role": "emperor"})
    assert bad_role.status_code == 422 and "Not a valid choice" in bad_role.get_data(as_text=True)
    no_state = client.post(f"/me/deployments/{dep}/claim", data={
        "csrf_token": token, "state": "VA", "role": "canvasser"})
    assert no_state.status_code == 422
    assert _count(app) == 0


def test_full_state_joins_the_waitlist_and_shows_the_position(app, volunteer_client, dep):
    with app.app_context():
        claim_spot(signups_deployment(dep), register_volunteer(), "NC")
        db.session.commit()
    client = volunteer_client
    token = csrf_token(client, "/me/declaration")
    client.post("/me/declaration", data={**DECLARATION, "csrf_token": token})
    response = client.post(f"/me/deployments/{dep}/claim",
                           data={"csrf_token": token, "state": "NC", "role": "driver"},
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "NC is full: you are number 1 on its waitlist." in text
    assert "You are number 1 on the NC waitlist." in text


def signups_deployment(slug):
    from app.services import deployments
    return deployments.get_deployment(db.session, slug)


def test_offer_accept_and_another_persons_signup_in_the_browser(app, client, dep):
    with app.app_context():
        d = signups_deployment(dep)
        holder = claim_spot(d, register_volunteer(), "NC").signup
        mine = register_volunteer(email="w@example.org", password=PASSWORD)
        waiting = claim_spot(d, mine, "NC").signup
        signups.withdraw(db.session, holder, actor=None)
        db.session.commit()
        ids = waiting.id, holder.id
    log_in(client, "w@example.org")
    page = client.get("/me/").get_data(as_text=True)
    assert "A spot is yours if you accept by" in page
    token = csrf_token(client, "/me/")
    assert client.post(f"/me/signups/{ids[1]}/withdraw", data={"csrf_token": token}).status_code == 404
    accepted = client.post(f"/me/signups/{ids[0]}/accept", data={"csrf_token": token},
                           follow_redirects=True)
    assert "You accepted the offer." in accepted.get_data(as_text=True)
    assert _count(app, status=SignupStatus.CONFIRMED) == 1


def test_expired_offer_accepted_in_the_browser_gets_a_clear_message(app, client, dep):
    with app.app_context():
        d = signups_deployment(dep)
        holder = claim_spot(d, register_volunteer(), "NC").signup
        waiting = claim_spot(d, register_volunteer(email="w@example.org", password=PASSWORD), "NC").signup
        signups.withdraw(db.session, holder, actor=None)
        waiting.offer_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        signup_id = waiting.id
    log_in(client, "w@example.org")
    token = csrf_token(client, "/login")
    response = client.post(f"/me/signups/{signup_id}/accept", data={"csrf_token": token},
                           follow_redirects=True)
    assert "This offer expired at" in response.get_data(as_text=True)
    assert _count(app, status=SignupStatus.CONFIRMED) == 0


def test_organiser_roster_approve_move_cancel_and_outbox(app, client, login_as, dep):
    with app.app_context():
        d = signups_deployment(dep)
        d.requires_approval = True
        foreign_lead = claim_spot(d, register_volunteer(name="Theo Quayle"), "PA", role="manager").signup
        other = claim_spot(d, register_volunteer(name="Isla Morrow"), "PA").signup
        db.session.commit()
        ids = foreign_lead.id, other.id
    login_as(b_role("organiser"))
    overview = client.get(f"/organiser/deployments/{dep}").get_data(as_text=True)
    assert "Theo Quayle" in overview and "Approving needs a written reason" in overview
    # the warning comes from the rule set, before anything is saved, citing the rule
    assert "PROHIBITED_PARTICIPATION" in overview and "(R1)" in overview
    assert "52 U.S.C. 30121" in overview
    token = csrf_token(client, f"/organiser/deployments/{dep}")
    refused = client.post(f"/organiser/deployments/{dep}/signups/{ids[0]}/approve",
                          data={"csrf_token": token}, follow_redirects=True)
    assert "foreign national" in refused.get_data(as_text=True)
    approved = client.post(f"/organiser/deployments/{dep}/signups/{ids[0]}/approve",
                           data={"csrf_token": token, "override_reason": "Volunteer logistics only."},
                           follow_redirects=True)
    assert "Theo Quayle is confirmed." in approved.get_data(as_text=True)
    roster = client.get(f"/organiser/deployments/{dep}/states/PA").get_data(as_text=True)
    assert "override: Volunteer logistics only." in roster
    assert "If you choose strategy adviser:" in roster   # Isla, a canvasser, would be warned
    full = client.post(f"/organiser/deployments/{dep}/signups/{ids[0]}/move",
                       data={"csrf_token": token, "state": "NC"}, follow_redirects=True)
    assert "Theo Quayle was moved." in full.get_data(as_text=True)
    no_reason = client.post(f"/organiser/deployments/{dep}/signups/{ids[1]}/cancel",
                            data={"csrf_token": token, "reason": ""}, follow_redirects=True)
    assert "This field is required" in no_reason.get_data(as_text=True)
    asked = client.post(f"/organiser/deployments/{dep}/signups/{ids[1]}/cancel",
                        data={"csrf_token": token, "reason": "Duplicate registration."})
    assert asked.status_code == 200 and "Cancel" in asked.get_data(as_text=True)
    assert "Your sign-up for PA was cancelled" not in \
        client.get("/organiser/outbox").get_data(as_text=True), "asked first: nothing done yet"
    client.post(f"/organiser/deployments/{dep}/signups/{ids[1]}/cancel",
                data={"csrf_token": token, "reason": "Duplicate registration.",
                      "confirmed": "yes"})
    outbox = client.get("/organiser/outbox").get_data(as_text=True)
    assert "Your sign-up for PA was cancelled" in outbox and "moved to NC" in outbox
    other_dep = client.post(f"/organiser/deployments/nope/signups/{ids[1]}/cancel",
                            data={"csrf_token": token, "reason": "x"})
    assert other_dep.status_code == 404


def b_role(name):
    from app.models import Role
    return Role(name)


def test_settings_switch_approval_and_close_sign_ups(app, client, login_as, dep):
    login_as(b_role("organiser"))
    token = csrf_token(client, f"/organiser/deployments/{dep}/settings")
    bad = client.post(f"/organiser/deployments/{dep}/settings", data={
        "csrf_token": token, "status": "open", "offer_hours": "0"})
    assert bad.status_code == 422
    client.post(f"/organiser/deployments/{dep}/settings", data={
        "csrf_token": token, "status": "closed", "requires_approval": "y", "offer_hours": "24",
        "name": "Test deployment", "starts_on": "2024-10-20", "ends_on": "2024-11-06"})
    api = client.get(f"/api/v1/deployments/{dep}").json
    assert api["status"] == "closed" and api["requires_approval"] is True


# -- API -----------------------------------------------------------------------------------

@pytest.fixture
def api(app, dep):
    """A declared volunteer's token; returns a callable making requests with it."""
    with app.app_context():
        vol = register_volunteer()
        vol.attested_at = None
        token = token_for(vol.user)
        db.session.commit()

    def call(method, path, **kwargs):
        return app.test_client().open(path, method=method,
                                      headers={"Authorization": f"Bearer {token}"}, **kwargs)
    return call


def test_api_claim_needs_attestation_then_confirms(app, api, dep):
    refused = api("POST", f"/api/v1/deployments/{dep}/placements/NC/claims")
    assert refused.status_code == 409 and refused.json["error"] == "attestation_required"
    claimed = api("POST", f"/api/v1/deployments/{dep}/placements/nc/claims",
                  json={"attestation": True, "role": "driver", "arrive_on": "2024-10-21"})
    assert claimed.status_code == 201
    assert claimed.json["status"] == "confirmed" and claimed.json["role"] == "driver"
    again = api("POST", f"/api/v1/deployments/{dep}/placements/PA/claims", json={})
    assert again.status_code == 409 and again.json["error"] == "already_claimed"
    assert api("GET", f"/api/v1/deployments/{dep}/claims/mine").json["status"] == "confirmed"
    spots = app.test_client().get(f"/api/v1/deployments/{dep}").json["placements"]
    assert spots[0]["state"] == "NC" and spots[0]["confirmed"] == 1 and spots[0]["remaining"] == 0


def test_api_waitlist_position_and_withdraw_offers_the_spot(app, api, dep):
    with app.app_context():
        holder = register_volunteer()
        claim_spot(signups_deployment(dep), holder, "NC")
        holder_token = token_for(holder.user)
        db.session.commit()
    waiting = api("POST", f"/api/v1/deployments/{dep}/placements/NC/claims",
                  json={"attestation": True})
    assert waiting.status_code == 202 and waiting.json == {**waiting.json, "status": "waitlisted",
                                                           "position": 1}
    gone = app.test_client().delete(f"/api/v1/deployments/{dep}/claims/mine",
                                    headers={"Authorization": f"Bearer {holder_token}"})
    assert gone.status_code == 200 and gone.json["status"] == "withdrawn"
    mine = api("GET", f"/api/v1/deployments/{dep}/claims/mine").json
    assert mine["status"] == "offered" and "offer_expires_at" in mine
    assert api("POST", f"/api/v1/deployments/{dep}/claims/mine/accept").json["status"] == "confirmed"


@pytest.mark.parametrize(("path", "body", "status", "error"), [
    ("/api/v1/deployments/autumn/placements/VA/claims", {}, 404, "unknown_state"),
    ("/api/v1/deployments/nope/placements/NC/claims", {}, 404, "not_found"),
    ("/api/v1/deployments/autumn/placements/NC/claims", {"role": "king"}, 422, "invalid_role"),
    ("/api/v1/deployments/autumn/placements/NC/claims", {"arrive_on": "soon"}, 422, "invalid_dates"),
    ("/api/v1/deployments/autumn/placements/NC/claims", {"arrive_on": "2025-01-01"}, 422,
     "invalid_dates"),
    ("/api/v1/deployments/autumn/placements/NC/claims", [1, 2], 422, "invalid"),
])
def test_api_bad_claims_get_json_errors_and_write_nothing(app, api, dep, path, body, status, error):
    response = api("POST", path, json=body)
    assert response.status_code == status and response.json["error"] == error
    assert response.json["message"]
    assert _count(app) == 0


def test_api_claims_are_for_volunteer_tokens_only(app, dep):
    with app.app_context():
        token = token_for(make_organiser())
        db.session.commit()
    response = app.test_client().post(f"/api/v1/deployments/{dep}/placements/NC/claims",
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.json["error"] == "forbidden"


def test_api_withdraw_without_a_claim_is_404(api, dep):
    response = api("DELETE", f"/api/v1/deployments/{dep}/claims/mine")
    assert response.status_code == 404 and response.json["error"] == "no_claim"


def test_api_on_a_closed_deployment(app, api, dep):
    with app.app_context():
        signups_deployment(dep).status = DeploymentStatus.CLOSED
        db.session.commit()
    response = api("POST", f"/api/v1/deployments/{dep}/placements/NC/claims",
                   json={"attestation": True})
    assert response.status_code == 409 and response.json["error"] == "closed"
    assert _count(app) == 0


def test_a_volunteer_sees_their_own_stay_and_who_pays(app, client):
    from datetime import date

    from app.models import AccommodationKind, PayerKind
    from app.services import housing, ledger
    with app.app_context():
        d = make_signup_deployment(slug="housed", spots={"NC": 2})
        mine = register_volunteer(email="sleeper@example.org", password=PASSWORD)
        signup = claim_spot(d, mine, "NC").signup
        party = ledger.find_or_add_payer(db.session, d, name="Northbridge Labour Party",
                                         kind=PayerKind.FOREIGN_PARTY, country="GB", actor=None)
        hotel = housing.add_accommodation(db.session, deployment=d, actor=None,
                                          name="Midtown Hotel", kind=AccommodationKind.HOTEL,
                                          state_code="NC", beds=2, nightly_cost="120.00",
                                          payer_id=party.id, address="1 Main St", city="Raleigh")
        housing.assign_stay(db.session, signup=signup, accommodation=hotel,
                            check_in=date(2024, 10, 21), check_out=date(2024, 10, 24), actor=None)
        db.session.commit()
    log_in(client, "sleeper@example.org")
    page = client.get("/me/").get_data(as_text=True)
    assert "Midtown Hotel" in page and "1 Main St" in page
    assert "Northbridge Labour Party" in page and "3 nights" in page
