"""A report reconciles to the cent: for every finding code, the parts printed under the lines
(pdftotext), the rule legends, the summary table, the embedded disclosure-parts.csv and the
embedded JSON's ``totals_by_code`` all agree — for each kind of scope, on the demo and on a
5,000-line world with lines split between codes. The states' reports and the "no state" one
add up to the whole deployment.
"""
from __future__ import annotations

import csv
import io
import json
import random
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (Citizenship, Cost, CostCategory, CostOrigin, ExchangeRate, FindingCode,
                        PayerKind, Placement)
from app.services import deployments, demo
from app.services.compliance import scope as scopes
from app.services.compliance.disclosure import build_disclosure
from app.services.reports import labels, pdfa, service, source

from .builders import (make_election_deployment, make_payer_of_kind, make_signup,
                       make_volunteer)
from .test_reports_support import code_totals_on_page, parts_in_listing, pdf_text

CENT = Decimal("0.01")
LEGEND = re.compile(r"\[([A-Z_]+)\] (\d+) part\(s\), \$([\d,]+\.\d\d)")


def _usd(text) -> Decimal:
    return Decimal(str(text).replace(",", ""))


def _report(deployment, prepared_by="Ada Auditor <ada@example.org>", **narrowing):
    scope = scopes.resolve(db.session, deployment, **narrowing)
    disclosure = source.load(db.session, deployment, scope)
    pdf, _pages, _key = service.produce(db.session, deployment, scope, disclosure,
                                        prepared_by=prepared_by)
    return pdf, disclosure


def reconcile(pdf: bytes) -> dict[str, Decimal]:
    """Every code's total, after checking that every place the file states it agrees."""
    files = pdfa.attachments(pdf)
    data = json.loads(files[pdfa.JSON_NAME])
    from_json = {code: _usd(v) for code, v in data["totals_by_code"].items()}
    from_findings: dict[str, Decimal] = defaultdict(Decimal)
    findings_on_lines = 0
    for item in data["items"]:
        for finding in item["findings"]:
            findings_on_lines += 1
            if finding["amount_usd"] is not None:
                from_findings[finding["code"]] += _usd(finding["amount_usd"])
    rows = list(csv.DictReader(io.StringIO(files[pdfa.PARTS_NAME].decode("utf-8"))))
    assert len(rows) == findings_on_lines
    from_csv: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        assert row["code_label"] == labels.CODE_LABELS[row["code"]]
        if row["part_amount_usd"]:
            from_csv[row["code"]] += _usd(row["part_amount_usd"])

    text = pdf_text(pdf, layout=True)
    printed = parts_in_listing(text)
    assert len(printed) == findings_on_lines, "a finding part is missing from the listing"
    from_listing: dict[str, Decimal] = defaultdict(Decimal)
    for code, _rule, amount in printed:
        from_listing[code] += amount
    pages = text.split("\f")
    summary = "\n".join(p for p in pages if "2. Summary" in p)
    from_summary = code_totals_on_page(summary)
    listing = " ".join(" ".join(p.split()) for p in pages
                       if ("4. Compensation or prohibited" in p or "5. Other things" in p)
                       and "2. Summary" not in p)
    from_legends: dict[str, Decimal] = defaultdict(Decimal)
    for code, _count, amount in LEGEND.findall(listing):
        from_legends[code] += _usd(amount)

    for code in FindingCode:
        c = code.value
        expected = from_json.get(c, Decimal("0.00"))
        assert from_findings.get(c, Decimal(0)) == expected, f"{c}: JSON findings"
        assert from_csv.get(c, Decimal(0)) == expected, f"{c}: disclosure-parts.csv"
        assert from_listing.get(c, Decimal(0)) == expected, f"{c}: parts printed in the PDF"
        assert from_summary.get(c) == expected, f"{c}: summary table"
        assert from_legends.get(c, Decimal(0)) == expected, f"{c}: rule legends"
    return from_json


def _add_up(disclosures: list[dict], whole: dict) -> None:
    """The narrower disclosures together hold exactly the whole one's lines and totals."""
    ids = [i["cost_id"] for d in disclosures for i in d["items"]]
    assert sorted(ids) == sorted(i["cost_id"] for i in whole["items"])
    for key in ("totals_by_code", "totals_by_payer_kind"):
        summed: dict[str, Decimal] = defaultdict(Decimal)
        for part in disclosures:
            for code, amount in part[key].items():
                summed[code] += _usd(amount)
        assert {k: v for k, v in summed.items()} == \
            {k: _usd(v) for k, v in whole[key].items()}, key


def _states(deployment) -> list[str]:
    return list(db.session.scalars(select(Placement.state_code)
                                   .where(Placement.deployment_id == deployment.id)))


# -- the demo ------------------------------------------------------------------------------

@pytest.mark.starts_from("demo")
@pytest.mark.slow
def test_the_demo_reconciles_for_every_kind_of_scope(app_ctx):
    deployment = deployments.get_deployment(db.session, demo.SLUG)
    whole_pdf, whole = _report(deployment)
    totals = reconcile(whole_pdf)
    # The case: split lines printed at full value under every code.
    assert totals["PROHIBITED_FOREIGN_INKIND"] == Decimal("21915.35")

    state_pdf, _ = _report(deployment, state="NC")
    reconcile(state_pdf)
    none_pdf, nobody = _report(deployment, state="none")
    reconcile(none_pdf)
    assert nobody["items"], "the demo has a volunteer without a sign-up"
    assert "No state (volunteers without a sign-up)" in pdf_text(none_pdf, first=1, last=1)

    party = next(i for i in whole["items"] if i["payer_kind"] == "FOREIGN_PARTY")
    payer_pdf, _ = _report(deployment, payer=party["payer_name"])
    reconcile(payer_pdf)
    volunteer_pdf, _ = _report(deployment, volunteer="volunteer@" + demo.DOMAIN)
    reconcile(volunteer_pdf)


