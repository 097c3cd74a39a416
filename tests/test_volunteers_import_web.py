"""Importing volunteers in the browser: upload, preview (a dry run), confirm."""
import io
import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import Role, Signup, User

from .builders import make_organiser, make_signup_deployment
from .conftest import csrf_token
from .test_volunteers_import import _csv


def _counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(User)),
                db.session.scalar(select(func.count()).select_from(Signup)))


def test_upload_preview_then_confirm_in_the_browser(app, client, login_as):
    with app.app_context():
        make_signup_deployment(slug="upload", spots={"NC": 1})
        db.session.commit()
    login_as(Role.ORGANISER)
    token = csrf_token(client, "/organiser/deployments/upload/volunteers/import")
    bad = client.post("/organiser/deployments/upload/volunteers/import", data={
        "csrf_token": token, "file": (io.BytesIO(_csv("X,bad,US_CITIZEN,US,,,NC,,,,,")), "v.csv")})
    assert bad.status_code == 422
    assert "Not a valid email" in bad.get_data(as_text=True)
    data = _csv("A,a@example.org,US_CITIZEN,US,,,NC,,,,,", "B,b@example.org,US_CITIZEN,US,,,NC,,,,,")
    staged = client.post("/organiser/deployments/upload/volunteers/import", data={
        "csrf_token": token, "file": (io.BytesIO(data), "v.csv")})
    assert staged.status_code == 302
    preview = client.get(staged.location).get_data(as_text=True)
    assert "2 volunteers" in preview and "waitlisted" in preview and "confirmed" in preview
    assert _counts(app) == (1, 0)   # the preview wrote nothing (only the organiser exists)
    confirm_url = re.search(r'action="([^"]+/import/[^"/]+)"', preview).group(1)
    done = client.post(confirm_url, data={"csrf_token": token}, follow_redirects=True)
    assert "2 volunteers (2 new accounts)" in done.get_data(as_text=True)
    assert _counts(app) == (3, 2)
    again = client.post(confirm_url, data={"csrf_token": token}, follow_redirects=True)
    assert "no longer waiting" in again.get_data(as_text=True) and _counts(app) == (3, 2)


def test_import_volunteers_on_the_command_line(app, runner, tmp_path):
    with app.app_context():
        make_signup_deployment(slug="cli", spots={"NC": 1})
        db.session.commit()
    good = tmp_path / "volunteers.csv"
    good.write_bytes(_csv("A,a@example.org,US_CITIZEN,US,,,NC,,,,,", "B,b@example.org,LPR,GB,,,NC,,,,,"))
    dry = runner.invoke(args=["import", "volunteers", "cli", str(good), "--dry-run"])
    assert dry.exit_code == 0 and "nothing was written" in dry.output
    assert "1 confirmed in NC, 1 waitlisted in NC" in dry.output
    assert _counts(app) == (0, 0)
    done = runner.invoke(args=["import", "volunteers", "cli", str(good)])
    assert done.exit_code == 0 and "2 new accounts" in done.output
    assert _counts(app) == (2, 2)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv("C,c@example.org,US_CITIZEN,US,,,ZZ,,,,,"))
    refused = runner.invoke(args=["import", "volunteers", "cli", str(bad)])
    assert refused.exit_code == 1 and "line 2, state" in refused.output
    assert _counts(app) == (2, 2)
    missing = runner.invoke(args=["import", "volunteers", "cli"])
    assert missing.exit_code == 2 and "Missing argument" in missing.output


def test_an_oversized_upload_gets_a_clear_page_not_a_crash(app, client, login_as):
    with app.app_context():
        make_signup_deployment(slug="big", spots={"NC": 1})
        db.session.commit()
    app.config["MAX_CONTENT_LENGTH"] = 1024
    login_as(Role.ORGANISER)
    token = csrf_token(client, "/organiser/deployments/big/volunteers/import")
    response = client.post("/organiser/deployments/big/volunteers/import", data={
        "csrf_token": token, "file": (io.BytesIO(b"x" * 5000), "v.csv")})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "File too large" in page and "Split the file" in page


def test_a_conflict_found_on_confirmation_is_listed_and_nothing_is_written(app, client, login_as,
                                                                          monkeypatch):
    """The file is read once, on upload; confirming checks its rows against the accounts as
    they are then (here: one email became an organiser's meanwhile)."""
    from app.services import csv_import
    reads = []
    real_parse = csv_import.parse
    monkeypatch.setattr(csv_import, "parse",
                        lambda *args, **kwargs: reads.append(1) or real_parse(*args, **kwargs))
    with app.app_context():
        make_signup_deployment(slug="race", spots={"NC": 5})
        db.session.commit()
    login_as(Role.ORGANISER)
    token = csrf_token(client, "/organiser/deployments/race/volunteers/import")
    data = _csv("A,a@example.org,US_CITIZEN,US,,,NC,,,,,", "B,b@example.org,US_CITIZEN,US,,,NC,,,,,")
    staged = client.post("/organiser/deployments/race/volunteers/import", data={
        "csrf_token": token, "file": (io.BytesIO(data), "v.csv")})
    assert client.get(staged.location).status_code == 200
    with app.app_context():
        make_organiser(email="b@example.org")
        db.session.commit()
    before = _counts(app)
    confirmed = client.post(staged.location, data={"csrf_token": token})
    page = confirmed.get_data(as_text=True)
    assert confirmed.status_code == 409
    assert "belongs to an account of the organiser role" in page and '<td class="num">3</td>' in page
    assert _counts(app) == before
    assert len(reads) == 1
