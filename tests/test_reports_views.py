"""Reports in the browser and over HTTP, on a real database: the PDF route and its scopes,
stored reports served again, volunteers' own statements, verification, background jobs."""
from __future__ import annotations

import ast
import html
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest

from app.extensions import db
from app.models import Cost, Report, ReportStatus, Role
from app.services import accounts
from app.services.reports import jobs, pdfa, render, source

from .builders import make_deployment
from .conftest import PASSWORD, csrf_token, log_in, make_staff
from .test_reports_support import digest, pdf_text, stand_in_disclosure  # noqa: F401


def _login_staff(client, create_user, role=Role.AUDITOR, email="aud@example.org"):
    create_user(role=role, email=email)
    assert log_in(client, email).status_code == 302
    return email


def _reports(app):
    with app.app_context():
        return db.session.scalars(db.select(Report).order_by(Report.id)).all()


def test_auditor_downloads_the_disclosure_pdf_and_it_is_recorded(app, client, create_user, data):
    _login_staff(client, create_user)
    response = client.get(f"/deployments/{data['slug']}/reports/disclosure.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    pdf = response.data
    text = pdf_text(pdf)
    assert "Ana <b>Bold</b> Ávila" in text and "Bo Brown" in text
    assert "$1,100.00" in text
    [report] = _reports(app)
    assert report.status is ReportStatus.DONE and report.sha256 == digest(pdf)
    assert report.scope.value == "deployment" and report.page_count == len(text.split("\f")) - 1
    with app.app_context():
        assert db.session.get(Report, report.id).requested_by.email == "aud@example.org"
    attached = json.loads(pdfa.attachments(pdf)["disclosure.json"])
    assert attached["fingerprint"] == report.fingerprint


def test_the_same_data_serves_the_stored_pdf_and_new_data_a_new_one(app, client, create_user,
                                                                     data):
    _login_staff(client, create_user)
    url = f"/deployments/{data['slug']}/reports/disclosure.pdf"
    first = client.get(url).data
    again = client.get(url)
    assert again.data == first
    assert len(_reports(app)) == 1
    with app.app_context():
        db.session.get(Cost, data["bo_cost"]).amount_usd = 250
        db.session.commit()
    changed = client.get(url).data
    assert changed != first
    reports = _reports(app)
    assert len(reports) == 2 and reports[0].fingerprint != reports[1].fingerprint
    assert "$1,150.00" in pdf_text(changed)


def test_scopes_state_payer_and_volunteer(app, client, create_user, data):
    _login_staff(client, create_user, Role.ORGANISER, "org@example.org")
    base = f"/deployments/{data['slug']}/reports/disclosure.pdf"
    nc = pdf_text(client.get(base + "?state=nc").data)
    assert "State NC" in nc and "ana@example.org" in nc and "bo@example.org" not in nc
    with app.app_context():
        payer_id = db.session.scalar(db.text("SELECT id FROM payers WHERE name = 'Example Party'"))
    party = " ".join(pdf_text(client.get(base + f"?payer={payer_id}").data).split())
    assert "Payer Example Party" in party and "$500.00" in party and "Own meals" not in party
    bo = client.get(base + "?volunteer=bo@example.org")
    text = " ".join(pdf_text(bo.data).split())
    assert "VOLUNTEER STATEMENT" in text and "Campaign hotel" in text
    assert "ana@example.org" not in text
    scopes = [(r.scope.value, r.scope_value) for r in _reports(app)]
    assert scopes == [("state", "NC"), ("payer", str(payer_id)), ("volunteer", str(data["bo"]))]


@pytest.mark.parametrize(("query", "status", "message"), [
    ("?state=ZZ", 422, "is not a US state code"),
    ("?state=VA", 404, "has no placement in VA"),
    ("?payer=999", 404, "has no payer '999'"),
    ("?volunteer=nobody@example.org", 404, "No volunteer 'nobody@example.org'"),
    ("?volunteer=Bo", 422, "neither a volunteer's number nor an email"),
    ("?state=NC&payer=1", 422, "Choose one scope"),
    ("?colour=red", 404, "Unknown scope 'colour'"),
])
def test_bad_scopes_are_refused_with_a_clear_message(app, client, create_user, data, query,
                                                     status, message):
    _login_staff(client, create_user)
    response = client.get(f"/deployments/{data['slug']}/reports/disclosure.pdf{query}")
    assert response.status_code == status
    assert message in html.unescape(response.get_data(as_text=True))
    assert _reports(app) == []


def test_an_unknown_deployment_is_a_404(client, create_user, data):
    _login_staff(client, create_user)
    response = client.get("/deployments/nowhere/reports/disclosure.pdf")
    assert response.status_code == 404
    assert "No deployment called 'nowhere'" in html.unescape(response.get_data(as_text=True))


def test_a_deployment_with_no_data_gives_a_valid_short_report(app, client, create_user):
    with app.app_context():
        make_deployment(slug="empty", spots={})
        db.session.commit()
    _login_staff(client, create_user)
    response = client.get("/deployments/empty/reports/disclosure.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "No sign-ups in this scope." in text and "No placements." in text
    assert "Page 1 of" in text


def test_a_volunteer_downloads_their_own_statement_with_only_their_lines(client, data):
    assert log_in(client, "ana@example.org").status_code == 302
    index = client.get("/me/statements/")
    assert index.status_code == 200 and "Test deployment" in index.get_data(as_text=True)
    # A volunteer id in the query is ignored: the statement is always the caller's own.
    response = client.get(f"/me/statements/{data['slug']}.pdf?volunteer={data['bo']}")
    assert response.status_code == 200
    text = " ".join(pdf_text(response.data).split())
    assert "VOLUNTEER STATEMENT" in text and "ana@example.org" in text
    assert "Flight paid by the party" in text and "Own meals" in text
    assert "bo@example.org" not in text and "Bo Brown" not in text and "Campaign hotel" not in text
    attached = json.loads(pdfa.attachments(response.data)["disclosure.json"])
    assert {i["volunteer_email"] for i in attached["items"]} == {"ana@example.org"}
    ledger = pdfa.attachments(response.data)["disclosure-ledger.csv"].decode()
    assert "bo@example.org" not in ledger


def test_a_volunteer_cannot_download_anyone_elses(client, data):
    assert log_in(client, "ana@example.org").status_code == 302
    base = f"/deployments/{data['slug']}/reports"
    assert client.get(f"{base}/disclosure.pdf?volunteer=bo@example.org").status_code == 403
    assert client.get(f"{base}/disclosure.pdf").status_code == 403
    assert client.get(f"{base}/").status_code == 403


def test_a_volunteer_outside_the_deployment_has_no_statement_there(client, create_user, data):
    create_user(role=Role.VOLUNTEER, email="cy@example.org")
    assert log_in(client, "cy@example.org").status_code == 302
    response = client.get(f"/me/statements/{data['slug']}.pdf")
    assert response.status_code == 404
    assert "No volunteer" in response.get_data(as_text=True)


def test_a_statement_never_leaks_another_volunteers_line(app, client, data, monkeypatch):
    def leaky(session, deployment, scope):
        whole = stand_in_disclosure(session, deployment)
        whole["scope"] = {"kind": "volunteer", "value": scope.id}
        return whole
    monkeypatch.setattr(source, "build_disclosure", leaky)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert log_in(client, "ana@example.org").status_code == 302
    response = client.get(f"/me/statements/{data['slug']}.pdf")
    assert response.status_code == 500
    assert response.mimetype == "text/html" and b"bo@example.org" not in response.data
    assert _reports(app) == []


def _upload(client, slug, data: bytes, name="report.pdf"):
    token = csrf_token(client, f"/deployments/{slug}/reports/verify")
    return client.post(f"/deployments/{slug}/reports/verify",
                       data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_verification_says_genuine_then_data_changed_since(app, client, create_user, data):
    _login_staff(client, create_user)
    pdf = client.get(f"/deployments/{data['slug']}/reports/disclosure.pdf").data
    page = _upload(client, data["slug"], pdf)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Genuine and current" in text and "report #1 of trip" in text
    with app.app_context():
        db.session.get(Cost, data["bo_cost"]).amount_usd = 999
        db.session.commit()
    text = _upload(client, data["slug"], pdf).get_data(as_text=True)
    assert "data has changed since it was made" in text
    assert "data changed since" in text


def test_verification_of_a_tampered_pdf_says_it_was_not_issued_here(client, create_user, data):
    _login_staff(client, create_user)
    pdf = client.get(f"/deployments/{data['slug']}/reports/disclosure.pdf").data
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        doc.docinfo["/Title"] = "Edited"
        out = io.BytesIO()
        doc.save(out)
    text = _upload(client, data["slug"], out.getvalue()).get_data(as_text=True)
    assert "NOT GENUINE" in text and "no report with this SHA-256 is on record" in text
    assert "treat it as a claim" in text


@pytest.mark.parametrize(("payload", "message"), [
    (b"Hello, this is a text file.", "This file is not a PDF"),
    (b"", "The file is empty."),
])
def test_verification_refuses_a_non_pdf_or_an_empty_file(client, create_user, data, payload,
                                                          message):
    _login_staff(client, create_user)
    response = _upload(client, data["slug"], payload, "notes.txt")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_verification_without_a_file_asks_for_one(client, create_user, data):
    _login_staff(client, create_user)
    token = csrf_token(client, f"/deployments/{data['slug']}/reports/verify")
    response = client.post(f"/deployments/{data['slug']}/reports/verify",
                           data={"csrf_token": token})
    assert response.status_code == 422
    assert "Choose the report's PDF file." in html.unescape(response.get_data(as_text=True))


def test_report_pages_list_past_reports_with_who_when_and_fingerprint(app, client,
                                                                      create_user, data):
    _login_staff(client, create_user, Role.ORGANISER, "org@example.org")
    token = csrf_token(client, f"/deployments/{data['slug']}/reports/")
    made = client.post(f"/deployments/{data['slug']}/reports/",
                       data={"csrf_token": token, "scope": "state", "value": "PA"})
    assert made.status_code == 302
    page = client.get(made.location).get_data(as_text=True)
    [report] = _reports(app)
    assert f"Report #{report.id} is ready." in page
    assert "org@example.org" in page and report.fingerprint[:12] in page and "State PA" in page
    assert '<div class="table-wrap">' in page
    download = client.get(f"/deployments/{data['slug']}/reports/{report.id}.pdf")
    assert download.status_code == 200 and digest(download.data) == report.sha256


def test_generating_with_a_bad_scope_writes_nothing(app, client, create_user, data):
    _login_staff(client, create_user)
    token = csrf_token(client, f"/deployments/{data['slug']}/reports/")
    made = client.post(f"/deployments/{data['slug']}/reports/",
                       data={"csrf_token": token, "scope": "state", "value": ""})
    assert made.status_code == 302
    assert "Enter the state code" in client.get(made.location).get_data(as_text=True)
    made = client.post(f"/deployments/{data['slug']}/reports/",
                       data={"csrf_token": token, "scope": "payer", "value": "Nobody Inc"})
    assert "has no payer &#39;Nobody Inc&#39;" in client.get(made.location).get_data(as_text=True)
    assert _reports(app) == []


@pytest.mark.slow
def test_a_big_report_runs_as_a_background_job_with_progress(make_app, data):
    app = make_app(REPORT_SYNC_MAX_LINES=1, REPORT_JOBS_IMMEDIATE=True)
    client = app.test_client()
    with app.app_context():
        accounts.create_user(db.session, email="aud2@example.org", full_name="A",
                             role=Role.AUDITOR, password=PASSWORD, actor=None)
        db.session.commit()
    assert log_in(client, "aud2@example.org").status_code == 302
    response = client.get(f"/deployments/{data['slug']}/reports/disclosure.pdf")
    assert response.status_code == 303
    [report] = _reports(app)
    assert report.status is ReportStatus.DONE, report.error
    progress = client.get(f"/deployments/{data['slug']}/reports/{report.id}/progress").json
    assert progress["status"] == "done" and progress["progress"] == 100
    pdf = client.get(progress["download_url"])
    assert pdf.status_code == 200 and digest(pdf.data) == report.sha256
    # Asked again, the same data is served at once from the stored file.
    assert client.get(f"/deployments/{data['slug']}/reports/disclosure.pdf").data == pdf.data


@pytest.mark.slow
def test_the_job_queue_on_sqlite_with_a_real_consumer(make_app, data, tmp_path):
    app = make_app(REPORT_SYNC_MAX_LINES=1, REPORT_QUEUE_FILE=str(tmp_path / "jobs.sqlite3"))
    client = app.test_client()
    with app.app_context():
        accounts.create_user(db.session, email="org2@example.org", full_name="O",
                             role=Role.ORGANISER, password=PASSWORD, actor=None)
        db.session.commit()
    make_staff(app, "org2@example.org")
    assert log_in(client, "org2@example.org").status_code == 302
    token = csrf_token(client, f"/deployments/{data['slug']}/reports/")
    made = client.post(f"/deployments/{data['slug']}/reports/",
                       data={"csrf_token": token, "scope": "deployment"})
    assert made.status_code == 302
    page = client.get(made.location).get_data(as_text=True)
    assert "is being made in the background" in page and "<progress" in page
    [report] = _reports(app)
    assert report.status is ReportStatus.QUEUED
    with app.app_context():
        queue = jobs.get_huey()
    jobs.bind_app(app)
    consumer = queue.create_consumer(workers=1, worker_type="thread", periodic=False,
                                     check_worker_health=False)
    consumer.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = client.get(f"/deployments/{data['slug']}/reports/{report.id}/progress").json
            if status["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
    finally:
        consumer.stop(graceful=True)
        jobs.bind_app(None)
    assert status["status"] == "done", status
    assert status["progress"] == 100 and status["stage"] == "Done"
    [report] = _reports(app)
    assert report.page_count and report.sha256


def test_asking_again_while_a_job_is_queued_returns_that_job(make_app, data, tmp_path):
    app = make_app(REPORT_SYNC_MAX_LINES=1, REPORT_QUEUE_FILE=str(tmp_path / "jobs.sqlite3"))
    client = app.test_client()
    with app.app_context():
        accounts.create_user(db.session, email="aud5@example.org", full_name="A",
                             role=Role.AUDITOR, password=PASSWORD, actor=None)
        db.session.commit()
    assert log_in(client, "aud5@example.org").status_code == 302
    url = f"/deployments/{data['slug']}/reports/disclosure.pdf"
    first, again = client.get(url), client.get(url)
    assert first.status_code == again.status_code == 303
    assert first.location == again.location
    [report] = _reports(app)
    assert report.status is ReportStatus.QUEUED and report.fingerprint
    with app.app_context():
        assert jobs.get_huey().pending_count() == 1
    # Other data is another report: queued beside the first.
    with app.app_context():
        db.session.get(Cost, data["bo_cost"]).amount_usd = 321
        db.session.commit()
    assert client.get(url).status_code == 303
    assert len(_reports(app)) == 2


def test_worker_py_gives_the_consumer_its_app_and_queue(tmp_path):
    """``huey_consumer worker.huey`` (make run) finds the queue, bound to an app."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/w.sqlite3",
           "SECRET_KEY": secrets.token_urlsafe(32),
           "TRIPLEDGER_REPORT_QUEUE_FILE": str(tmp_path / "jobs.sqlite3")}
    env.pop("REDIS_URL", None)
    shown = subprocess.run(
        [sys.executable, "-c", "import worker; from app.services.reports import jobs; "
         "print(type(worker.huey).__name__, jobs._job_app() is worker.app)"],
        cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split()[-2:] == ["SqliteHuey", "True"]


def test_nothing_under_services_builds_the_app():
    services = Path(__file__).resolve().parent.parent / "app" / "services"
    for path in services.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = {alias.name for alias in node.names}
                assert "create_app" not in names, path


def test_a_failed_job_says_why(make_app, data, monkeypatch):
    app = make_app(REPORT_SYNC_MAX_LINES=1, REPORT_JOBS_IMMEDIATE=True, REPORT_TIME_LIMIT=1)

    def too_slow(*args, **kwargs):
        raise render.RenderTimeout("rendering took longer than 1 s")
    monkeypatch.setattr(render, "render_pdf", too_slow)
    client = app.test_client()
    with app.app_context():
        accounts.create_user(db.session, email="aud3@example.org", full_name="A",
                             role=Role.AUDITOR, password=PASSWORD, actor=None)
        db.session.commit()
    assert log_in(client, "aud3@example.org").status_code == 302
    client.get(f"/deployments/{data['slug']}/reports/disclosure.pdf")
    [report] = _reports(app)
    assert report.status is ReportStatus.FAILED
    assert "took too long to render" in report.error
    page = client.get(f"/deployments/{data['slug']}/reports/").get_data(as_text=True)
    assert "took too long to render" in page
    assert client.get(f"/deployments/{data['slug']}/reports/{report.id}.pdf").status_code == 404


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway redis-server on a port of our own (5340-5349), stopped after the test."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing (apt-get install redis-server)")
        pytest.skip("redis-server is not installed")
    for port in range(5340, 5350):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                break
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.slow
def test_the_job_queue_on_redis_when_redis_url_is_set(make_app, data, redis_url):
    app = make_app(REPORT_SYNC_MAX_LINES=1, REDIS_URL=redis_url)
    client = app.test_client()
    with app.app_context():
        accounts.create_user(db.session, email="org3@example.org", full_name="O",
                             role=Role.ORGANISER, password=PASSWORD, actor=None)
        db.session.commit()
        queue = jobs.get_huey()
    make_staff(app, "org3@example.org")
    assert type(queue).__name__ == "RedisHuey"
    assert log_in(client, "org3@example.org").status_code == 302
    response = client.get(f"/deployments/{data['slug']}/reports/disclosure.pdf?state=PA")
    assert response.status_code == 303
    [report] = _reports(app)
    assert queue.pending_count() == 1
    jobs.bind_app(app)
    consumer = queue.create_consumer(workers=1, worker_type="thread", periodic=False,
                                     check_worker_health=False)
    consumer.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _reports(app)[0].status in (
                ReportStatus.QUEUED, ReportStatus.RUNNING):
            time.sleep(0.2)
    finally:
        consumer.stop(graceful=True)
        jobs.bind_app(None)
        queue.storage.conn.connection_pool.disconnect()
    [report] = _reports(app)
    assert report.status is ReportStatus.DONE, report.error
    assert report.scope_label == "State PA"


def test_a_job_waiting_for_long_is_shown_as_stalled(app, client, create_user, data):
    from datetime import timedelta

    from app.models import Deployment, ReportScope
    from app.models.types import utcnow
    with app.app_context():
        deployment = db.session.scalar(db.select(Deployment).where(Deployment.slug == "trip"))
        db.session.add(Report(deployment_id=deployment.id, scope=ReportScope.DEPLOYMENT,
                              scope_label="Whole deployment", status=ReportStatus.QUEUED,
                              stage="Waiting for a worker",
                              requested_at=utcnow() - timedelta(hours=2)))
        db.session.commit()
    _login_staff(client, create_user)
    page = client.get(f"/deployments/{data['slug']}/reports/").get_data(as_text=True)
    assert "is the report worker running?" in page
    assert client.get(f"/deployments/{data['slug']}/reports/1/progress").json["stalled"] is True


def test_an_unreachable_queue_is_a_clear_503_and_the_row_says_so(make_app, data):
    app = make_app(REPORT_SYNC_MAX_LINES=1, REDIS_URL="redis://127.0.0.1:5399/0")
    client = app.test_client()
    with app.app_context():
        accounts.create_user(db.session, email="aud4@example.org", full_name="A",
                             role=Role.AUDITOR, password=PASSWORD, actor=None)
        db.session.commit()
    assert log_in(client, "aud4@example.org").status_code == 302
    response = client.get(f"/deployments/{data['slug']}/reports/disclosure.pdf")
    assert response.status_code == 503
    assert "report queue could not be reached" in response.get_data(as_text=True)
    [report] = _reports(app)
    assert report.status is ReportStatus.FAILED
