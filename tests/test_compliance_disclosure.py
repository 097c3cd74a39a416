"""The disclosure data (and its API), the FEC-style export, the warnings at entry time and the
demo: what other tools and people read from the engine."""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import (Citizenship, CostCategory, Finding, FindingCode, OrganisationType,
                        PayerKind, Role, SignupRole)
from app.services import accounts, deployments, staff
from app.services.compliance import (entry_warnings, preview_cost_findings,
                                     preview_role_findings, review)
from app.services.compliance import rules
from app.services.compliance.disclosure import build_disclosure
from app.services.compliance.scope import resolve
from app.services.compliance import fec_facts
from app.services.compliance.fec import build, fec_csv, fec_rows
from app.services.errors import NotFound, ValidationFailed

from .builders import (make_cost as cost, make_election_deployment as deployment,
                       one_finding as finding, make_payer_of_kind as payer, make_signup as signup,
                       make_volunteer as volunteer)

US, FN = Citizenship.US_CITIZEN, Citizenship.FOREIGN_NATIONAL
MONEY = re.compile(r"^\d+\.\d\d$")


def test_the_2016_precedent_is_24422_of_prohibited_foreign_inkind(app_ctx):
    dep = deployment(slug="precedent-2016")
    party = payer(dep, PayerKind.FOREIGN_PARTY, name="A foreign party", country="GB")
    flights = [Decimal("2305.71")] * 6 + [Decimal("2305.74")]
    stipends = [Decimal("1183.14")] * 6 + [Decimal("1183.16")]
    assert sum(flights) == Decimal("16140.00") and sum(stipends) == Decimal("8282.00")
    for n, (flight, stipend) in enumerate(zip(flights, stipends)):
        delegate = volunteer(email=f"delegate{n}@example.org")
        signup(dep, delegate, "NC")
        cost(dep, delegate, CostCategory.TRAVEL, flight, party, description="Flight")
        cost(dep, delegate, CostCategory.STIPEND, stipend, party, description="Daily stipend")
    db.session.commit()
    data = build_disclosure(db.session, dep)
    assert data["totals_by_code"]["PROHIBITED_FOREIGN_INKIND"] == "24422.00"
    assert data["totals_by_payer_kind"]["FOREIGN_PARTY"] == "24422.00"
    assert {tuple(item["codes"]) for item in data["items"]} == {("PROHIBITED_FOREIGN_INKIND",)}
    assert {v["verdict"] for v in data["volunteers"]} == {"potential prohibited contribution"}


@pytest.fixture
def world(app_ctx):
    dep = deployment(slug="disc")
    people = {"fn": volunteer(email="fn@example.org"),
              "us": volunteer(citizenship=US, email="us@example.org"),
              "quiet": volunteer(email="quiet@example.org"),
              "undeclared": volunteer(citizenship=None, email="undeclared@example.org")}
    signup(dep, people["fn"], "NC", role=SignupRole.MANAGER)
    signup(dep, people["us"], "PA")
    signup(dep, people["quiet"], "PA")
    signup(dep, people["undeclared"], "NC")
    party = payer(dep, PayerKind.FOREIGN_PARTY, name="The party", country="GB")
    campaign = payer(dep, PayerKind.CAMPAIGN, name="The campaign", country="US")
    cost(dep, people["fn"], CostCategory.STIPEND, "700.00", party)
    cost(dep, people["us"], CostCategory.TRAVEL, "1250.00", description="Long flight")
    cost(dep, people["us"], CostCategory.HOUSING, "400.00", campaign, arranged_by_id=party.id)
    cost(dep, people["undeclared"], CostCategory.MEALS, "30.00")
    db.session.commit()
    return dep, people, party


