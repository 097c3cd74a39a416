"""Accounts from the outside: registration, login, sessions, CSRF, redirects, tokens."""
import hashlib

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, Notification, Role, User, Volunteer
from app.services import accounts

from .conftest import PASSWORD, count_rows, csrf_token, log_in


def _register(client, **overrides):
    data = {"full_name": "Nia Mensah", "email": "nia@example.org", "password": PASSWORD,
            "confirm": PASSWORD, "csrf_token": csrf_token(client, "/register")}
    data.update(overrides)
    return client.post("/register", data=data)


def _link_in_outbox(app, email: str, kind: str) -> str:
    with app.app_context():
        body = db.session.scalar(select(Notification.body).where(
            Notification.to_email == email, Notification.kind == kind))
    return "/" + body.split("http://localhost/", 1)[1].split()[0]


def test_volunteer_registers_confirms_the_address_and_logs_in(app, client):
    response = _register(client)
    assert response.status_code == 302 and response.location == "/login"
    assert "Check your email: we sent a message to nia@example.org" in \
        client.get("/login").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nia@example.org"))
        assert user.role is Role.VOLUNTEER and user.volunteer is not None
        assert user.password_hash.startswith("$argon2id$")
        assert user.email_confirmed_at is None
    # not before the address is confirmed (and the answer is the usual one)
    early = log_in(client, "nia@example.org")
    assert early.status_code == 422 and "Open the link we emailed you" in early.get_data(as_text=True)
    confirmed = client.get(_link_in_outbox(app, "nia@example.org", "password_confirm"))
    assert confirmed.status_code == 302 and confirmed.location == "/login"
    assert log_in(client, "nia@example.org").status_code == 302
    assert "Nia Mensah" in client.get("/me/").get_data(as_text=True)


def test_production_password_hashing_is_argon2id_with_strong_parameters(make_app):
    app = make_app(ARGON2_TIME_COST=3, ARGON2_MEMORY_COST=64 * 1024, ARGON2_PARALLELISM=4)
    with app.app_context():
        digest = accounts.hash_password("a perfectly fine passphrase")
    assert digest.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    # the shipped defaults are these values
    from app.config import Config
    assert (Config.ARGON2_MEMORY_COST, Config.ARGON2_TIME_COST) == (65536, 3)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"email": "not-an-email"}, "Not a valid email address"),
    ({"email": ""}, "This field is required"),
    ({"password": "short", "confirm": "short"}, "at least 12 characters"),
    ({"password": "password1234", "confirm": "password1234"}, "too easy to guess"),
    ({"password": "aaaaaaaaaaaaaaaa", "confirm": "aaaaaaaaaaaaaaaa"}, "too easy to guess"),
    ({"confirm": "something else entirely"}, "The passwords differ"),
    ({"full_name": ""}, "This field is required"),
    ({"full_name": "x" * 201}, "Field cannot be longer than 200 characters"),
])
def test_bad_registration_shows_the_field_error_and_writes_nothing(app, client, overrides, message):
    response = _register(client, **overrides)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count_rows(app, User) == 0 and count_rows(app, Volunteer) == 0


def test_registration_answers_the_same_whether_or_not_the_address_has_an_account(
        app, client, create_user):
    create_user(email="nia@example.org", full_name="The Real Nia")
    taken = _register(client, email="NIA@example.org")
    taken_page = client.get("/login").get_data(as_text=True)
    fresh = _register(client, email="new@example.org")
    fresh_page = client.get("/login").get_data(as_text=True)
    assert (taken.status_code, taken.location) == (fresh.status_code, fresh.location) == \
        (302, "/login")
    assert taken.get_data() == fresh.get_data().replace(b"new@example.org", b"nia@example.org")

    def flashed(page):
        return page.split('<div class="flashes"', 1)[1].split("</div>", 1)[0]
    assert "Check your email: we sent a message to nia@example.org" in flashed(taken_page)
    assert flashed(taken_page) == flashed(fresh_page).replace("new@example.org",
                                                              "nia@example.org")
    with app.app_context():
        users = db.session.scalars(select(User).order_by(User.id)).all()
        assert [u.email for u in users] == ["nia@example.org", "new@example.org"]
        assert users[0].full_name == "The Real Nia"  # nothing about the owner changed
        kinds = dict(db.session.execute(select(Notification.to_email, Notification.kind)).all())
    # the owner is told, with a way in; the newcomer gets the confirmation link
    assert kinds == {"nia@example.org": "already_registered", "new@example.org": "password_confirm"}
    owner_mail = _link_in_outbox(app, "nia@example.org", "already_registered")
    assert owner_mail.startswith("/login")


