"""The report on the real compliance engine and the demo deployment: the PDF says what the
JSON API says (same fingerprint, same totals, every line), and a changed cost is noticed."""
from __future__ import annotations

import importlib.util
import io
import json
import re
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import Cost, Role, User
from app.services import accounts, demo
from app.services.reports import labels, pdfa

from .conftest import csrf_token, log_in
from .test_reports_support import code_totals_on_page, pages_text

pytestmark = [pytest.mark.skipif(
    importlib.util.find_spec("app.services.compliance") is None,
    reason="the compliance engine is not installed"), pytest.mark.starts_from("demo")]


@pytest.fixture
def demo_site(app, client, create_user):
    with app.app_context():
        create_user(role=Role.AUDITOR, email="aud@example.org")
        token = accounts.issue_token(db.session, accounts.get_user(db.session, "aud@example.org"),
                                     actor=None)
        db.session.commit()
    assert log_in(client, "aud@example.org").status_code == 302
    return token


def _amount(label: str, text: str) -> Decimal:
    match = re.search(re.escape(label) + r"\s+\$([\d,]+\.\d\d)", text)
    assert match, label
    return Decimal(match.group(1).replace(",", ""))


@pytest.mark.slow
def test_the_pdf_says_what_the_api_says(client, demo_site):
    api = client.get(f"/api/v1/deployments/{demo.SLUG}/disclosure",
                     headers={"Authorization": f"Bearer {demo_site}"})
    assert api.status_code == 200
    data = api.json
    response = client.get(f"/deployments/{demo.SLUG}/reports/disclosure.pdf")
    assert response.status_code == 200
    pdf = response.data
    embedded = json.loads(pdfa.attachments(pdf)["disclosure.json"])
    assert embedded["fingerprint"] == data["fingerprint"]
    assert {k: v for k, v in embedded.items() if k != "as_of"} == \
        {k: v for k, v in data.items() if k != "as_of"}
    pages = pages_text(pdf)
    summary = "\n".join(p for p in pages[1:5] if "2. Summary" in p)
    on_page = code_totals_on_page(summary)
    for code, amount in data["totals_by_code"].items():
        assert on_page[code] == Decimal(amount), code
    for kind, amount in data["totals_by_payer_kind"].items():
        assert _amount(labels.title(labels.payer_kind(kind)), summary) == Decimal(amount), kind
    listed = re.findall(r"^\s*#(\d+) \d{4}-\d\d-\d\d ", "\n".join(
        p for p in pages if ("4. Compensation or prohibited" in p or "5. Other things" in p)
        and "2. Summary" not in p), flags=re.M)
    assert sorted(map(int, listed)) == sorted(i["cost_id"] for i in data["items"])
    method = "\n".join(p for p in pages if "7. Method" in p)
    for rule in data["rule_set"]["rules"]:
        assert re.search(rf"\b{rule['id']}\b", method), rule["id"]


def test_a_demo_volunteer_gets_only_their_own_statement(app, client):
    with app.app_context():
        demo.load_demo(db.session)
        db.session.commit()
        email = "volunteer@" + demo.DOMAIN
        others = set(db.session.scalars(db.select(User.email).where(
            User.role == Role.VOLUNTEER, User.email != email)))
    assert len(others) > 50
    assert log_in(client, email, password=demo.PASSWORD).status_code == 302
    response = client.get(f"/me/statements/{demo.SLUG}.pdf")
    assert response.status_code == 200
    embedded = json.loads(pdfa.attachments(response.data)["disclosure.json"])
    assert embedded["scope"]["kind"] == "volunteer"
    assert {row["volunteer_email"] for part in ("items", "roles", "volunteers")
            for row in embedded[part]} == {email}
    text = "".join(pages_text(response.data))
    assert email in text
    assert not [other for other in others if other in text]


def test_a_changed_cost_makes_verification_say_data_changed_since(app, client, demo_site):
    pdf = client.get(f"/deployments/{demo.SLUG}/reports/disclosure.pdf").data
    with app.app_context():
        cost = db.session.scalars(db.select(Cost).order_by(Cost.id)).first()
        cost.amount_usd = cost.amount_usd + 1
        cost.amount = cost.amount_usd if cost.currency == "USD" else cost.amount
        db.session.commit()
    token = csrf_token(client, f"/deployments/{demo.SLUG}/reports/verify")
    page = client.post(f"/deployments/{demo.SLUG}/reports/verify",
                       data={"csrf_token": token, "file": (io.BytesIO(pdf), "report.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "data changed since" in page
    assert "Issued by this server" in page and "<strong>Yes</strong>" in page
