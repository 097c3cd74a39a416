"""The reports page in headless Chromium on a phone: a big report is queued, its progress bar
moves on its own (the page polls the job), and the finished PDF is offered for download."""
import pytest

from app.extensions import db
from app.models import Role
from app.services import accounts
from app.services.reports import jobs

from .browser import PHONE, chromium, fits_the_phone, live_server
from .conftest import PASSWORD
from .test_reports_support import digest  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_background_report_on_a_phone_with_a_live_progress_bar(make_app, data, tmp_path):
    app = make_app(REPORT_SYNC_MAX_LINES=1, REPORT_QUEUE_FILE=str(tmp_path / "jobs.sqlite3"))
    with app.app_context():
        accounts.create_user(db.session, email="aud@example.org", full_name="Aud Itor",
                             role=Role.AUDITOR, password=PASSWORD, actor=None)
        db.session.commit()
        queue = jobs.get_huey()
    jobs.bind_app(app)
    consumer = queue.create_consumer(workers=1, worker_type="thread", periodic=False,
                                     check_worker_health=False)
    with live_server(app) as site, chromium() as browser:
        page = browser.new_page(**PHONE)
        page.goto(site + "/login")
        page.get_by_label("Email").fill("aud@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/audit/")
        page.goto(site + f"/deployments/{data['slug']}/reports/")
        assert fits_the_phone(page)
        page.get_by_label("Scope").select_option("state")
        page.get_by_label("State, payer or volunteer").fill("NC")
        page.get_by_role("button", name="Make the report").click()
        assert page.get_by_text("is being made in the background").is_visible()
        bar = page.get_by_role("progressbar", name="Progress of report 1")
        assert bar.is_visible()
        consumer.start()
        try:
            # The page asks for the job's progress and reloads itself when it is done.
            page.get_by_role("link", name="PDF", exact=True).wait_for(timeout=60000)
        finally:
            consumer.stop(graceful=True)
            jobs.bind_app(None)
        row = page.get_by_role("row", name="1 State NC")
        assert "done" in row.inner_text() and "aud@example.org" in row.inner_text()
        assert fits_the_phone(page)
        page.screenshot(path=str(tmp_path / "phone-reports.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="PDF", exact=True).click()
        path = download.value.path()
        with open(path, "rb") as handle:
            pdf = handle.read()
    assert pdf.startswith(b"%PDF")
    with app.app_context():
        from app.models import Report
        assert db.session.get(Report, 1).sha256 == digest(pdf)