def test_the_owner_told_of_a_second_registration_can_set_a_password_from_the_message(
        app, client, create_user):
    create_user(email="nia@example.org")
    _register(client, email="nia@example.org")
    with app.app_context():
        body = db.session.scalar(select(Notification.body))
    reset = "/" + body.split("http://localhost/reset/", 1)[1].split()[0]
    reset = "/reset/" + reset.lstrip("/")
    token = csrf_token(client, reset)
    done = client.post(reset, data={"csrf_token": token, "password": "a brand new passphrase",
                                    "confirm": "a brand new passphrase"})
    assert done.status_code == 302
    assert log_in(client, "nia@example.org", "a brand new passphrase").status_code == 302


def test_login_with_wrong_credentials_gives_one_generic_message(client, create_user):
    create_user(email="real@example.org")
    wrong_password = log_in(client, "real@example.org", "not the password at all")
    unknown_email = log_in(client, "nobody@example.org", PASSWORD)
    for response in (wrong_password, unknown_email):
        assert response.status_code == 422
        assert "That email and password do not match an account." in response.get_data(as_text=True)
    # no difference an attacker could use to learn which emails have accounts
    assert wrong_password.get_data(as_text=True).count("do not match") == \
        unknown_email.get_data(as_text=True).count("do not match")


def test_an_imported_account_without_password_cannot_log_in(client, create_user):
    create_user(email="imported@example.org", password=None)
    assert log_in(client, "imported@example.org", "").status_code == 422
    assert log_in(client, "imported@example.org", PASSWORD).status_code == 422


def test_login_starts_a_fresh_session(app, client, create_user):
    user_id = create_user(email="v@example.org")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker before login"
    assert log_in(client, "v@example.org").status_code == 302
    with client.session_transaction() as sess:
        assert "planted" not in sess
        with app.app_context():
            nonce = db.session.get(User, user_id).session_nonce
        assert sess["_user_id"] == f"{user_id}:{nonce}"


def test_changing_the_password_signs_out_other_sessions(app, client, create_user):
    user_id = create_user(email="v@example.org")
    log_in(client, "v@example.org")
    assert client.get("/me/").status_code == 200
    with app.app_context():
        accounts.set_password(db.session, db.session.get(User, user_id),
                              "an entirely new passphrase", actor=None)
        db.session.commit()
    assert client.get("/me/").status_code == 302


@pytest.mark.parametrize(("next_path", "expected"), [
    ("/deployments/x?y=1", "/deployments/x?y=1"),
    ("https://evil.example.com/", "/me/"),
    ("//evil.example.com/", "/me/"),
    ("/\\evil.example.com", "/me/"),
    ("javascript:alert(1)", "/me/"),
    ("", "/me/"),
])
def test_next_redirects_only_within_this_site(client, create_user, next_path, expected):
    create_user(email="v@example.org")
    response = log_in(client, "v@example.org", next_path=next_path)
    assert response.status_code == 302
    assert response.location == expected


def test_login_page_carries_next_from_the_query(client):
    page = client.get("/login?next=/organiser/").get_data(as_text=True)
    assert 'value="/organiser/"' in page


@pytest.mark.parametrize("token", [None, "stale-or-forged-token"])
def test_forms_without_a_valid_csrf_token_are_refused_and_write_nothing(app, client, token):
    data = {"full_name": "N", "email": "n@example.org", "password": PASSWORD, "confirm": PASSWORD}
    if token:
        data["csrf_token"] = token
    response = client.post("/register", data=data)
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    assert count_rows(app, User) == 0


def test_logout_needs_post_with_csrf(client, login_as):
    login_as(Role.VOLUNTEER)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    token = csrf_token(client, "/me/")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/me/").status_code == 302


def test_api_tokens_are_stored_hashed_and_authenticate(app, client, create_user):
    user_id = create_user(email="v@example.org")
    with app.app_context():
        token = accounts.issue_token(db.session, db.session.get(User, user_id), actor=None)
        db.session.commit()
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["email"] == "v@example.org"
    for header in ({}, {"Authorization": "Bearer tl_wrong"}, {"Authorization": f"Basic {token}"}):
        response = client.get("/api/v1/me", headers=header)
        assert response.status_code == 401 and response.json["error"] == "unauthorized"


def test_login_attempts_are_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [log_in(client, "who@example.org", "wrong password!!").status_code
                for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
