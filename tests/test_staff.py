"""Staff scope: an organiser sees and changes only the deployments they are on the staff of.

The attack this answers: any organiser could change any deployment (capacity, approvals,
costs, imports) by putting its slug in a URL.
"""
from io import BytesIO

import pytest
from sqlalchemy import select, text

from app import create_app
from app.extensions import db
from app.models import Cost, Deployment, Notification, Placement, Role, Signup, SignupStatus, StaffMembership, User
from app.services import accounts, deployments, password_links, staff

from .builders import make_deployment, make_signup, make_volunteer, token_for
from .conftest import _config, csrf_token, log_in


@pytest.fixture
def two(app):
    """Deployments "ours" (the logged-in organiser's) and "theirs" (another organiser's), with a
    claim waiting for approval in "theirs"."""
    with app.app_context():
        ours = make_deployment(slug="ours", spots={"NC": 3})
        theirs = make_deployment(slug="theirs", spots={"NC": 3}, requires_approval=True)
        pending = make_signup(theirs, make_volunteer(email="waiting@example.org"), "NC",
                              status=SignupStatus.PENDING_APPROVAL)
        db.session.commit()
        return {"ours": ours.id, "theirs": theirs.id, "pending": pending.id}


def _capacity(app, slug):
    with app.app_context():
        return db.session.scalar(select(Placement.capacity).join(Deployment)
                                 .where(Deployment.slug == slug))


def test_an_organiser_cannot_change_a_deployment_they_do_not_run(app, client, login_as, two):
    login_as(Role.ORGANISER, staff_of=("ours",))
    token = csrf_token(client, "/organiser/")
    theirs = "/organiser/deployments/theirs"
    capacity = client.post(f"{theirs}/placements/NC", data={"csrf_token": token, "capacity": "99"})
    approve = client.post(f"{theirs}/signups/{two['pending']}/approve",
                          data={"csrf_token": token})
    cost = client.post(f"{theirs}/ledger/costs/new",
                       data={"csrf_token": token, "volunteer_email": "waiting@example.org",
                             "category": "MEALS", "amount": "10.00", "currency": "USD",
                             "incurred_on": "2024-10-21"})
    upload = client.post(f"{theirs}/volunteers/import",
                         data={"csrf_token": token,
                               "file": (BytesIO(b"full_name,email\n"), "v.csv")},
                         content_type="multipart/form-data")
    settings = client.post(f"{theirs}/settings", data={"csrf_token": token, "name": "Mine now"})
    for response in (capacity, approve, cost, upload, settings):
        assert response.status_code == 403
        assert "not on the staff of this deployment" in response.get_data(as_text=True)
    for page in ("", "/ledger/", "/housing/", "/settings", "/states/NC"):
        assert client.get(theirs + page).status_code == 403
    assert client.get("/deployments/theirs/reports/").status_code == 403
    assert client.get("/deployments/theirs/findings/").status_code == 403
    # nothing changed
    assert _capacity(app, "theirs") == 3
    with app.app_context():
        assert db.session.get(Signup, two["pending"]).status is SignupStatus.PENDING_APPROVAL
        assert db.session.scalar(select(db.func.count()).select_from(Cost)) == 0
        assert db.session.get(Deployment, two["theirs"]).name == "Test deployment"
    # their own deployment works as before
    mine = client.post("/organiser/deployments/ours/placements/NC",
                       data={"csrf_token": token, "capacity": "7"})
    assert mine.status_code == 302 and _capacity(app, "ours") == 7


def test_a_slug_that_names_nothing_is_not_found_for_everyone(client, login_as, two):
    login_as(Role.ORGANISER, staff_of=("ours",))
    assert client.get("/organiser/deployments/no-such-thing").status_code == 404


def test_the_api_refuses_an_organiser_of_another_deployment_in_json(app, client, two):
    with app.app_context():
        organiser = accounts.create_user(db.session, email="o@example.org", full_name="O",
                                         role=Role.ORGANISER, password=None, actor=None)
        staff.add_member(db.session, db.session.get(Deployment, two["ours"]), organiser,
                         actor=None)
        token = token_for(organiser)
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    refused = client.get("/api/v1/deployments/theirs/disclosure", headers=headers)
    assert refused.status_code == 403
    assert refused.json["error"] == "forbidden"
    assert "not on the staff" in refused.json["message"]
    assert client.get("/api/v1/deployments/ours/disclosure", headers=headers).status_code == 200