def test_the_disclosure_follows_the_contract(world):
    dep, people, party = world
    data = build_disclosure(db.session, dep)
    assert set(data) == {"deployment", "scope", "as_of", "items", "roles", "volunteers",
                         "totals_by_code", "totals_by_payer_kind", "counts_by_code", "rule_set",
                         "fingerprint"}
    assert data["deployment"] == {"slug": "disc", "name": "Test deployment",
                                  "sending_organisation": "", "receiving_committee": "",
                                  "election": "2024 general", "election_code": "G2024",
                                  "election_office": "president",
                                  "election_jurisdiction": "US"}
    assert data["scope"] == {"kind": "deployment", "value": "disc"}
    item_keys = {"cost_id", "volunteer_email", "volunteer_name", "citizenship", "state",
                 "category", "description", "incurred_on", "amount", "currency", "amount_usd",
                 "payer_name", "payer_kind", "arranged_by_name", "codes", "rule_ids", "severity",
                 "findings"}
    assert all(set(item) == item_keys for item in data["items"])
    flight = next(i for i in data["items"] if i["description"] == "Long flight")
    assert flight["codes"] == ["INKIND_REPORTABLE", "VOL_OK"] and flight["rule_ids"] == ["R4", "R3"]
    assert [f["amount_usd"] for f in flight["findings"]] == ["250.00", "1000.00"]
    assert flight["state"] == "PA" and flight["incurred_on"] == "2024-10-10"
    finding_keys = {"id", "code", "rule_id", "reason", "citation", "severity", "priority",
                    "amount_usd", "review"}
    assert all(set(f) == finding_keys for i in data["items"] for f in i["findings"])
    housing = next(i for i in data["items"] if i["category"] == "HOUSING")
    assert housing["arranged_by_name"] == "The party"
    assert housing["codes"] == ["REVIEW_CONTESTED", "CAMPAIGN_EXP"]
    role_keys = {"signup_id", "volunteer_email", "volunteer_name", "citizenship", "state", "role",
                 "arrive_on", "depart_on", "status", "codes", "rule_ids", "override_reason",
                 "findings"}
    assert all(set(r) == role_keys for r in data["roles"])
    manager = next(r for r in data["roles"] if r["role"] == "manager")
    # The party's stipend paid them: the role is paid work too (R2c), naming the line.
    assert manager["codes"] == ["PROHIBITED_PARTICIPATION", "COMPENSATION"]
    assert manager["rule_ids"] == ["R1", "R2c"]
    stipend = next(i for i in data["items"] if i["category"] == "STIPEND")
    assert f"#{stipend['cost_id']}" in manager["findings"][1]["reason"]
    verdicts = {v["volunteer_email"]: v["verdict"] for v in data["volunteers"]}
    assert verdicts == {"fn@example.org": "potential prohibited contribution",
                        "us@example.org": "needs review",
                        "quiet@example.org": "volunteer — nothing of value received",
                        "undeclared@example.org": "needs review"}
    assert all(MONEY.match(v) for v in data["totals_by_code"].values())
    assert list(data["totals_by_code"]) == [c.value for c in FindingCode]
    assert data["totals_by_code"]["PROHIBITED_FOREIGN_INKIND"] == "700.00"
    assert data["totals_by_code"]["INKIND_REPORTABLE"] == "250.00"
    assert data["totals_by_payer_kind"]["SELF"] == "1280.00"
    assert data["rule_set"]["version"] == rules.DEFAULT_VERSION  # a new install's rule set
    assert {"id", "when", "codes", "reason", "citation"} <= set(data["rule_set"]["rules"][0])
    assert data["rule_set"]["thresholds"] and data["rule_set"]["soft_spots"]
    assert re.fullmatch(r"[0-9a-f]{64}", data["fingerprint"])


def test_same_facts_same_fingerprint_any_change_a_new_one(world):
    dep, people, _party = world
    first = build_disclosure(db.session, dep)
    again = build_disclosure(db.session, dep)
    assert again["fingerprint"] == first["fingerprint"]
    line = people["us"].id
    target = finding(volunteer_id=line, rule_id="R4", is_current=True)
    auditor = accounts.create_user(db.session, email="aud-fp@example.org", full_name="A",
                                   role=Role.AUDITOR, password=None, actor=None)
    review.review_finding(db.session, deployment=dep, finding_id=target.id, action="acknowledge",
                          reason="", actor=auditor)
    db.session.commit()
    reviewed = build_disclosure(db.session, dep)
    assert reviewed["fingerprint"] != first["fingerprint"]
    shown = next(f for i in reviewed["items"] for f in i["findings"] if f["id"] == target.id)
    assert shown["review"]["action"] == "acknowledge" and shown["review"]["facts_changed"] is False
    people["quiet"].citizenship = US
    db.session.commit()
    assert build_disclosure(db.session, dep)["fingerprint"] != reviewed["fingerprint"]


