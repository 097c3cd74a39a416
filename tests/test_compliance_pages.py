"""The compliance pages on the demo deployment: the queue with its counts and filters, one
finding, the verdicts, the rule set, the FEC download, the auditor's dashboard — and on a phone."""
from __future__ import annotations

import csv
import io
import re

import pytest

from app.extensions import db
from app.models import Finding, FindingCode, Role
from app.services import demo
from app.services.compliance import rules

from .browser import PHONE, chromium, fits_the_phone, live_server
from .conftest import log_in

SLUG = demo.SLUG
BASE = f"/deployments/{SLUG}/findings"

pytestmark = pytest.mark.starts_from("demo")


@pytest.fixture
def demo_app(app):
    return app


def _tables_scroll_in_their_own_box(html: str) -> bool:
    return html.count("<table") == html.count('<div class="table-wrap">')


def test_the_queue_shows_counts_by_code_and_filters(demo_app, client, login_as):
    login_as(Role.AUDITOR)
    page = client.get(f"{BASE}/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and _tables_scroll_in_their_own_box(html)
    for code in FindingCode:
        assert f"code-{code.value}" in html
    assert "Findings by code" in html and "needs a decision" in html
    only = client.get(f"{BASE}/?code=PROHIBITED_PARTICIPATION&status=all").get_data(as_text=True)
    assert only.count('class="badge code-PROHIBITED_PARTICIPATION"') >= 2 + 1  # rows + count
    assert "PROHIBITED_SOURCE</span></td>" not in only
    nv = client.get(f"{BASE}/?state=NV&status=all&sort=amount").get_data(as_text=True)
    states = re.findall(r"<td>(NC|NV|PA|VA)</td>", nv)
    assert states and set(states) == {"NV"}
    assert "Next →" in client.get(f"{BASE}/?status=all").get_data(as_text=True)


def test_one_finding_shows_facts_rule_and_citation(demo_app, client, login_as):
    with demo_app.app_context():
        target = db.session.scalars(db.select(Finding).where(
            Finding.rule_id == "R24", Finding.is_current.is_(True))).first()
        finding_id = target.id
    login_as(Role.ADMIN)
    html = client.get(f"{BASE}/{finding_id}").get_data(as_text=True)
    assert "REVIEW_PAYER_UNKNOWN" in html and "11 CFR 103.3(b)" in html
    assert "Old City rooms (arranged by the party)" in html   # a fact: the stay's line
    assert "Northbridge Labour Party" in html                  # who arranged it
    assert "Record a review" in html and _tables_scroll_in_their_own_box(html)


def test_verdicts_rules_and_fec_pages(demo_app, client, login_as):
    login_as(Role.ORGANISER)
    verdicts = client.get(f"{BASE}/volunteers").get_data(as_text=True)
    for label in ("potential prohibited contribution", "looks like compensation", "needs review",
                  "received things of value from others (reportable)",
                  "volunteer — own expenses only", "volunteer — nothing of value received"):
        assert label in verdicts
    rules_page = client.get(f"{BASE}/rules").get_data(as_text=True)
    for rule_id in ("R1", "R1b", "R10", "R11u", "R13", "R24", "R26"):
        assert f'id="rule-{rule_id}"' in rules_page
    assert "22 U.S.C. 611(b)(1)" in rules_page and "Not covered" in rules_page
    download = client.get(f"{BASE}/fec.csv?form=F3X")
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert rows and {r["form_type"] for r in rows} <= {"SA11AI", "SA11C", "SB21B"}
    wrong = client.get(f"{BASE}/fec.csv?form=F99")
    assert wrong.status_code == 302
    assert "No line numbers for form" in client.get(wrong.location).get_data(as_text=True)


def test_the_auditor_dashboard_counts_findings_per_deployment(demo_app, client, login_as):
    login_as(Role.AUDITOR)
    html = client.get("/audit/").get_data(as_text=True)
    assert "The audit chain is intact" in html and "Findings by code" in html
    assert f'href="/deployments/{SLUG}/findings/"' in html
    assert f"/deployments/{SLUG}/findings/?code=PROHIBITED_FOREIGN_INKIND&amp;status=all" in html
    assert _tables_scroll_in_their_own_box(html)


@pytest.mark.browser
def test_an_auditor_reviews_on_a_phone(demo_app):
    with live_server(demo_app) as url, chromium() as browser:
        page = browser.new_page(**PHONE)
        page.goto(url + "/login")
        page.get_by_label("Email").fill("auditor@demo.tripledger.example")
        page.get_by_label("Password").fill(demo.PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/audit/")
        page.goto(url + f"{BASE}/?code=PROHIBITED_PARTICIPATION")
        assert fits_the_phone(page)
        page.locator("table.queue a").first.click()
        page.wait_for_url("**/findings/*")
        assert page.get_by_text("AO 2004-26").first.is_visible()
        page.get_by_label("Escalate — needs counsel or the treasurer").check()
        page.get_by_role("button", name="Record review").click()
        assert page.get_by_text("a reason is required").is_visible()
        page.get_by_label("Reason").fill("Manager role for a party staffer: counsel to advise.")
        page.get_by_role("button", name="Record review").click()
        page.wait_for_url(f"**{BASE}/")
        assert page.get_by_text("escalated").first.is_visible()
        assert fits_the_phone(page)


def test_log_in_as_demo_auditor_lands_on_the_dashboard(demo_app, client):
    assert log_in(client, "auditor@demo.tripledger.example", demo.PASSWORD).location == "/audit/"


def test_every_kind_of_finding_has_a_page(demo_app, client, login_as):
    with demo_app.app_context():
        firsts = {}
        for finding in db.session.scalars(db.select(Finding).where(Finding.is_current.is_(True))
                                          .order_by(Finding.id)):
            firsts.setdefault((finding.rule_id, finding.code.value), finding.id)
    login_as(Role.AUDITOR)
    for (rule_id, code), finding_id in firsts.items():
        html = client.get(f"{BASE}/{finding_id}").get_data(as_text=True)
        assert f"{rule_id} — when" in html and code in html, (rule_id, code)


def test_compliance_cli_recomputes_and_activates(runner):
    result = runner.invoke(args=["compliance", "recompute", "us-2024-general"])
    assert result.exit_code == 0 and "recomputed" in result.output, result.output
    same = runner.invoke(args=["compliance", "activate", rules.DEFAULT_VERSION, "--note",
                               "re-read"])
    assert same.exit_code == 1 and "already in force" in same.output
    bad = runner.invoke(args=["compliance", "activate", "1999.9"])
    assert bad.exit_code == 1 and "1999.9" in bad.output
    assert runner.invoke(args=["compliance", "recompute", "nope"]).exit_code == 1
