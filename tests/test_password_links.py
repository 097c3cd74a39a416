"""Accounts a season needs (issue 13): an imported volunteer is invited by email (a real local
SMTP server), chooses a password from the link, logs in and claims; "Forgot your password?"
sends a one-time link that expires; the answer never tells whether an address has an account;
an administrator resends an invitation."""
import re
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification, Role, Signup, SignupStatus, User, Volunteer
from app.services import volunteers_import

from .browser import PHONE, chromium, live_server, log_in_page
from .builders import make_organiser, make_signup_deployment
from .conftest import PASSWORD, csrf_token, log_in
from .smtp_server import smtp_server

LINK = re.compile(r"https?://[^\s/]+(/(?:invitation|reset)/[A-Za-z0-9_.\-]+)")
NEW_PASSWORD = "a new and long enough password"


def _deliver(app, runner) -> list:
    """Send the outbox through a real SMTP server on loopback; the messages it received."""
    with smtp_server() as (port, received):
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        result = runner.invoke(args=["jobs", "run"])
        assert result.exit_code == 0, result.output
        app.config.update(MAIL_SERVER=None)
        return list(received)


def _link_in(message) -> str:
    match = LINK.search(message.get_payload(decode=True).decode())
    assert match, "no link in the message"
    return match.group(1)


def _import_ava(app):
    with app.app_context():
        dep = make_signup_deployment(slug="season", spots={"NC": 3})
        data = ("full_name,email,citizenship,country,home_organisation,affiliation,state,role,"
                "arrive_on,depart_on,leave_type,role_override_reason\n"
                "Ava Penrose,ava@example.org,FOREIGN_NATIONAL,GB,Northbridge,member,,,,,"
                "NOT_EMPLOYED,\n").encode()
        result = volunteers_import.import_volunteers(db.session, dep, data,
                                                     actor=make_organiser(),
                                                     filename="volunteers.csv")
        db.session.commit()
        assert result.new_accounts == 1


@pytest.mark.browser
def test_an_imported_volunteer_is_invited_sets_a_password_logs_in_and_claims(app, runner):
    _import_ava(app)
    received = _deliver(app, runner)
    invitation = next(m for m in received if m["To"] == "ava@example.org")
    assert invitation["Subject"] == "You are invited to TripLedger"
    path = _link_in(invitation)
    assert path.startswith("/invitation/")
    with live_server(app) as site, chromium() as browser:
        page = browser.new_page(**PHONE)
        page.goto(site + path)
        assert page.get_by_role("heading", name="Choose your password").is_visible()
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set my password").click()
        page.wait_for_url("**/login")
        assert page.get_by_text("Your password is set. Log in with it.").is_visible()
        log_in_page(page, site, "ava@example.org", NEW_PASSWORD, lands_on="**/me/**")
        page.goto(site + "/me/declaration")
        page.get_by_label("Citizenship", exact=True).select_option("FOREIGN_NATIONAL")
        page.get_by_label("Country of citizenship (two letters)").fill("GB")
        page.get_by_label("Your link to it").select_option("member")
        page.get_by_label("During the trip you are").select_option("NOT_EMPLOYED")
        page.locator("input[name=attest]").check()
        page.get_by_role("button", name="Save my declaration").click()
        page.wait_for_load_state()
        page.goto(site + "/me/deployments/season/claim")
        page.get_by_label("State").select_option("NC")
        page.get_by_role("button", name="Claim this spot").click()
        page.wait_for_load_state()
        # The link was spent by setting the password.
        page.goto(site + path)
        assert page.get_by_text("This link has been used already").is_visible()
    with app.app_context():
        ava = db.session.scalar(select(Volunteer).join(User).where(User.email == "ava@example.org"))
        statuses = [s.status for s in db.session.scalars(select(Signup).where(
            Signup.volunteer_id == ava.id))]
        assert statuses == [SignupStatus.CONFIRMED]


def _forgot(client, email):
    return client.post("/forgot", data={"csrf_token": csrf_token(client, "/forgot"),
                                        "email": email}, follow_redirects=True)


