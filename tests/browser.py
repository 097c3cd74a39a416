"""A live server in a thread and headless Debian Chromium driven by Playwright."""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
# Closed network here: keep Chromium from reaching out at start-up.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("TRIPLEDGER_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")


@contextmanager
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


#: A phone, as the browser tests hold one.
PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


def fits_the_phone(page) -> bool:
    """No sideways scrolling: the page is no wider than the phone.

    Measured against the phone's width, not window.innerWidth: on a mobile page Chromium
    widens the layout viewport (and innerWidth) to fit a page that is too wide, as a phone
    zooms out, so comparing with innerWidth can never fail.
    """
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]


#: Whether the running test is marked ``browser`` (set for each test by conftest.py), so that
#: ``-m "not browser"`` really leaves out every test that starts Chromium.
RUNNING_TEST_IS_MARKED = False


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright
    if not RUNNING_TEST_IS_MARKED:
        pytest.fail("this test drives Chromium: mark it @pytest.mark.browser")
    require_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in_page(page, site: str, email: str, password: str, *, lands_on: str = "**/*") -> None:
    """Log in through the login form in ``page`` and wait for the page it lands on."""
    page.goto(site + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lands_on)