@pytest.mark.starts_from("demo")
def test_the_states_and_no_state_add_up_to_the_whole_demo(app_ctx):
    deployment = deployments.get_deployment(db.session, demo.SLUG)
    whole = build_disclosure(db.session, deployment)
    parts = [build_disclosure(db.session, deployment, scopes.resolve(db.session, deployment,
                                                                     state=state))
             for state in [*_states(deployment), "none"]]
    _add_up(parts, whole)
    # Without the "no state" part, the states fall short by the undeclared volunteer's flight.
    short = sum(_usd(i["amount_usd"]) for i in parts[-1]["items"])
    assert short == Decimal("724.53")


@pytest.mark.starts_from("demo")
def test_the_no_state_scope_is_understood_everywhere(app_ctx):
    deployment = deployments.get_deployment(db.session, demo.SLUG)
    for word in ("none", "NONE", "no state", "-"):
        scope = scopes.resolve(db.session, deployment, state=word)
        assert scope.value == scopes.NO_STATE and scope.state is None
        scopes.check_placement(db.session, deployment, scope)  # not "no placement in none"
    again = scopes.from_report(db.session, deployment, scope.kind, scope.value)
    assert again == scope
    data = build_disclosure(db.session, deployment, scope)
    assert data["scope"] == {"kind": "state", "value": "none"}
    assert all(i["state"] is None for i in data["items"]) and data["roles"] == []


# -- a 5,000-line world ----------------------------------------------------------------------

def _world(lines: int = 5000, volunteers: int = 250):
    """Volunteers of every citizenship, most with a sign-up; own flights that cross the
    $1,000 exemption (lines split between codes); payers of every kind; GBP lines converted
    at a table of daily rates."""
    rng = random.Random(12)
    deployment = make_election_deployment(slug="recon", spots={"NC": volunteers,
                                                               "PA": volunteers})
    payers = [make_payer_of_kind(deployment, kind, name=f"{kind.value.title()} payer",
                                 country="GB" if kind.value.startswith("FOREIGN") else "US")
              for kind in (PayerKind.SELF, PayerKind.CAMPAIGN, PayerKind.FOREIGN_PARTY,
                           PayerKind.FOREIGN_INDIVIDUAL, PayerKind.US_INDIVIDUAL,
                           PayerKind.UNKNOWN)]
    rates = {}
    for day in range(20):
        on = date(2024, 10, 1) + timedelta(days=day)
        rates[on] = ExchangeRate(currency="GBP", rate_on=on,
                                 usd_per_unit=Decimal("1.2") + Decimal(day) / 100,
                                 source="Test central bank")
        db.session.add(rates[on])
    people = []
    for n in range(volunteers):
        citizenship = [Citizenship.FOREIGN_NATIONAL, Citizenship.US_CITIZEN,
                       Citizenship.LPR][n % 3]
        person = make_volunteer(f"recon{n}@example.org", citizenship)
        if n % 10:  # one in ten has no sign-up: their lines have no state
            make_signup(deployment, person, "NC" if n % 2 else "PA")
        people.append(person)
    db.session.flush()
    rows = []
    for n in range(lines):
        person = people[n % volunteers]
        payer = payers[0] if n % 3 == 0 else rng.choice(payers)
        on = date(2024, 10, 1) + timedelta(days=n % 20)
        category = CostCategory.TRAVEL if payer is payers[0] else \
            rng.choice([CostCategory.HOUSING, CostCategory.MEALS, CostCategory.TRAVEL])
        usd = (Decimal(rng.randrange(2000, 90000)) / 100).quantize(CENT)
        gbp = n % 4 == 0
        rate = rates[on].usd_per_unit
        amount = (usd / rate).quantize(CENT) if gbp else usd
        rows.append(Cost(deployment_id=deployment.id, volunteer_id=person.id, category=category,
                         description=f"Line {n}", amount=amount,
                         currency="GBP" if gbp else "USD",
                         amount_usd=(amount * rate).quantize(CENT) if gbp else usd,
                         usd_per_unit=rate if gbp else None,
                         exchange_rate_id=rates[on].id if gbp else None, incurred_on=on,
                         payer_id=payer.id, origin=CostOrigin.IMPORT))
    db.session.add_all(rows)
    db.session.commit()
    return deployment


@pytest.mark.slow
def test_a_5000_line_world_reconciles_and_its_states_add_up(app_ctx):
    deployment = _world()
    whole_pdf, whole = _report(deployment)
    assert len(whole["items"]) == 5000
    split = [i for i in whole["items"]
             if len({f["amount_usd"] for f in i["findings"]}) > 1]
    assert len(split) > 20, "the world must hold lines split between codes"
    totals = reconcile(whole_pdf)
    assert totals["PROHIBITED_FOREIGN_INKIND"] > 0 and totals["VOL_OK"] > 0
    parts = [build_disclosure(db.session, deployment,
                              scopes.resolve(db.session, deployment, state=state))
             for state in [*_states(deployment), "none"]]
    _add_up(parts, whole)
    none_pdf, nobody = _report(deployment, state="none")
    assert nobody["items"]
    reconcile(none_pdf)
    # Every GBP line's rate is on the page, with its source.
    text = " ".join(pdf_text(whole_pdf, first=2, last=5).split())
    assert "Exchange rates used" in text and "Test central bank" in text
    assert "GBP 1 Oct 2024 1.2 Test central bank" in text
