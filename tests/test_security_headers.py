"""Security headers: a CSP without inline script or style, no framing, nosniff, a referrer
policy, HSTS over HTTPS, and no-store on everything with personal data — and the pages still
work under that CSP in real Chromium, for every role."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.models import Role
from app.services import demo

from .browser import chromium, live_server, log_in_page
from .test_access_matrix import ROUTES, world  # noqa: F401  (the matrix's records)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
#: Print-only templates, rendered by WeasyPrint on the server (never served to a browser).
PRINT_ONLY = {"disclosure_pdf.html"}


def _assert_protected(response, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, where
    assert "script-src 'self'" in csp and "style-src 'self'" in csp, where
    assert "unsafe-inline" not in csp, where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where


@pytest.mark.parametrize("role", [None, Role.ORGANISER, Role.VOLUNTEER])
def test_every_page_carries_the_headers_and_logged_in_pages_are_not_stored(
        app, client, login_as, world, role):  # noqa: F811
    login_as(role)
    for endpoint, (method, path, _expected) in ROUTES.items():
        if method != "GET" or endpoint.startswith("api") or endpoint == "auth.logout":
            continue
        url = path.format(**world)
        response = client.get(url)
        response.close()
        _assert_protected(response, f"{url} ({response.status_code})")
        if role is not None and endpoint != "static":
            assert response.headers.get("Cache-Control") == "no-store", url


def test_csvs_pdfs_and_api_answers_are_never_stored_and_static_files_are(client, login_as,
                                                                          app, data):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    login_as(Role.ORGANISER)
    static = client.get("/static/css/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get(
        "Cache-Control", "")
    static.close()
    for path in (f"/organiser/deployments/{data['slug']}/ledger/exports/roster.csv",
                 f"/deployments/{data['slug']}/findings/fec.csv",
                 f"/deployments/{data['slug']}/reports/disclosure.pdf"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
        _assert_protected(response, path)
    answer = app.test_client().get(f"/api/v1/deployments/{data['slug']}",
                                   headers={"Authorization": "Bearer nonsense"})
    assert answer.headers["Cache-Control"] == "no-store"


def test_hsts_only_over_https(client, make_app):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://tripledger.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    behind_proxy = make_app(PREFERRED_URL_SCHEME="https").test_client().get("/")
    assert "max-age=" in behind_proxy.headers["Strict-Transport-Security"]


def test_no_template_has_inline_script_style_or_event_handlers():
    offences = []
    for path in TEMPLATES.rglob("*.html"):
        if path.name in PRINT_ONLY:
            continue
        text = path.read_text()
        for pattern, what in ((r"<script(?![^>]*\bsrc=)[^>]*>", "inline <script>"),
                              (r"<style\b", "<style> block"), (r"\sstyle=", "style= attribute"),
                              (r"\son[a-z]+=", "event handler attribute"),
                              (r"javascript:", "javascript: URL")):
            if re.search(pattern, text, re.IGNORECASE):
                offences.append(f"{path.relative_to(TEMPLATES)}: {what}")
    assert not offences, offences


# -- real Chromium: the main pages of each role, with the CSP enforced ----------------------
BASE = f"/organiser/deployments/{demo.SLUG}"
PAGES = {
    None: ["/", f"/deployments/{demo.SLUG}", "/login", "/register"],
    "volunteer": ["/me/", f"/me/deployments/{demo.SLUG}/claim", "/me/statements/",
                  "/me/statements/verify"],
    "organiser": ["/organiser/", BASE, f"{BASE}/signups", f"{BASE}/states/NC", f"{BASE}/ledger/",
                  f"{BASE}/ledger/totals", f"{BASE}/ledger/exports", f"{BASE}/housing/",
                  f"{BASE}/housing/roster", f"/deployments/{demo.SLUG}/reports/"],
    "auditor": ["/audit/", f"/deployments/{demo.SLUG}/findings/",
                f"/deployments/{demo.SLUG}/reports/", f"/deployments/{demo.SLUG}/reports/verify"],
    "admin": ["/admin/users", "/organiser/"],
}


@pytest.mark.browser
@pytest.mark.starts_from("demo")
def test_the_main_pages_of_every_role_work_under_the_csp_in_chromium(app):
    violations, errors, visited = [], [], 0
    with live_server(app) as site, chromium() as browser:
        for role, paths in PAGES.items():
            context = browser.new_context()
            page = context.new_page()
            page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}")
                    if msg.type == "error" else None)
            # Chromium reports every blocked resource or inline script as this event.
            page.add_init_script("""document.addEventListener('securitypolicyviolation', e =>
                console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));""")
            if role:
                log_in_page(page, site, f"{role}@{demo.DOMAIN}", demo.PASSWORD)
            for path in paths:
                response = page.goto(site + path)
                assert response.status == 200, (role, path, response.status)
                assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
                # the stylesheet applied: the header is laid out by app.css, not the default
                assert page.evaluate(
                    "getComputedStyle(document.querySelector('.site-header')).display") == "flex"
                visited += 1
            context.close()
    violations = [e for e in errors if "Content Security Policy" in e or "CSP violation" in e]
    assert not violations, violations
    assert not errors, errors
    assert visited == sum(len(paths) for paths in PAGES.values())


@pytest.mark.browser
def test_another_site_cannot_frame_the_approve_buttons(app, tmp_path, data):
    """A page on another origin that frames TripLedger gets a blocked frame."""
    with live_server(app) as site, chromium() as browser:
        page = browser.new_page()
        blocked = []
        page.on("console", lambda msg: blocked.append(msg.text))
        attacker = tmp_path / "attacker.html"
        attacker.write_text(f'<iframe id="f" src="{site}/login"></iframe>')
        page.goto(attacker.as_uri())
        page.wait_for_timeout(1000)
        frame = page.frame_locator("#f")
        assert frame.get_by_label("Email").count() == 0
        assert any("frame-ancestors" in text or "X-Frame-Options" in text for text in blocked)