def test_scopes_narrow_the_disclosure_and_bad_scopes_are_refused(world):
    dep, people, party = world
    nc = build_disclosure(db.session, dep, resolve(db.session, dep, state="nc"))
    assert nc["scope"] == {"kind": "state", "value": "NC"}
    assert {i["volunteer_email"] for i in nc["items"]} == {"fn@example.org",
                                                            "undeclared@example.org"}
    assert {r["state"] for r in nc["roles"]} == {"NC"}
    paid = build_disclosure(db.session, dep, resolve(db.session, dep, payer_id=str(party.id)))
    assert [i["payer_name"] for i in paid["items"]] == ["The party"]
    assert paid["scope"] == {"kind": "payer", "value": party.id, "name": "The party"}
    one = build_disclosure(db.session, dep, resolve(db.session, dep,
                                                    volunteer_id=people["us"].id))
    assert {i["volunteer_email"] for i in one["items"]} == {"us@example.org"}
    assert [v["volunteer_email"] for v in one["volunteers"]] == ["us@example.org"]
    assert one["scope"] == {"kind": "volunteer", "value": people["us"].id}
    other = deployment(slug="other")
    stranger_payer = payer(other, PayerKind.SELF, name="Elsewhere")
    with pytest.raises(ValidationFailed, match="one scope"):
        resolve(db.session, dep, state="NC", payer_id=party.id)
    with pytest.raises(ValidationFailed, match="US state"):
        resolve(db.session, dep, state="XX")
    with pytest.raises(ValidationFailed, match="whole number"):
        resolve(db.session, dep, volunteer_id="me")
    with pytest.raises(NotFound):
        resolve(db.session, dep, payer_id=stranger_payer.id)
    with pytest.raises(NotFound):
        resolve(db.session, other, volunteer_id=people["us"].id)


def test_the_disclosure_reads_in_a_fixed_number_of_queries(app, app_ctx):
    def queries_for(n_lines: int) -> int:
        dep = deployment(spots={"NC": n_lines})
        for _ in range(n_lines):
            person = volunteer()
            signup(dep, person)
            cost(dep, person, CostCategory.TRAVEL, "100.00")
        db.session.commit()
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            build_disclosure(db.session, dep)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    assert queries_for(3) == queries_for(40)


# -- the API -------------------------------------------------------------------------------
def _token(app, role):
    with app.app_context():
        user = accounts.create_user(db.session, email=f"{role.value}-api@example.org",
                                    full_name="T", role=role, password=None, actor=None)
        if role is Role.ORGANISER:  # an organiser of this deployment (its staff)
            staff.add_member(db.session, deployments.get_deployment(db.session, "disc"), user,
                             actor=None)
        token = accounts.issue_token(db.session, user, actor=None)
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}


def test_the_api_serves_auditors_and_organisers_only(app, client, world):
    url = "/api/v1/deployments/disc/disclosure"
    for role in (Role.AUDITOR, Role.ORGANISER, Role.ADMIN):
        response = client.get(url, headers=_token(app, role))
        assert response.status_code == 200, role
        data = response.get_json()
        assert data["totals_by_code"]["PROHIBITED_FOREIGN_INKIND"] == "700.00"
        assert response.headers["ETag"].strip('"') == data["fingerprint"]
    refused = client.get(url, headers=_token(app, Role.VOLUNTEER))
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    anonymous = client.get(url)
    assert anonymous.status_code == 401 and anonymous.get_json()["error"] == "unauthorized"


