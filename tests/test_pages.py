"""Pages and API from the outside: spots, errors, navigation."""
from app.extensions import db
from app.models import Deployment, DeploymentStatus, Role, SignupStatus, User

from .builders import make_deployment, make_signup, make_volunteer
from .conftest import csrf_token


def _deployment_with_signups(app):
    with app.app_context():
        deployment = make_deployment(slug="d-2024", spots={"NC": 3, "PA": 1})
        make_signup(deployment, make_volunteer(), "NC")
        make_signup(deployment, make_volunteer(), "NC", status=SignupStatus.PENDING_APPROVAL)
        make_signup(deployment, make_volunteer(), "PA")
        make_signup(deployment, make_volunteer(), "PA", status=SignupStatus.WAITLISTED)
        make_signup(deployment, make_volunteer(), "PA", status=SignupStatus.WITHDRAWN)
        make_deployment(slug="draft-one", status=DeploymentStatus.DRAFT)
        db.session.commit()


def test_home_lists_open_deployments_only(app, client):
    _deployment_with_signups(app)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/deployments/d-2024"' in page
    assert "draft-one" not in page
    assert "NC</strong> 1 of 3 left" in page and "PA</strong> 0 of 1 left" in page


def test_spots_page_counts_from_the_signup_ledger(app, client):
    _deployment_with_signups(app)
    page = client.get("/deployments/d-2024").get_data(as_text=True)
    assert page.count('<th scope="row">') == 2
    api = client.get("/api/v1/deployments/d-2024").json
    nc, pa = api["placements"]
    assert (nc["state"], nc["capacity"], nc["confirmed"], nc["pending"], nc["waitlisted"],
            nc["remaining"]) == ("NC", 3, 1, 1, 0, 1)
    assert (pa["confirmed"], pa["waitlisted"], pa["remaining"]) == (1, 1, 0)


def test_unknown_slug_is_a_clear_404_page_and_json_in_the_api(client):
    page = client.get("/deployments/no-such-thing")
    assert page.status_code == 404
    assert "No deployment called &#39;no-such-thing&#39;" in page.get_data(as_text=True)
    api = client.get("/api/v1/deployments/no-such-thing")
    assert api.status_code == 404
    assert api.json == {"error": "not_found", "message": "No deployment called 'no-such-thing'."}
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json["error"] == "not_found"


def test_navigation_follows_the_role(client, login_as):
    anonymous = client.get("/").get_data(as_text=True)
    assert 'href="/login"' in anonymous and 'href="/organiser/"' not in anonymous
    login_as(Role.ORGANISER)
    organiser = client.get("/").get_data(as_text=True)
    assert 'href="/organiser/"' in organiser and 'href="/admin/users"' not in organiser
    assert "Log out" in organiser and 'href="/me/"' not in organiser


def test_organiser_creates_a_deployment_through_the_form(app, client, login_as):
    login_as(Role.ORGANISER)
    token = csrf_token(client, "/organiser/deployments/new")
    form = {"csrf_token": token, "slug": "fall-2026", "name": "Fall 2026",
            "starts_on": "2026-10-01", "ends_on": "2026-10-30", "keeps_waitlist": "y",
            "rows-0-state": "NC", "rows-0-capacity": "10", "rows-0-base_city": "Raleigh",
            "rows-1-state": "PA", "rows-1-capacity": "5", "rows-2-state": ""}
    response = client.post("/organiser/deployments/new", data=form)
    assert response.status_code == 302 and response.location == "/organiser/deployments/fall-2026"
    page = client.get(response.location).get_data(as_text=True)
    assert "Deployment Fall 2026 created as a draft" in page
    with app.app_context():
        made = db.session.scalar(db.select(Deployment).where(Deployment.slug == "fall-2026"))
        assert made.status is DeploymentStatus.DRAFT
        assert [(p.state_code, p.capacity, p.base_city) for p in made.placements] == \
            [("NC", 10, "Raleigh"), ("PA", 5, "")]
    bad = client.post("/organiser/deployments/new",
                      data={**form, "slug": "other", "rows-1-state": "ZZ", "csrf_token": token})
    assert bad.status_code == 422 and "not a US state code" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(Deployment).where(Deployment.slug == "other")) is None
    dated = client.post("/organiser/deployments/new",
                        data={**form, "slug": "third", "ends_on": "2026-09-01"})
    assert dated.status_code == 422 and "end date is before" in dated.get_data(as_text=True)


def test_capacity_below_held_spots_is_refused_with_the_count(app, client, login_as):
    _deployment_with_signups(app)
    login_as(Role.ORGANISER)
    token = csrf_token(client, "/organiser/deployments/d-2024")
    response = client.post("/organiser/deployments/d-2024/placements/NC",
                           data={"csrf_token": token, "capacity": "1"}, follow_redirects=True)
    assert "NC already has 2 spots held" in response.get_data(as_text=True)
    assert client.get("/api/v1/deployments/d-2024").json["placements"][0]["capacity"] == 3


def test_admin_changes_a_role(app, client, login_as, create_user):
    target = create_user(email="t@example.org")
    login_as(Role.ADMIN)
    token = csrf_token(client, "/admin/users")
    # One click asks first, saying what the role may do; nothing changes yet.
    asked = client.post(f"/admin/users/{target}/role", data={"csrf_token": token,
                                                             "role": "admin"})
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Make t@example.org admin?" in text
    assert "They will manage every account and role" in text
    with app.app_context():
        assert db.session.get(User, target).role is Role.VOLUNTEER
    response = client.post(f"/admin/users/{target}/role",
                           data={"csrf_token": token, "role": "auditor", "confirmed": "yes"},
                           follow_redirects=True)
    assert "t@example.org is now auditor." in response.get_data(as_text=True)
    bogus = client.post(f"/admin/users/{target}/role",
                        data={"csrf_token": token, "role": "emperor"}, follow_redirects=True)
    assert "Choose one of the roles." in bogus.get_data(as_text=True)
    assert client.post("/admin/users/99999/role", data={"csrf_token": token, "role": "auditor",
                                                        "confirmed": "yes"}).status_code == 404


def test_pages_are_built_for_phones(client):
    page = client.get("/").get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