def test_the_list_shows_an_organiser_only_their_deployments(client, login_as, two):
    login_as(Role.ORGANISER, staff_of=("ours",))
    page = client.get("/organiser/").get_data(as_text=True)
    assert "/organiser/deployments/ours" in page
    assert "/organiser/deployments/theirs" not in page


def test_admins_and_auditors_see_every_deployment(app, client, login_as, two):
    login_as(Role.ADMIN)
    page = client.get("/organiser/").get_data(as_text=True)
    assert "/organiser/deployments/ours" in page and "/organiser/deployments/theirs" in page
    token = csrf_token(client, "/organiser/")
    assert client.post("/organiser/deployments/theirs/placements/NC",
                       data={"csrf_token": token, "capacity": "4"}).status_code == 302
    auditor = app.test_client()
    email = "aud@example.org"
    with app.app_context():
        accounts.create_user(db.session, email=email, full_name="A", role=Role.AUDITOR,
                             password="correct horse battery staple", actor=None)
        db.session.commit()
    log_in(auditor, email)
    assert auditor.get("/organiser/deployments/theirs").status_code == 200


def test_the_organiser_who_creates_a_deployment_runs_it(app, client, login_as):
    email = login_as(Role.ORGANISER)
    token = csrf_token(client, "/organiser/deployments/new")
    created = client.post("/organiser/deployments/new", data={
        "csrf_token": token, "slug": "fresh", "name": "Fresh", "spots": "NC:4",
        "starts_on": "2024-10-20", "ends_on": "2024-11-06"})
    assert created.status_code == 302, created.get_data(as_text=True)
    assert client.get("/organiser/deployments/fresh").status_code == 200
    with app.app_context():
        assert [u.email for u in staff.members(
            db.session, deployments.get_deployment(db.session, "fresh"))] == [email]


def test_an_admin_adds_and_removes_staff_on_the_admin_page(app, client, login_as, two):
    with app.app_context():
        olu = accounts.create_user(db.session, email="olu@example.org", full_name="Olu",
                                   role=Role.ORGANISER, password=None, actor=None)
        db.session.commit()
        olu_id = olu.id
    login_as(Role.ADMIN)
    page = client.get("/admin/deployments/theirs/staff").get_data(as_text=True)
    assert "Olu (olu@example.org)" in page
    token = csrf_token(client, "/admin/deployments/theirs/staff")
    added = client.post("/admin/deployments/theirs/staff",
                        data={"csrf_token": token, "user_id": str(olu_id)},
                        follow_redirects=True)
    assert "olu@example.org is now on the staff of" in added.get_data(as_text=True)
    with app.app_context():
        theirs = db.session.get(Deployment, two["theirs"])
        assert staff.is_member(db.session, theirs, db.session.get(User, olu_id))
    listed = client.get("/admin/deployments").get_data(as_text=True)
    row = listed[listed.index("/admin/deployments/theirs/staff"):]
    assert "Olu" in row[:row.index("</tr>")], "the listing names each deployment's staff"
    # a volunteer is not a choice: a clear field error, nothing written
    with app.app_context():
        volunteer_id = db.session.scalar(select(User.id).where(User.email == "waiting@example.org"))
    refused = client.post("/admin/deployments/theirs/staff",
                          data={"csrf_token": token, "user_id": str(volunteer_id)})
    assert refused.status_code == 422 and "Not a valid choice" in refused.get_data(as_text=True)
    removed = client.post(f"/admin/deployments/theirs/staff/{olu_id}/remove",
                          data={"csrf_token": token}, follow_redirects=True)
    assert "is no longer on the staff" in removed.get_data(as_text=True)
    with app.app_context():
        assert staff.members(db.session, db.session.get(Deployment, two["theirs"])) == []
    listing = client.get("/admin/deployments").get_data(as_text=True)
    assert "/admin/deployments/theirs/staff" in listing


def test_staff_cli_adds_lists_and_removes(app, runner, two):
    with app.app_context():
        for email, role in (("olu@example.org", Role.ORGANISER), ("aud@example.org", Role.AUDITOR)):
            accounts.create_user(db.session, email=email, full_name="X", role=role,
                                 password=None, actor=None)
        db.session.commit()
    result = runner.invoke(args=["staff", "add", "theirs", "OLU@example.org"])
    assert result.exit_code == 0 and "olu@example.org is on the staff of theirs" in result.output
    again = runner.invoke(args=["staff", "add", "theirs", "olu@example.org"])
    assert again.exit_code == 1 and "already on the staff" in again.output
    auditor = runner.invoke(args=["staff", "add", "theirs", "aud@example.org"])
    assert auditor.exit_code == 1 and "only organisers are staff" in auditor.output
    assert runner.invoke(args=["staff", "list", "theirs"]).output == "olu@example.org\n"
    assert runner.invoke(args=["staff", "add", "nope", "olu@example.org"]).exit_code == 1
    removed = runner.invoke(args=["staff", "remove", "theirs", "olu@example.org"])
    assert removed.exit_code == 0
    assert runner.invoke(args=["staff", "list", "theirs"]).output == ""
    missing = runner.invoke(args=["staff", "remove", "theirs", "olu@example.org"])
    assert missing.exit_code == 1 and "is not on the staff" in missing.output