def test_the_api_answers_bad_requests_in_json(app, client, world):
    headers = _token(app, Role.AUDITOR)
    missing = client.get("/api/v1/deployments/nope/disclosure", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    bad = client.get("/api/v1/deployments/disc/disclosure?state=ZZ", headers=headers)
    assert bad.status_code == 422 and "US state" in bad.get_json()["message"]
    scoped = client.get("/api/v1/deployments/disc/disclosure?state=PA", headers=headers)
    assert {i["state"] for i in scoped.get_json()["items"]} == {"PA"}


# -- the FEC export (its full checks are in test_fec_export.py) ---------------------------
def _filing(dep, *payers):
    fec_facts.set_committee_fec_id(db.session, dep, "C00000001", actor=None)
    for n, made in enumerate(payers):
        fec_facts.set_payer_fec_facts(db.session, made, actor=None, street_1=f"{n} Main St",
                                      city="Durham", state_code="NC", zip_="27701",
                                      fec_committee_id="C00000002" if made.organisation_type
                                      else None)


@pytest.fixture
def donors(app_ctx):
    dep = deployment(slug="fec")
    person = volunteer(citizenship=US, email="fec-vol@example.org")
    signup(dep, person)
    made = {}
    for label, amount in (("below", "199.99"), ("at", "200.00"), ("above", "200.01")):
        made[label] = payer(dep, PayerKind.US_INDIVIDUAL, name=f"Donor {label}", country="US")
        cost(dep, person, CostCategory.HOUSING, amount, made[label], description="Hotel")
    pac = payer(dep, PayerKind.US_ORGANISATION, name="Volunteers PAC",
                org=OrganisationType.POLITICAL_COMMITTEE, country="US")
    cost(dep, person, CostCategory.LOCAL_TRANSPORT, "80.00", pac, description="Car")
    for label, amount, day in (("old-limit", "3300.01", date(2024, 11, 5)),
                               ("old-at", "3300.00", date(2024, 11, 5)),
                               ("new-limit", "3300.01", date(2024, 11, 6))):
        made[label] = payer(dep, PayerKind.US_INDIVIDUAL, name=f"Donor {label}", country="US")
        cost(dep, person, CostCategory.STIPEND, amount, made[label], day=day)
    party = payer(dep, PayerKind.FOREIGN_PARTY, name="Party", country="GB")
    cost(dep, person, CostCategory.TRAVEL, "999.00", party)
    _filing(dep, pac, *made.values())
    db.session.commit()
    return dep


def _a(rows, last_name):
    return next(r for r in rows if r["transaction_type_identifier"].endswith("RECEIPT")
                and (r.get("contributor_last_name") or r.get("contributor_organization_name"))
                == last_name)


def test_fec_rows_itemise_above_200_and_flag_the_limit_in_force(donors):
    export = build(db.session, donors)
    rows = export.rows
    names = {r["contributor_last_name"] for r in rows if r.get("contributor_last_name")}
    assert "below" not in names and "at" not in names  # not itemised: counted, not written
    assert export.unitemised_count == 2 and export.unitemised_total == Decimal("399.99")
    above = _a(rows, "above")
    assert above["contributor_first_name"] == "Donor"
    assert above["contributor_employer"] == "INFORMATION REQUESTED"
    over = {o.contributor for o in export.over_limit}
    assert "Donor old-limit" in over
    assert "Donor old-at" not in over and "Donor new-limit" not in over
    assert all(r["contribution_purpose_descrip"].startswith("In-Kind: ")
               for r in rows if r["transaction_type_identifier"].endswith("RECEIPT"))
    assert not any("Party" in (r.get("contributor_organization_name") or "") for r in rows)
    assert not export.incomplete


def test_fec_rows_pair_each_receipt_with_its_expenditure_and_use_the_forms_line_numbers(donors):
    rows = fec_rows(db.session, donors, form="F3P")
    receipts, spent = rows[0::2], rows[1::2]
    assert len(receipts) == len(spent) == 5  # above, the PAC (always itemised), three stipends
    for a, b in zip(receipts, spent):
        assert b["back_reference_tran_id_number"] == a["transaction_id"]
        assert a["back_reference_tran_id_number"] == b["transaction_id"]
        assert b["expenditure_amount"] == a["contribution_amount"]
        assert b["election_code"] == "G2024"
    assert _a(rows, "Volunteers PAC")["form_type"] == "SA17C"
    assert _a(rows, "above")["form_type"] == "SA17A" and spent[0]["form_type"] == "SB23"
    assert _a(fec_rows(db.session, donors, form="f3x"), "above")["form_type"] == "SA11AI"
    assert {r["form_type"] for r in fec_rows(db.session, donors, form="F3")[1::2]} == {"SB17"}
    with pytest.raises(ValidationFailed, match="F3P"):
        fec_rows(db.session, donors, form="F99")
    parsed = list(csv.DictReader(io.StringIO(fec_csv(db.session, donors))))
    assert len(parsed) == 10 and parsed[0]["contribution_aggregate"]


def test_a_contributors_aggregate_runs_in_date_order(app_ctx):
    dep = deployment(slug="agg")
    person = volunteer(citizenship=US)
    donor = payer(dep, PayerKind.US_INDIVIDUAL, name="Repeat donor", country="US")
    cost(dep, person, CostCategory.MEALS, "150.00", donor, day=date(2024, 10, 1))
    cost(dep, person, CostCategory.MEALS, "60.00", donor, day=date(2024, 10, 3))
    _filing(dep, donor)
    db.session.commit()
    export = build(db.session, dep)
    receipts = export.rows[0::2]
    assert [(r["contribution_amount"], r["contribution_aggregate"]) for r in receipts] == [
        ("60.00", "210.00")]
    assert export.unitemised_count == 1


# -- warnings at entry time ----------------------------------------------------------------
def test_previews_warn_before_saving_and_write_nothing(app_ctx):
    dep = deployment(slug="preview")
    person = volunteer()
    cost(dep, person, CostCategory.TRAVEL, "900.00")
    party = payer(dep, PayerKind.FOREIGN_PARTY, name="Party", country="GB")
    selfp = payer(dep, PayerKind.SELF, name="Self")
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(Finding))
    stipend = preview_cost_findings(db.session, deployment=dep, volunteer=person,
                                    category="STIPEND", amount_usd="300.00", payer=party,
                                    incurred_on=date(2024, 10, 12))
    assert stipend[0][:2] == ("PROHIBITED_FOREIGN_INKIND", "R10") and "11 CFR" in stipend[0][3]
    assert entry_warnings(stipend) == stipend
    flight = preview_cost_findings(db.session, deployment=dep, volunteer=person,
                                   category=CostCategory.TRAVEL, amount_usd=Decimal("200.00"),
                                   payer=selfp, incurred_on=date(2024, 10, 20))
    assert [(c, r) for c, r, _reason, _cite in flight] == [
        ("PROHIBITED_FOREIGN_INKIND", "R5"), ("REVIEW_CONTESTED", "R5"), ("VOL_OK", "R3")]
    assert [w[0] for w in entry_warnings(flight)] == ["PROHIBITED_FOREIGN_INKIND"]
    meal = preview_cost_findings(db.session, deployment=dep, volunteer=person, category="MEALS",
                                 amount_usd="20.00", payer=selfp, incurred_on=date(2024, 10, 20))
    assert entry_warnings(meal) == [] and meal[0][:2] == ("VOL_OK", "R6")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Finding)) == before


