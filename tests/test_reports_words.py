"""What an auditor reads on the page: the facts a report must state, in words, with no raw
template, truncated amount or stored enum value; and a volunteer's statement written to them,
about the payers, not as a verdict on them."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Role
from app.services import deployments, demo
from app.services.compliance import scope as scopes
from app.services.compliance.store import active_rule_set
from app.services.reports import service, source

from .conftest import log_in
from .test_reports_support import pdf_text

pytestmark = pytest.mark.starts_from("demo")

#: A stored enum value with an underscore (a finding code, a payer kind, a category, a role).
ENUM_WITH_UNDERSCORE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")
#: Enum values without one, as stored (upper case).
BARE_ENUMS = re.compile(r"\b(SELF|CAMPAIGN|UNKNOWN|TRAVEL|HOUSING|MEALS|STIPEND|GIFT|"
                        r"ACKNOWLEDGE|CLEAR|ESCALATE|LPR_)\b")


def _text(pdf: bytes) -> str:
    return " ".join(pdf_text(pdf).split())


def _make(prepared_by="Ada Auditor <ada@example.org>", **narrowing) -> tuple[bytes, dict]:
    deployment = deployments.get_deployment(db.session, demo.SLUG)
    scope = scopes.resolve(db.session, deployment, **narrowing)
    disclosure = source.load(db.session, deployment, scope)
    pdf, _, _ = service.produce(db.session, deployment, scope, disclosure,
                                prepared_by=prepared_by)
    return pdf, disclosure


def assert_clean_words(text: str) -> None:
    """No raw template, cut amount or stored enum value reaches the page."""
    assert "{" not in text and "}" not in text, "a template placeholder reached the page"
    assert not re.search(r"\$[\d,.]*…", text), "an amount was cut"
    for match in ENUM_WITH_UNDERSCORE.finditer(text):
        before, after = text[match.start() - 1:match.start()], text[match.end():match.end() + 1]
        token = match.group(0)
        if before == "[" and after == "]":
            continue  # a finding code, beside its label
        if "@" in text[max(0, match.start() - 40):match.end() + 40] and token.islower():
            continue  # part of an email address (demo addresses have none, but be fair)
        pytest.fail(f"raw value {token!r} on the page: …{text[match.start() - 60:match.end() + 60]}…")
    bare = BARE_ENUMS.search(text)
    assert bare is None, f"raw value {bare.group(0)!r}: …{text[bare.start() - 60:bare.end() + 60]}…"


@pytest.mark.slow
def test_the_report_states_what_an_auditor_needs_in_words(app_ctx):
    pdf, disclosure = _make()
    text = _text(pdf)
    assert_clean_words(text)
    rule_set = active_rule_set(db.session)
    cover = " ".join(pdf_text(pdf, first=1, last=1).split())
    for fact in ("Prepared by Ada Auditor <ada@example.org>",
                 "Reporting period 1 Oct 2024 to 6 Nov 2024",
                 "Deployment dates 20 Oct 2024 to 6 Nov 2024",
                 f"Rule set version {rule_set.version}; SHA-256",
                 "Election 2024 general (G2024, president, US)"):
        assert fact in cover, fact
    assert rule_set.sha256 in cover.replace(" ", "")  # a long hash may wrap in its cell
    # Exchange rates: currency, date, rate and source.
    assert re.search(r"Exchange rates used Currency Rate date USD per unit Source (Lines )?EUR "
                     r"\d+ \w+ 2024 1\.\d+ Central bank daily spot rate \(demo\) \d+ GBP", text)
    # Each finding's priority, its reasoning (running totals) and a label beside its code.
    assert "Potential prohibited foreign in-kind [PROHIBITED_FOREIGN_INKIND] · R5 · normal " \
           "priority" in text
    assert re.search(r"Running total \$[\d,]+\.\d\d before this line, \$[\d,]+\.\d\d after; "
                     r"the limit is \$1,000\.00\.", text)
    # Leave types and reimbursement links.
    assert "earned annual leave" in text and "not employed" in text
    repaying = next(i for i in disclosure["items"] if i.get("reimburses_cost_id"))
    assert f"repays line #{repaying['reimburses_cost_id']} (R18)" in text
    # Rule texts with placeholders are described, not printed raw (R0, R99).
    assert "Facts missing: the facts not yet given." in text
    # A per-person total is never cut: every heading's total is printed in full.
    for heading in re.findall(r"» (\d+) line\(s\), (\$[\d,]+\.\d\d)", text):
        assert heading[1].count("$") == 1


@pytest.mark.slow
def test_a_volunteers_statement_speaks_to_them_about_the_payers(app_ctx):
    pdf, disclosure = _make(prepared_by="Vera Volunteer <volunteer@demo.tripledger.example>",
                            volunteer="volunteer@" + demo.DOMAIN)
    text = _text(pdf)
    assert_clean_words(text)
    front = " ".join(pdf_text(pdf, first=1, last=3).split())
    assert "What was paid for you, and what it may mean" in front
    assert "not a judgement of you" in front
    assert "Verdict on the volunteer" not in text
    assert "potential prohibited contribution" not in front
    # What was paid, by whom, in plain words; what the payer's spending may mean.
    paid_by_others = [i for i in disclosure["items"] if i["payer_kind"] != "SELF"]
    assert paid_by_others
    for item in paid_by_others:
        assert f"{item['payer_name']} (" in front, item["payer_name"]
    assert "counts as paid work, not volunteer time" in front  # Vera's role is paid (R2c)
    # They can check it themselves.
    assert "open My statements and choose \"Check a statement\"" in front


def test_a_report_from_the_browser_names_the_signed_in_preparer(app, client, create_user):
    create_user(role=Role.AUDITOR, email="aud@example.org", full_name="Audrey Auditor")
    assert log_in(client, "aud@example.org").status_code == 302
    response = client.get(f"/deployments/{demo.SLUG}/reports/disclosure.pdf?state=VA")
    assert response.status_code == 200
    cover = " ".join(pdf_text(response.data, first=1, last=1).split())
    assert "Prepared by Audrey Auditor <aud@example.org>" in cover


def test_a_stored_report_is_served_again_only_to_the_same_preparer(app_ctx):
    deployment = deployments.get_deployment(db.session, demo.SLUG)
    scope = scopes.resolve(db.session, deployment, state="VA")
    first = service.request_report(db.session, deployment, scope, actor=None,
                                   background=False, prepared_by="Ada Auditor")
    again = service.request_report(db.session, deployment, scope, actor=None,
                                   background=False, prepared_by="Ada Auditor")
    other = service.request_report(db.session, deployment, scope, actor=None,
                                   background=False, prepared_by="Ben Bookkeeper")
    assert again.reused and again.report.id == first.report.id
    assert not other.reused and other.report.sha256 != first.report.sha256
    assert other.report.prepared_by == "Ben Bookkeeper"
    assert "Prepared by Ben Bookkeeper" in " ".join(pdf_text(other.pdf, first=1,
                                                             last=1).split())


def test_the_reports_page_makes_the_no_state_report(app, client, create_user):
    from app.models import Report, ReportScope

    from .conftest import csrf_token
    create_user(role=Role.ORGANISER, email="org@example.org", full_name="Olu Organiser")
    assert log_in(client, "org@example.org").status_code == 302
    page = f"/deployments/{demo.SLUG}/reports/"
    assert "Volunteers without a sign-up (no state)" in client.get(page).get_data(as_text=True)
    response = client.post(page, data={"csrf_token": csrf_token(client, page),
                                       "scope": "no_state", "value": ""})
    assert response.status_code == 302
    with app.app_context():
        report = db.session.scalars(db.select(Report)).one()
        assert (report.scope, report.scope_value) == (ReportScope.STATE, "none")
        assert report.prepared_by == "Olu Organiser <org@example.org>"
    pdf = client.get(f"/deployments/{demo.SLUG}/reports/{report.id}.pdf")
    assert pdf.status_code == 200
    assert "No state (volunteers without a sign-up)" in pdf_text(pdf.data, first=1, last=1)


def test_statement_sentences_keep_their_capitals():
    from app.services.reports import statement_text
    item = {"incurred_on": "2024-10-01", "payer_kind": "SELF", "category": "TRAVEL",
            "amount_usd": "1188.86", "currency": "USD", "amount": "1188.86",
            "findings": [{"code": "PROHIBITED_FOREIGN_INKIND", "amount_usd": "188.86"},
                         {"code": "VOL_OK", "amount_usd": "1000.00"}]}
    text = statement_text.line_paragraph(item)
    assert "On 1 October 2024, you paid $1,188.86 yourself for travel." in text
    assert "For $188.86 of it: US law does not let foreign nationals" in text
    assert "For $1,000.00 of it: this is not a contribution" in text
    assert "uS" not in text
