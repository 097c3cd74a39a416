"""Real pages in real headless Chromium: readable on a phone, and the forms work."""
import pytest

from app.extensions import db
from app.models import User
from app.services import demo

from .browser import chromium, live_server

pytestmark = [pytest.mark.browser, pytest.mark.starts_from("demo")]

PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


@pytest.fixture
def site(app):
    with live_server(app) as url:
        yield url


def _no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_public_pages_fit_a_phone_screen(site, tmp_path):
    with chromium() as browser:
        page = browser.new_page(**PHONE)
        page.goto(site + "/")
        assert _no_sideways_scroll(page)
        page.get_by_role("link", name="Autumn 2024 volunteer deployment").click()
        page.wait_for_url(f"**/deployments/{demo.SLUG}")
        assert page.get_by_role("row", name="NC").is_visible()
        assert _no_sideways_scroll(page), "the spots table must scroll inside its own box"
        body_font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert body_font >= 14
        page.screenshot(path=str(tmp_path / "phone-deployment.png"), full_page=True)
        page.goto(site + "/login")
        assert _no_sideways_scroll(page)
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