def test_a_preview_says_when_a_line_would_make_a_role_paid_work(app_ctx):
    dep = deployment(slug="paid-preview")
    person, unsigned = volunteer(), volunteer()
    signup(dep, person, "NC", role=SignupRole.DRIVER)
    party = payer(dep, PayerKind.FOREIGN_PARTY, name="Party", country="GB")
    campaign = payer(dep, PayerKind.CAMPAIGN, name="Campaign", country="US")
    db.session.commit()

    def preview(who, category, by, **more):
        return [(c, r) for c, r, _reason, _cite in preview_cost_findings(
            db.session, deployment=dep, volunteer=who, category=category, amount_usd="300.00",
            payer=by, incurred_on=date(2024, 10, 12), **more)]
    # A stipend from anyone makes the driver's role paid (R2c), said before saving ...
    assert preview(person, "STIPEND", party) == [("PROHIBITED_FOREIGN_INKIND", "R10"),
                                                ("COMPENSATION", "R2c")]
    reason = next(p[2] for p in preview_cost_findings(
        db.session, deployment=dep, volunteer=person, category="STIPEND", amount_usd="300.00",
        payer=party, incurred_on=date(2024, 10, 12)) if p[1] == "R2c")
    assert reason.startswith("Their role (driver) becomes paid work")
    # ... not for a line that does not pay them, nor for someone without a role here ...
    assert ("COMPENSATION", "R2c") not in preview(person, "HOUSING", campaign)
    assert ("COMPENSATION", "R2c") not in preview(unsigned, "STIPEND", party)
    # ... nor once a saved line already made the role paid.
    stipend = cost(dep, person, CostCategory.STIPEND, "300.00", party)
    db.session.commit()
    assert ("COMPENSATION", "R2c") not in preview(person, "PER_DIEM", campaign)
    # editing that very line is judged without it
    assert ("COMPENSATION", "R2c") in preview(person, "PER_DIEM", campaign,
                                             replaces_line=stipend.id)