def test_a_role_change_ends_memberships(app, two):
    with app.app_context():
        admin = accounts.create_user(db.session, email="adm@example.org", full_name="A",
                                     role=Role.ADMIN, password=None, actor=None)
        olu = accounts.create_user(db.session, email="olu@example.org", full_name="O",
                                   role=Role.ORGANISER, password=None, actor=None)
        staff.add_member(db.session, db.session.get(Deployment, two["ours"]), olu, actor=admin)
        accounts.set_role(db.session, olu, "auditor", actor=admin)
        accounts.set_role(db.session, olu, "organiser", actor=admin)
        db.session.commit()
        assert staff.visible_deployments(db.session, olu) == []


def test_the_outbox_shows_an_organiser_only_their_volunteers_and_no_staff_links(
        app, client, login_as, two):
    with app.app_context():
        ours = db.session.get(Deployment, two["ours"])
        mine = make_volunteer(email="mine@example.org")
        make_signup(ours, mine)
        password_links.invite(db.session, mine.user, actor=None)
        theirs_volunteer = db.session.scalar(select(User).where(User.email == "waiting@example.org"))
        password_links.invite(db.session, theirs_volunteer, actor=None)
        admin = accounts.create_user(db.session, email="boss@example.org", full_name="B",
                                     role=Role.ADMIN, password="correct horse battery staple",
                                     actor=None)
        password_links.request_reset(db.session, admin.email)
        db.session.commit()
        assert db.session.scalar(select(db.func.count()).select_from(Notification)) == 3
    login_as(Role.ORGANISER, staff_of=("ours",))
    outbox = client.get("/organiser/outbox").get_data(as_text=True)
    assert "mine@example.org" in outbox
    assert "waiting@example.org" not in outbox
    assert "boss@example.org" not in outbox and "/reset/" not in outbox
    auditor = app.test_client()
    with app.app_context():
        accounts.create_user(db.session, email="aud@example.org", full_name="A",
                             role=Role.AUDITOR, password="correct horse battery staple",
                             actor=None)
        db.session.commit()
    log_in(auditor, "aud@example.org")
    read = auditor.get("/organiser/outbox").get_data(as_text=True)
    assert "mine@example.org" in read and "waiting@example.org" in read
    assert "boss@example.org" not in read


@pytest.mark.starts_from("demo")
def test_the_demo_organiser_runs_the_demo_deployment(app, client):
    from app.services import demo
    assert log_in(client, f"organiser@{demo.DOMAIN}", demo.PASSWORD).status_code == 302
    assert client.get(f"/organiser/deployments/{demo.SLUG}").status_code == 200
    assert demo.SLUG in client.get("/organiser/").get_data(as_text=True)


def test_upgrading_makes_every_existing_organiser_staff_of_every_deployment(tmp_path):
    url = f"sqlite:///{tmp_path}/upgrade.sqlite3"
    app = create_app(_config(url), instance_path=str(tmp_path / "instance"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        make_deployment(slug="one")
        make_deployment(slug="two")
        for email, role in (("o1@example.org", Role.ORGANISER), ("o2@example.org", Role.ORGANISER),
                            ("a@example.org", Role.AUDITOR)):
            accounts.create_user(db.session, email=email, full_name="X", role=role,
                                 password=None, actor=None)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    # the database as it was before staff existed, with its data ...
    assert runner.invoke(args=["db", "downgrade", "1a2b3c4d5e6f"]).exit_code == 0
    with app.app_context():
        db.engine.dispose()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        pairs = db.session.execute(text(
            "SELECT d.slug, u.email FROM deployment_staff s JOIN deployments d "
            "ON d.id = s.deployment_id JOIN users u ON u.id = s.user_id ORDER BY 1, 2")).all()
        assert [tuple(p) for p in pairs] == [("one", "o1@example.org"), ("one", "o2@example.org"),
                                             ("two", "o1@example.org"), ("two", "o2@example.org")]
        assert db.session.scalar(select(StaffMembership.added_at)) is not None
        db.session.remove()
        db.engine.dispose()