def test_forgot_password_answers_the_same_and_its_link_works_once(app, client, runner,
                                                                  create_user):
    create_user(Role.VOLUNTEER, email="vic@example.org")
    login_page = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot">Forgot your password?</a>' in login_page
    known = _forgot(client, "vic@example.org")
    unknown = _forgot(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    answer = "If an account has that address, a link to set a new password is on its way."
    assert answer in known.get_data(as_text=True) and answer in unknown.get_data(as_text=True)
    with app.app_context():
        sent = db.session.scalars(select(Notification.to_email)).all()
        assert sent == ["vic@example.org"]
    received = _deliver(app, runner)
    assert [m["To"] for m in received] == ["vic@example.org"]
    path = _link_in(received[0])
    assert path.startswith("/reset/")
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    weak = client.post(path, data={"csrf_token": csrf_token(client, path), "password": "short",
                                   "confirm": "short"})
    assert weak.status_code == 422  # a weak password does not spend the link
    done = client.post(path, data={"csrf_token": csrf_token(client, path), **form})
    assert done.status_code == 302 and done.location.endswith("/login")
    assert log_in(client, "vic@example.org", NEW_PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    assert log_in(client, "vic@example.org", PASSWORD).status_code == 422  # the old one is gone
    again = client.get(path)
    assert again.status_code == 400
    assert "This link has been used already" in again.get_data(as_text=True)


def test_an_expired_or_altered_link_is_refused(app, client, create_user):
    user_id = create_user(Role.VOLUNTEER, email="old@example.org")
    with app.test_request_context():
        from app.services import password_links
        user = db.session.get(User, user_id)
        token = password_links.token_for(user, password_links.RESET)
    app.config["PASSWORD_RESET_MAX_AGE"] = 1
    time.sleep(2.1)
    expired = client.get(f"/reset/{token}")
    assert expired.status_code == 400 and "This link has expired" in expired.get_data(as_text=True)
    app.config["PASSWORD_RESET_MAX_AGE"] = 3600
    assert client.get(f"/reset/{token}").status_code == 200
    altered = client.get(f"/reset/{token[:-3]}abc")
    assert altered.status_code == 400 and "not valid" in altered.get_data(as_text=True)
    # A reset link is not an invitation link, nor the other way round (own salts).
    assert client.get(f"/invitation/{token}").status_code == 400


def test_an_administrator_resends_an_invitation(app, client, login_as):
    _import_ava(app)
    login_as(Role.ADMIN)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Send an invitation" in page
    with app.app_context():
        ava = db.session.scalar(select(User).where(User.email == "ava@example.org"))
    response = client.post(f"/admin/users/{ava.id}/invite",
                           data={"csrf_token": csrf_token(client, "/admin/users")})
    assert response.status_code == 302
    with app.app_context():
        invitations = db.session.scalars(select(Notification).where(
            Notification.to_email == "ava@example.org",
            Notification.kind == "password_invite")).all()
        assert len(invitations) == 2
        assert "/invitation/" in invitations[-1].body


def test_an_administrator_adds_disables_and_enables_accounts(app, client, login_as,
                                                            create_user):
    from app.services import accounts
    login_as(Role.ADMIN)
    page = "/admin/users/new"
    bad = client.post(page, data={"csrf_token": csrf_token(client, page), "full_name": "Ann",
                                  "email": "not-an-email", "role": "organiser"})
    assert bad.status_code == 422 and "Not a valid email address" in bad.get_data(as_text=True)
    added = client.post(page, data={"csrf_token": csrf_token(client, page),
                                    "full_name": "Ann Organiser", "email": "ann@example.org",
                                    "role": "organiser"})
    assert added.status_code == 302
    with app.app_context():
        ann = db.session.scalar(select(User).where(User.email == "ann@example.org"))
        assert ann.role is Role.ORGANISER and ann.password_hash is None
        assert db.session.scalar(select(Notification.kind).where(
            Notification.to_email == "ann@example.org")) == "password_invite"
    # Disabling asks first, then ends every session and API token of the account.
    target = create_user(Role.VOLUNTEER, email="dis@example.org")
    with app.app_context():
        token = accounts.issue_token(db.session, db.session.get(User, target), actor=None)
        db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code \
        == 200
    asked = client.get(f"/admin/users/{target}/disable").get_data(as_text=True)
    assert "Disable dis@example.org?" in asked and "every session of theirs ends" in asked
    with app.app_context():
        assert db.session.get(User, target).is_active
    assert client.post(f"/admin/users/{target}/disable",
                       data={"csrf_token": csrf_token(client, "/admin/users")}).status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code \
        == 401
    other = app.test_client()
    assert log_in(other, "dis@example.org").status_code == 422
    assert client.post(f"/admin/users/{target}/enable",
                       data={"csrf_token": csrf_token(client, "/admin/users")}).status_code == 302
    assert log_in(other, "dis@example.org").status_code == 302
    # An administrator cannot disable their own account.
    with app.app_context():
        me = db.session.scalar(select(User).where(User.role == Role.ADMIN))
    client.post(f"/admin/users/{me.id}/disable",
                data={"csrf_token": csrf_token(client, "/admin/users")})
    with app.app_context():
        assert db.session.get(User, me.id).is_active


def test_an_organiser_resends_an_invitation_from_the_roster(app, client, login_as):
    with app.app_context():
        dep = make_signup_deployment(slug="resend", spots={"NC": 3})
        data = ("full_name,email,citizenship,country,home_organisation,affiliation,state,role,"
                "arrive_on,depart_on,leave_type,role_override_reason\n"
                "Bo Import,bo@example.org,US_CITIZEN,US,,,NC,canvasser,,,NOT_EMPLOYED,\n"
                ).encode()
        volunteers_import.import_volunteers(db.session, dep, data, actor=make_organiser(),
                                            filename="v.csv")
        db.session.commit()
        signup_id = db.session.scalar(select(Signup.id))
    login_as(Role.AUDITOR)
    roster = "/organiser/deployments/resend/states/NC"
    seen = client.get(roster).get_data(as_text=True)
    assert "no password yet" in seen and "Send an invitation" not in seen
    login_as(Role.ORGANISER)
    assert "Send an invitation" in client.get(roster).get_data(as_text=True)
    sent = client.post(f"/organiser/deployments/resend/signups/{signup_id}/invite",
                       data={"csrf_token": csrf_token(client, roster), "back": roster})
    assert sent.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.to_email == "bo@example.org",
            Notification.kind == "password_invite")) == 2
