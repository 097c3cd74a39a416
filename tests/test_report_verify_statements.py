"""A volunteer checks their own statement at /me/statements/verify: a statement about them is
checked in full; any other file (someone else's statement, a whole-deployment report) gets
"not a statement about you" and nothing more. Only volunteers reach the page; its form needs
its CSRF token."""
from __future__ import annotations

import io

import pikepdf
import pytest

from app.models import Role

from .conftest import csrf_token, log_in

PAGE = "/me/statements/verify"


@pytest.fixture
def signed(runner):
    assert runner.invoke(args=["keys", "create-demo"]).exit_code == 0


def _statement(client, email: str, slug: str) -> bytes:
    assert log_in(client, email).status_code == 302
    response = client.get(f"/me/statements/{slug}.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/me/statements/")})
    return response.data


def _upload(client, pdf: bytes, token: str | None = "fetch"):
    if token == "fetch":
        token = csrf_token(client, PAGE)
    form = {"file": (io.BytesIO(pdf), "statement.pdf")}
    if token is not None:
        form["csrf_token"] = token
    return client.post(PAGE, data=form, content_type="multipart/form-data")


def test_a_volunteer_checks_their_own_statement(app, client, data, signed):
    pdf = _statement(client, "ana@example.org", data["slug"])
    assert log_in(client, "ana@example.org").status_code == 302
    response = _upload(client, pdf)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Genuine and current" in text and "this server&#39;s current signing key" in text
    assert "Embedded data" in text and "not a statement about you" not in text


def test_someone_elses_statement_reveals_nothing(app, client, data, signed):
    bos = _statement(client, "bo@example.org", data["slug"])
    assert log_in(client, "ana@example.org").status_code == 302
    response = _upload(client, bos)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "This is not a statement about you." in text
    for secret in ("bo@example.org", "Bo Brown", "report #", "Genuine", "NOT GENUINE",
                   "SHA-256", "Signature", "fingerprint", "trip ("):
        assert secret not in text, secret


def test_a_whole_deployment_report_is_not_a_statement_about_you(app, client, runner, data,
                                                               tmp_path):
    out = tmp_path / "whole.pdf"
    assert runner.invoke(args=["report", "disclosure", data["slug"], "-o", str(out),
                               "--prepared-by", "Ada Auditor"]).exit_code == 0
    assert log_in(client, "ana@example.org").status_code == 302
    text = _upload(client, out.read_bytes()).get_data(as_text=True)
    assert "This is not a statement about you." in text and "Signature" not in text


def test_an_altered_copy_of_your_own_statement_is_checked_and_found_altered(client, data,
                                                                           signed):
    pdf = _statement(client, "ana@example.org", data["slug"])
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        doc.docinfo["/Title"] = "Edited"
        out = io.BytesIO()
        doc.save(out)
    assert log_in(client, "ana@example.org").status_code == 302
    text = _upload(client, out.getvalue()).get_data(as_text=True)
    assert "NOT GENUINE" in text and "not a statement about you" not in text


def test_not_a_pdf_is_refused(client, data):
    assert log_in(client, "ana@example.org").status_code == 302
    response = _upload(client, b"plain text")
    assert response.status_code == 422 and "This file is not a PDF" in response.get_data(
        as_text=True)


def test_the_form_needs_its_csrf_token(app, client, data, signed):
    pdf = _statement(client, "ana@example.org", data["slug"])
    assert log_in(client, "ana@example.org").status_code == 302
    for token in (None, "forged-token"):
        response = _upload(client, pdf, token=token)
        assert response.status_code in (400, 422), response.status_code
        assert "Genuine" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("role", "expected"), [
    (None, 302), (Role.VOLUNTEER, 200), (Role.AUDITOR, 403), (Role.ORGANISER, 403),
    (Role.ADMIN, 403)], ids=["anonymous", "volunteer", "auditor", "organiser", "admin"])
def test_only_volunteers_reach_the_page(client, login_as, role, expected):
    login_as(role)
    page = client.get(PAGE)
    assert page.status_code == expected
    if expected == 302:
        assert "/login" in page.location
    # Posting (with a valid CSRF token, no file) is refused the same way; a volunteer is
    # asked for the file.
    posted = client.post(PAGE, data={"csrf_token": csrf_token(client, "/login")})
    assert posted.status_code == (422 if expected == 200 else expected)


def test_the_statements_page_links_to_the_check(client, data):
    assert log_in(client, "ana@example.org").status_code == 302
    assert f'href="{PAGE}"' in client.get("/me/statements/").get_data(as_text=True)
