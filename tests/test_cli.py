"""The command-line contract of DESIGN.md."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, Deployment, Placement, Role, User

from .builders import make_signup, make_volunteer
from .conftest import count_rows


@pytest.fixture
def password_env(monkeypatch):
    monkeypatch.setenv("TRIPLEDGER_PASSWORD", "a long cli passphrase")


def test_users_create_with_password_from_environment(app, runner, password_env, client):
    result = runner.invoke(args=["users", "create", "Org@Example.org", "--role", "organiser"])
    assert result.exit_code == 0, result.output
    assert "Created org@example.org (organiser)" in result.output
    from .conftest import log_in
    assert log_in(client, "org@example.org", "a long cli passphrase").location == "/organiser/"


def test_users_create_prompts_for_the_password(app, runner, monkeypatch):
    monkeypatch.delenv("TRIPLEDGER_PASSWORD", raising=False)
    result = runner.invoke(args=["users", "create", "a@example.org", "--role", "auditor"],
                           input="prompted passphrase\nprompted passphrase\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert accounts_role(app, "a@example.org") is Role.AUDITOR


def accounts_role(app, email):
    return db.session.scalar(select(User.role).where(User.email == email))


@pytest.mark.parametrize(("args", "message"), [
    (["users", "create"], "Missing argument 'EMAIL'"),
    (["users", "create", "a@example.org"], "Missing option '--role'"),
    (["users", "create", "a@example.org", "--role", "king"], "'king' is not one of"),
    (["users", "create", "bad-email", "--role", "admin"], "Not a valid email address"),
    (["users", "token"], "Missing argument 'EMAIL'"),
    (["users", "token", "nobody@example.org"], "No account with the email"),
    (["users", "tokens"], "Missing option '--role'"),
    (["deployments", "create", "x"], "Missing option '--name'"),
    (["deployments", "create", "Bad Slug", "--name", "X"], "A slug is lower-case"),
    (["deployments", "create", "ok", "--name", "X", "--state", "XX:5"], "not a US state code"),
    (["deployments", "create", "ok", "--name", "X", "--state", "NC"], "is not STATE:SPOTS"),
    (["placements", "set", "nope", "NC", "--capacity", "3"], "No deployment called 'nope'"),
    (["placements", "set", "x", "NC"], "Missing option '--capacity'"),
    (["placements", "set", "x", "NC", "--capacity", "-1"], "-1 is not in the range x>=0"),
])
def test_bad_cli_calls_say_what_is_wrong_and_write_nothing(app, runner, password_env, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert count_rows(app, User) == 0 and count_rows(app, Deployment) == 0


def test_users_token_prints_a_working_token(app, runner, client, password_env):
    runner.invoke(args=["users", "create", "v@example.org", "--role", "volunteer"])
    result = runner.invoke(args=["users", "token", "v@example.org"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert token.startswith("tl_")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json["email"] == "v@example.org"


def test_users_tokens_prints_email_and_token_for_every_user_of_a_role(app, runner, password_env):
    for email, role in [("a@example.org", "volunteer"), ("b@example.org", "volunteer"),
                        ("c@example.org", "auditor")]:
        runner.invoke(args=["users", "create", email, "--role", role])
    result = runner.invoke(args=["users", "tokens", "--role", "volunteer"])
    lines = result.output.strip().splitlines()
    assert [line.split(",")[0] for line in lines] == ["a@example.org", "b@example.org"]
    assert all(line.split(",")[1].startswith("tl_") for line in lines)
    assert count_rows(app, ApiToken) == 2


def test_deployments_create_and_placements_set(app, runner):
    result = runner.invoke(args=["deployments", "create", "us-2024", "--name", "US 2024",
                                 "--state", "NC:25", "--state", "pa:10", "--approval",
                                 "--no-waitlist", "--starts", "2024-10-20", "--ends", "2024-11-06"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["placements", "set", "us-2024", "VA", "--capacity", "4"])
    assert result.exit_code == 0 and "VA: capacity 4" in result.output
    result = runner.invoke(args=["placements", "set", "us-2024", "NC", "--capacity", "30"])
    assert result.exit_code == 0
    with app.app_context():
        deployment = db.session.scalar(select(Deployment))
        assert deployment.requires_approval and not deployment.keeps_waitlist
        assert {(p.state_code, p.capacity) for p in deployment.placements} == \
            {("NC", 30), ("PA", 10), ("VA", 4)}
    again = runner.invoke(args=["deployments", "create", "us-2024", "--name", "Again"])
    assert again.exit_code == 1 and "already exists" in again.output


def test_placements_set_refuses_to_go_below_held_spots(app, runner):
    runner.invoke(args=["deployments", "create", "d", "--name", "D", "--state", "NC:3"])
    with app.app_context():
        deployment = db.session.scalar(select(Deployment))
        for _ in range(2):
            make_signup(deployment, make_volunteer(), "NC")
        db.session.commit()
    result = runner.invoke(args=["placements", "set", "d", "NC", "--capacity", "1"])
    assert result.exit_code == 1
    assert "NC already has 2 spots held" in result.output
    with app.app_context():
        assert db.session.scalar(select(Placement.capacity)) == 3