def test_a_host_meal_preview_counts_what_the_host_already_gave_others(app_ctx):
    dep = deployment(slug="host-preview")
    fed, newcomer = volunteer(), volunteer()
    host = payer(dep, PayerKind.US_INDIVIDUAL, name="Host", country="US")
    cost(dep, fed, CostCategory.MEALS, "900.00", host, in_residence=True)
    db.session.commit()
    got = preview_cost_findings(db.session, deployment=dep, volunteer=newcomer, category="MEALS",
                                amount_usd="300.00", payer=host, in_residence=True,
                                incurred_on=date(2024, 10, 30))
    assert {(c, r) for c, r, _x, _y in got} == {("INKIND_REPORTABLE", "R15"), ("VOL_OK", "R15")}


def test_previews_refuse_bad_input(app_ctx):
    dep = deployment(slug="bad-preview")
    person = volunteer()
    selfp = payer(dep, PayerKind.SELF, name="Self")

    class Martian:
        id, name, kind, organisation_type = 1, "Martian", "MARTIAN", None

    base = dict(deployment=dep, volunteer=person, amount_usd="1.00",
                incurred_on=date(2024, 10, 1))
    with pytest.raises(ValidationFailed, match="cost category"):
        preview_cost_findings(db.session, category="BRIBE", payer=selfp, **base)
    with pytest.raises(ValidationFailed, match="payer kind"):
        preview_cost_findings(db.session, category="MEALS", payer=Martian(), **base)
    with pytest.raises(ValidationFailed, match="exact"):
        preview_cost_findings(db.session, category="MEALS", payer=selfp,
                              **{**base, "amount_usd": 1.5})
    with pytest.raises(ValidationFailed, match="role"):
        preview_role_findings(person, "emperor")


def test_role_previews_warn_about_decision_making_roles(app_ctx):
    person, citizen = volunteer(), volunteer(citizenship=US)
    manager = preview_role_findings(person, SignupRole.MANAGER)
    assert manager[0][:2] == ("PROHIBITED_PARTICIPATION", "R1")
    assert entry_warnings(manager) == manager
    assert entry_warnings(preview_role_findings(person, "team_lead")) == []
    assert preview_role_findings(citizen, "manager")[0][:2] == ("VOL_OK", "R2")


# -- the demo --------------------------------------------------------------------------------
@pytest.mark.starts_from("demo")
def test_the_demo_produces_every_finding_code_and_every_verdict(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        codes = set(db.session.scalars(select(Finding.code).where(Finding.is_current.is_(True))))
        assert codes == set(FindingCode)
        rule_ids = set(db.session.scalars(select(Finding.rule_id).where(
            Finding.is_current.is_(True))))
        assert {"R0", "R1", "R1b", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11",
                "R12", "R13", "R14", "R15", "R16", "R17", "R20", "R22", "R24", "R25",
                "R26"} <= rule_ids
        from app.services import deployments
        found = deployments.get_deployment(db.session, "us-2024-general")
        data = build_disclosure(db.session, found)
        assert {v["verdict_key"] for v in data["volunteers"]} == {
            "prohibited", "compensation", "review", "reportable", "own_expenses", "nothing"}
