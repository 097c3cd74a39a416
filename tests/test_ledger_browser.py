"""Housing and the ledger in headless Chromium: readable on a phone; the import works for real."""
import pytest

from app.models import Cost, Role
from app.services import demo

from .browser import PHONE, chromium, fits_the_phone, live_server
from .builders import small_world
from .conftest import PASSWORD, count_rows

pytestmark = pytest.mark.browser


def _log_in(page, site, email):
    page.goto(site + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/organiser/")


@pytest.mark.starts_from("demo")
def test_housing_and_ledger_pages_fit_a_phone(app, create_user, tmp_path):
    create_user(Role.ORGANISER, email="phone-org@example.org")
    base = f"/organiser/deployments/{demo.SLUG}"
    with live_server(app) as site, chromium() as browser:
        page = browser.new_page(**PHONE)
        _log_in(page, site, "phone-org@example.org")
        for path in ("/housing/", "/housing/roster", "/ledger/", "/ledger/totals",
                     "/ledger/import", "/housing/accommodations/new"):
            page.goto(site + base + path)
            assert fits_the_phone(page), f"{path}: the page scrolls sideways"
            page.screenshot(path=str(tmp_path / (path.strip("/").replace("/", "-") + ".png")),
                            full_page=True)
        page.goto(site + base + "/housing/")
        grid = page.locator("table.board").locator("xpath=..")
        assert grid.evaluate("el => el.scrollWidth > el.clientWidth"), \
            "the night grid scrolls inside its own box"
        assert page.get_by_role("link", name="Midtown Raleigh Hotel").is_visible()


def test_an_organiser_imports_costs_with_a_preview_in_the_browser(app, create_user, tmp_path):
    with app.app_context():
        ids = small_world("br")
    create_user(Role.ORGANISER, email="browser-org@example.org")
    good = tmp_path / "costs.csv"
    good.write_text("volunteer_email,category,description,amount,currency,incurred_on,"
                    "payer_name,payer_kind,payer_country,arranged_by,paid_to,in_residence,"
                    f"amount_usd,extra column\n{ids['emails'][0]},MEALS,Dinner,42.00,USD,"
                    "2024-10-22,Self,,,,Diner,,,ignored\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text().replace("42.00", "-42.00"), encoding="utf-8")
    with live_server(app) as site, chromium() as browser:
        page = browser.new_page(**PHONE)
        _log_in(page, site, "browser-org@example.org")
        page.goto(site + "/organiser/deployments/br/ledger/import")
        page.get_by_label("CSV file").set_input_files(str(bad))
        page.get_by_role("button", name="Check the file").click()
        assert page.get_by_text("1 row with problems; nothing was imported").is_visible()
        assert page.get_by_text("An amount cannot be negative.").is_visible()
        page.get_by_label("CSV file").set_input_files(str(good))
        page.get_by_role("button", name="Check the file").click()
        page.wait_for_url("**/ledger/import/*")
        assert page.get_by_text("Nothing has been written yet.").is_visible()
        assert count_rows(app, Cost) == 0
        page.get_by_role("button", name="Import 1 lines").click()
        page.wait_for_url("**/ledger/")
        assert page.get_by_text("Imported 1 cost lines from costs.csv").is_visible()
        assert page.get_by_role("cell", name="42.00 USD").is_visible()
    assert count_rows(app, Cost) == 1
