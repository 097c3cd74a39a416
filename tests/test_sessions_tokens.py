"""Sessions end when they should, server-side; API tokens expire, are revoked and are scoped.

The attack this answers: logging out did not end the session (a copy of the cookie worked for
12 hours), and API tokens never expired, could not be revoked and kept working after a role
change.
"""
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import create_app
from app.extensions import db
from app.models import ApiToken, Role, User, UserSession
from app.models.types import utcnow
from app.services import accounts, tokens

from .builders import make_deployment, make_signup, make_volunteer
from .conftest import _config, csrf_token, log_in


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str):
    """A new client that sends only ``cookie``, as someone who copied it would."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/me/")


@pytest.fixture
def vol(create_user):
    create_user(email="v@example.org")
    return "v@example.org"


def test_a_copied_cookie_is_refused_after_logout(app, client, vol):
    assert log_in(client, vol).status_code == 302
    copied = _cookie(client)
    assert _replay(app, copied).status_code == 200  # the copy works while logged in
    client.post("/logout", data={"csrf_token": csrf_token(client, "/me/")})
    replayed = _replay(app, copied)
    assert replayed.status_code == 302 and replayed.location.startswith("/login")
    with app.app_context():
        row = db.session.scalar(select(UserSession))
        assert row.revoked_at is not None


def test_sign_out_everywhere_ends_the_other_sessions(app, client, vol):
    log_in(client, vol)
    laptop = app.test_client()
    log_in(laptop, vol)
    page = client.get("/account/").get_data(as_text=True)
    assert "(this one)" in page and page.count("<tr><td>") >= 2
    done = client.post("/account/sign-out-everywhere",
                       data={"csrf_token": csrf_token(client, "/account/")}, follow_redirects=True)
    assert "You are signed out everywhere (2 session(s) ended)" in done.get_data(as_text=True)
    assert laptop.get("/me/").status_code == 302
    assert client.get("/me/").status_code == 302
    assert log_in(laptop, vol).status_code == 302  # and logging in again works
    assert laptop.get("/me/").status_code == 200


def test_a_session_unused_for_the_idle_time_has_ended(make_app, vol):
    app = make_app(SESSION_IDLE_MINUTES=0.02)  # 1.2 seconds
    client = app.test_client()
    log_in(client, vol)
    assert client.get("/me/").status_code == 200
    time.sleep(1.5)
    assert client.get("/me/").status_code == 302


def test_using_a_session_keeps_it_alive_and_the_idle_time_is_configurable(app, client, vol):
    assert app.config["SESSION_IDLE_MINUTES"] == 60
    log_in(client, vol)
    with app.app_context():  # last used 50 minutes ago: still live; the request notes it
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=50)))
        db.session.commit()
    assert client.get("/me/").status_code == 200
    with app.app_context():
        seen = db.session.scalar(select(UserSession.last_seen_at))
        assert utcnow() - seen < timedelta(minutes=1)
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=61)))
        db.session.commit()
    assert client.get("/me/").status_code == 302


def test_a_session_ends_at_its_lifetime_however_busy(app, client, vol):
    log_in(client, vol)
    with app.app_context():
        db.session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get("/me/").status_code == 302


def test_a_cookie_without_a_server_side_session_is_refused(app, client, vol):
    """A cookie signed with the secret but made before the upgrade (no session id)."""
    log_in(client, vol)
    with client.session_transaction() as sess:
        del sess["sid"]
    assert client.get("/me/").status_code == 302


def test_a_role_change_ends_sessions_and_revokes_tokens(app, client, vol):
    log_in(client, vol)
    with app.app_context():
        user = accounts.get_user(db.session, vol)
        token = tokens.issue(db.session, user, actor=None)
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        admin = accounts.create_user(db.session, email="adm@example.org", full_name="A",
                                     role=Role.ADMIN, password=None, actor=None)
        accounts.set_role(db.session, accounts.get_user(db.session, vol), "auditor", actor=admin)
        db.session.commit()
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401 and refused.json["error"] == "token_revoked"
    assert client.get("/me/").status_code == 302


# -- tokens ------------------------------------------------------------------------------------
@pytest.fixture
def claimant(app):
    """A declared volunteer with a sign-up in "dep", and a token of each kind."""
    with app.app_context():
        dep = make_deployment(slug="dep")
        person = make_volunteer(email="p@example.org")
        make_signup(dep, person, "NC")
        made = {"full": tokens.issue(db.session, person.user, actor=None, name="phone"),
                "read": tokens.issue(db.session, person.user, actor=None, name="dashboard",
                                     scopes=["claims:read"])}
        db.session.commit()
    return made


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_token_is_scoped(client, claimant):
    mine = "/api/v1/deployments/dep/claims/mine"
    assert client.get(mine, headers=_bearer(claimant["read"])).status_code == 200
    refused = client.delete(mine, headers=_bearer(claimant["read"]))
    assert refused.status_code == 403
    assert refused.json["error"] == "insufficient_scope"
    assert "claims:read" in refused.json["message"]
    assert client.delete(mine, headers=_bearer(claimant["full"])).status_code == 200


def test_an_expired_token_gets_a_json_401(app, client, claimant):
    with app.app_context():
        db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    refused = client.get("/api/v1/me", headers=_bearer(claimant["full"]))
    assert refused.status_code == 401 and refused.is_json
    assert refused.json["error"] == "token_expired"


def test_a_new_token_expires_after_the_configured_days(app, claimant):
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.name == "phone"))
        assert token.scope == "claims"
        assert abs((token.expires_at - token.created_at) - timedelta(days=90)) < timedelta(seconds=1)


def test_a_volunteer_makes_uses_and_revokes_a_token_on_their_page(app, client, vol):
    log_in(client, vol)
    token = csrf_token(client, "/account/")
    refused = client.post("/account/tokens", data={"csrf_token": token, "name": "",
                                                   "scope": "claims", "days": "400"})
    assert refused.status_code == 422 and "This field is required" in refused.get_data(as_text=True)
    too_long = client.post("/account/tokens", data={"csrf_token": token, "name": "x",
                                                    "scope": "claims", "days": "400"})
    assert too_long.status_code == 422 and "from 1 to 365 days" in too_long.get_data(as_text=True)
    not_theirs = client.post("/account/tokens", data={"csrf_token": token, "name": "x",
                                                      "scope": "disclosure:read", "days": "30"})
    assert not_theirs.status_code == 422 and "Not a valid choice" in not_theirs.get_data(as_text=True)
    made = client.post("/account/tokens", data={"csrf_token": token, "name": "laptop",
                                                "scope": "claims", "days": "30"})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    raw = made.get_data(as_text=True).split("<code>tl_", 1)[1].split("</code>", 1)[0]
    raw = "tl_" + raw
    assert client.get("/api/v1/me", headers=_bearer(raw)).json["email"] == vol
    page = client.get("/account/").get_data(as_text=True)
    assert raw not in page  # shown once
    assert "laptop" in page and "works until" in page and "never" not in page.split("laptop")[1][:300]
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "laptop"))
        assert db.session.get(ApiToken, token_id).last_used_at is not None
    revoked = client.post(f"/account/tokens/{token_id}/revoke",
                          data={"csrf_token": token}, follow_redirects=True)
    assert "is revoked" in revoked.get_data(as_text=True)
    refused = client.get("/api/v1/me", headers=_bearer(raw))
    assert refused.status_code == 401 and refused.json["error"] == "token_revoked"


def test_nobody_revokes_another_persons_token(app, client, claimant, vol):
    log_in(client, vol)
    with app.app_context():
        other = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "phone"))
    response = client.post(f"/account/tokens/{other}/revoke",
                           data={"csrf_token": csrf_token(client, "/account/")})
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers=_bearer(claimant["full"])).status_code == 200


def test_tokens_from_the_command_line(app, runner, client, vol):
    made = runner.invoke(args=["users", "token", vol, "--name", "ci", "--days", "7",
                               "--scope", "claims:read"])
    assert made.exit_code == 0, made.output
    raw = made.output.strip()
    assert client.get("/api/v1/me", headers=_bearer(raw)).status_code == 200
    wrong = runner.invoke(args=["users", "token", vol, "--scope", "disclosure:read"])
    assert wrong.exit_code == 1 and "cannot have the scope 'disclosure:read'" in wrong.output
    listed = runner.invoke(args=["users", "list-tokens", vol]).output
    token_id = listed.split("\t")[0]
    assert "\tci\tclaims:read\tworks until" in listed
    assert runner.invoke(args=["users", "revoke-token", vol]).exit_code == 2
    done = runner.invoke(args=["users", "revoke-token", vol, token_id])
    assert done.exit_code == 0 and "Revoked" in done.output
    assert client.get("/api/v1/me", headers=_bearer(raw)).json["error"] == "token_revoked"
    runner.invoke(args=["users", "token", vol])
    everything = runner.invoke(args=["users", "revoke-token", vol, "--all"])
    assert "Revoked 1 token(s)" in everything.output


def test_signing_out_from_the_command_line(app, runner, client, vol):
    log_in(client, vol)
    result = runner.invoke(args=["users", "sign-out", vol])
    assert result.exit_code == 0 and "1 session(s) ended" in result.output
    assert client.get("/me/").status_code == 302


def test_a_token_made_before_the_upgrade_keeps_working_with_its_roles_scope(tmp_path):
    url = f"sqlite:///{tmp_path}/upgrade.sqlite3"
    app = create_app(_config(url), instance_path=str(tmp_path / "instance"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    made = {}
    with app.app_context():
        for email, role in (("v@example.org", Role.VOLUNTEER), ("a@example.org", Role.AUDITOR)):
            user = accounts.create_user(db.session, email=email, full_name="X", role=role,
                                        password=None, actor=None)
            made[email] = tokens.issue(db.session, user, actor=None)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    # the tokens as they were before names, scopes and expiry ...
    assert runner.invoke(args=["db", "downgrade", "2a1b2c3d4e5f"]).exit_code == 0
    with app.app_context():
        assert "scope" not in {c["name"] for c in db.inspect(db.engine).get_columns("api_tokens")}
        db.engine.dispose()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    with app.app_context():
        rows = dict(db.session.execute(select(User.email, ApiToken.scope).join(ApiToken.user)).all())
        assert rows == {"v@example.org": "claims", "a@example.org": "disclosure:read"}
        expires = db.session.scalar(select(ApiToken.expires_at))
        assert timedelta(days=89) < expires - utcnow() <= timedelta(days=90)
        db.session.remove()
    me = client.get("/api/v1/me", headers=_bearer(made["v@example.org"]))
    assert me.status_code == 200 and me.json["email"] == "v@example.org"
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
