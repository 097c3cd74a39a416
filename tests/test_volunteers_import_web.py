"""Importing volunteers in the browser: upload, preview (a dry run), confirm."""
import io
import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import Role, Signup, User

from . import signup_builders as b
from .conftest import csrf_token
from .test_volunteers_import import _csv


def _counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(User)),
                db.session.scalar(select(func.count()).select_from(Signup)))


def test_upload_preview_then_confirm_in_the_browser(app, client, login_as):
    with app.app_context():
        b.deployment(slug="upload", spots={"NC": 1})
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
