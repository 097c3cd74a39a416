"""Real pages in real headless Chromium: readable on a phone, and the forms work."""
import pytest

from app.extensions import db
from app.models import Notification, User
from app.services import demo

from .browser import PHONE, chromium, fits_the_phone, live_server

pytestmark = [pytest.mark.browser, pytest.mark.starts_from("demo")]


@pytest.fixture
def site(app):
    with live_server(app) as url:
        yield url


def test_public_pages_fit_a_phone_screen(site, tmp_path):
    with chromium() as browser:
        page = browser.new_page(**PHONE)
        page.goto(site + "/")
        assert fits_the_phone(page)
        page.get_by_role("link", name="Autumn 2024 volunteer deployment").click()
        page.wait_for_url(f"**/deployments/{demo.SLUG}")
        assert page.get_by_role("row", name="NC").is_visible()
        assert fits_the_phone(page), "the spots table must scroll inside its own box"
        body_font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert body_font >= 14
        page.screenshot(path=str(tmp_path / "phone-deployment.png"), full_page=True)
        page.goto(site + "/login")
        assert fits_the_phone(page)
        box = page.get_by_label("Email").bounding_box()
        assert box["width"] > 250, "inputs use the phone's width"


def test_register_on_a_phone_then_log_out_and_in(app, site):
    with chromium() as browser:
        page = browser.new_page(**PHONE)
        page.goto(site + "/register")
        page.get_by_label("Full name").fill("Rosie Delaney")
        page.get_by_label("Email").fill("rosie@example.org")
        page.get_by_label("Password", exact=True).fill("short")
        page.get_by_label("Repeat password").fill("short")
        page.get_by_role("button", name="Create account").click()
        assert page.get_by_text("Use at least 12 characters.").is_visible()
        page.get_by_label("Password", exact=True).fill("harbour lights at dawn")
        page.get_by_label("Repeat password").fill("harbour lights at dawn")
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url("**/login")
        assert page.get_by_text("Check your email").is_visible()
        with app.app_context():  # the link in the confirmation email
            body = db.session.scalar(db.select(Notification.body)
                                     .where(Notification.to_email == "rosie@example.org"))
        page.goto(site + "/confirm/" + body.split("/confirm/", 1)[1].split()[0])
        assert page.get_by_text("Your address is confirmed").is_visible()
        page.get_by_label("Email").fill("rosie@example.org")
        page.get_by_label("Password").fill("harbour lights at dawn")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/me/")
        assert page.get_by_role("heading", name="My trip").is_visible()
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(site + "/")
        page.goto(site + "/login?next=/me/")
        page.get_by_label("Email").fill("rosie@example.org")
        page.get_by_label("Password").fill("harbour lights at dawn")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/me/")
    with app.app_context():
        assert db.session.scalar(db.select(User.role).where(User.email == "rosie@example.org")).value \
            == "volunteer"


@pytest.mark.parametrize(("who", "path"), [
    ("organiser", f"/organiser/deployments/{demo.SLUG}"),
    ("organiser", f"/organiser/deployments/{demo.SLUG}/states/NC"),
    ("organiser", f"/deployments/{demo.SLUG}/findings/?status=all"),
    ("auditor", f"/organiser/deployments/{demo.SLUG}/ledger/"),
    ("admin", "/admin/users"),
])
def test_staff_pages_with_forms_in_tables_fit_a_phone(site, who, path):
    """A table's forms have visually hidden labels (absolutely positioned): they must stay
    inside the table's scrolling box, not widen the whole page."""
    with chromium() as browser:
        page = browser.new_page(**PHONE)
        page.goto(site + "/login")
        page.get_by_label("Email").fill(f"{who}@{demo.DOMAIN}")
        page.get_by_label("Password").fill(demo.PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        page.goto(site + path)
        assert page.locator("table").first.is_visible()
        assert fits_the_phone(page), path
