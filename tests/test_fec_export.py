"""The FEC export: rows an accountant's filing software takes, per the FEC's transaction schemas.

The checks of each field are written here from the schemas of fecfile-validate (IN_KIND_RECEIPT,
IN_KIND_OUT, COM_IN_KIND_RECEIPTS, COM_IN_KIND_OUTS), independently of ``fec_schema`` so a
mistake in one shows in the other.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import Citizenship, CostCategory, OrganisationType, PayerKind, Role
from app.services import deployments as deps
from app.services.compliance import fec, fec_facts, fec_schema
from app.services.compliance.fec_text import ascii_fold, purpose, split_name
from app.services.errors import ValidationFailed

from .conftest import csrf_token
from .builders import (make_cost as cost, make_election_deployment as deployment,
                       make_payer_of_kind as payer, make_signup as signup,
                       make_volunteer as volunteer)

US = Citizenship.US_CITIZEN
ASCII = re.compile(r"^[ -~]*$")
COMMITTEE = re.compile(r"^C\d{8}$")
NUMBER = re.compile(r"^\d+\.\d\d$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: Required fields per transaction type, as the schemas list them (plus election_code, which
#: SchA.json/SchB.json require on F3, F3X and F3P).
REQUIRED = {
    "IN_KIND_RECEIPT": ["form_type", "filer_committee_id_number", "transaction_type_identifier",
                        "transaction_id", "entity_type", "contributor_last_name",
                        "contributor_first_name", "contributor_street_1", "contributor_city",
                        "contributor_state", "contributor_zip", "contribution_date",
                        "contribution_amount", "contribution_aggregate", "aggregation_group",
                        "contribution_purpose_descrip", "election_code",
                        # required above a $200 aggregate, which every written receipt has
                        "contributor_employer", "contributor_occupation"],
    "IN_KIND_OUT": ["form_type", "filer_committee_id_number", "transaction_type_identifier",
                    "back_reference_tran_id_number", "back_reference_sched_name",
                    "transaction_id", "entity_type", "payee_last_name", "payee_first_name",
                    "payee_street_1", "payee_city", "payee_state", "payee_zip",
                    "expenditure_date", "expenditure_amount", "aggregate_amount",
                    "aggregation_group", "expenditure_purpose_descrip", "election_code"],
    "COM_RECEIPT": ["form_type", "filer_committee_id_number", "transaction_type_identifier",
                    "transaction_id", "entity_type", "contributor_organization_name",
                    "contributor_street_1", "contributor_city", "contributor_state",
                    "contributor_zip", "contribution_date", "contribution_amount",
                    "contribution_aggregate", "aggregation_group",
                    "contribution_purpose_descrip", "donor_committee_fec_id",
                    "donor_committee_name", "election_code"],
    "COM_OUT": ["form_type", "filer_committee_id_number", "transaction_type_identifier",
                "transaction_id", "back_reference_tran_id_number", "back_reference_sched_name",
                "entity_type", "payee_organization_name", "payee_street_1", "payee_city",
                "payee_state", "payee_zip", "expenditure_date", "expenditure_amount",
                "aggregation_group", "expenditure_purpose_descrip",
                "beneficiary_committee_fec_id", "beneficiary_committee_name", "election_code"],
}
GROUP = {"IN_KIND_RECEIPT": "IN_KIND_RECEIPT", "IN_KIND_OUT": "IN_KIND_OUT",
         "PAC_IN_KIND_RECEIPT": "COM_RECEIPT", "PARTY_IN_KIND_RECEIPT": "COM_RECEIPT",
         "PAC_IN_KIND_OUT": "COM_OUT", "PARTY_IN_KIND_OUT": "COM_OUT"}
MAX = {"transaction_id": 20, "back_reference_tran_id_number": 20, "back_reference_sched_name": 8,
       "contributor_last_name": 30, "contributor_first_name": 20, "payee_last_name": 30,
       "payee_first_name": 20, "contributor_street_1": 34, "payee_street_1": 34,
       "contributor_city": 30, "payee_city": 30, "contributor_employer": 38,
       "contributor_occupation": 38, "contribution_purpose_descrip": 100,
       "expenditure_purpose_descrip": 100, "memo_text_description": 100,
       "contributor_organization_name": 200, "payee_organization_name": 200,
       "donor_committee_name": 200, "beneficiary_committee_name": 200, "form_type": 8}
F3X_FORM_TYPES = {"IN_KIND_RECEIPT": {"SA11AI", "SA11AII"}, "IN_KIND_OUT": {"SB21B"},
                  "PAC_IN_KIND_RECEIPT": {"SA11C"}, "PARTY_IN_KIND_RECEIPT": {"SA11B"},
                  "PAC_IN_KIND_OUT": {"SB21B"}, "PARTY_IN_KIND_OUT": {"SB21B"}}


def _address(made, n=1, committee=None):
    fec_facts.set_payer_fec_facts(db.session, made, actor=None, street_1=f"{n} Main St",
                                  city="Durham", state_code="nc", zip_="27701-1234",
                                  fec_committee_id=committee)


@pytest.fixture
def world(app_ctx):
    """Every kind of contributor the export writes, complete, plus two at the $200 line."""
    dep = deployment(slug="fec-world")
    fec_facts.set_committee_fec_id(db.session, dep, "c00123456", actor=None)
    person = volunteer(citizenship=US, email="vol@example.org")
    signup(dep, person)
    host = payer(dep, PayerKind.US_INDIVIDUAL, name="José Álvarez-Núñez (host, Durham)",
                 country="US")
    pac = payer(dep, PayerKind.US_ORGANISATION, name="Carolina Volunteers PAC",
                org=OrganisationType.POLITICAL_COMMITTEE, country="US")
    party = payer(dep, PayerKind.US_ORGANISATION, name="Durham County Democratic Party",
                  org=OrganisationType.PARTY_COMMITTEE, country="US")
    at = payer(dep, PayerKind.US_INDIVIDUAL, name="Ann At", country="US")
    above = payer(dep, PayerKind.US_INDIVIDUAL, name="Bea Above", country="US")
    for n, made in enumerate((host, at, above)):
        _address(made, n)
    _address(pac, 7, "C00000007")
    _address(party, 8, "C00000008")
    cost(dep, person, CostCategory.HOUSING, "450.00", host,
         description="Room for the whole stay – “guest” room in the host’s house " * 3)
    cost(dep, person, CostCategory.LOCAL_TRANSPORT, "80.00", pac, description="Rental car")
    cost(dep, person, CostCategory.LOCAL_TRANSPORT, "90.00", party, description="Bus pass")
    cost(dep, person, CostCategory.MEALS, "200.00", at, description="Meals")
    cost(dep, person, CostCategory.MEALS, "200.01", above, description="Meals")
    db.session.commit()
    return dep


def _by_type(rows):
    found: dict[str, list[dict]] = {}
    for row in rows:
        found.setdefault(row["transaction_type_identifier"], []).append(row)
    return found


@pytest.mark.parametrize("form", ["F3", "F3P", "F3X"])
def test_every_transaction_type_has_its_required_fields_in_the_fec_formats(world, form):
    export = fec.build(db.session, world, form=form)
    assert not export.incomplete, export.incomplete
    kinds = _by_type(export.rows)
    assert set(kinds) == set(GROUP), set(kinds)
    for identifier, rows in kinds.items():
        for row in rows:
            for name in REQUIRED[GROUP[identifier]]:
                assert row.get(name), f"{identifier}: {name} is missing"
            for name, value in row.items():
                assert ASCII.match(value), f"{identifier}.{name} is not ASCII: {value!r}"
                assert len(value) <= MAX.get(name, 200), f"{identifier}.{name} too long"
            assert COMMITTEE.match(row["filer_committee_id_number"])
            assert row["filer_committee_id_number"] == "C00123456"  # upper-cased on entry
            assert row["transaction_id"] == row["transaction_id"].upper()
            assert row["election_code"] == "G2024"
            side = "contributor" if "RECEIPT" in identifier else "payee"
            assert row[f"{side}_state"] == "NC" and row[f"{side}_zip"] == "277011234"
            if "RECEIPT" in identifier:
                assert DAY.match(row["contribution_date"])
                assert NUMBER.match(row["contribution_amount"])
                assert NUMBER.match(row["contribution_aggregate"])
                assert row["aggregation_group"] == "GENERAL"
                assert re.match(r"^In-Kind: [ -~]{1,91}$", row["contribution_purpose_descrip"])
            else:
                assert DAY.match(row["expenditure_date"])
                assert NUMBER.match(row["expenditure_amount"])
                assert row["aggregation_group"] == "GENERAL_DISBURSEMENT"
                assert re.match(r"^In-Kind: [ -~]{1,91}$", row["expenditure_purpose_descrip"])
            if GROUP[identifier] == "IN_KIND_RECEIPT" or GROUP[identifier] == "IN_KIND_OUT":
                assert row["entity_type"] == "IND"
            else:
                assert row["entity_type"] == "COM"
                fec_id = row.get("donor_committee_fec_id") or row["beneficiary_committee_fec_id"]
                assert COMMITTEE.match(fec_id)
            if form == "F3X":
                assert row["form_type"] in F3X_FORM_TYPES[identifier]
            # and our own checker agrees
            kind = fec_schema.TYPES[identifier]
            assert fec_schema.problems(row, kind, form=form, form_type=row["form_type"],
                                       employer_above=Decimal("200.00")) == []


def test_the_receipt_and_its_schedule_b_row_refer_to_each_other(world):
    rows = fec.fec_rows(db.session, world, form="F3X")
    by_id = {row["transaction_id"]: row for row in rows}
    assert len(by_id) == len(rows)  # ids unique
    receipts = [r for r in rows if "RECEIPT" in r["transaction_type_identifier"]]
    assert len(receipts) * 2 == len(rows)
    for receipt in receipts:
        out = by_id[receipt["back_reference_tran_id_number"]]
        assert out["back_reference_tran_id_number"] == receipt["transaction_id"]
        assert out["back_reference_sched_name"] == receipt["form_type"]
        assert receipt["back_reference_sched_name"] == out["form_type"] == "SB21B"
        assert out["expenditure_amount"] == receipt["contribution_amount"]
        assert out["expenditure_date"] == receipt["contribution_date"]
        assert out["transaction_type_identifier"] == receipt["transaction_type_identifier"] \
            .replace("IN_KIND_RECEIPT", "IN_KIND_OUT")
    # stable across recomputation: made from the cost line and the rule, not the finding
    assert rows == fec.fec_rows(db.session, world, form="F3X")


def test_itemised_only_above_200_and_names_split_and_folded_to_ascii(world):
    export = fec.build(db.session, world, form="F3P")
    people = {r["contributor_last_name"]: r for r in export.rows
              if r["transaction_type_identifier"] == "IN_KIND_RECEIPT"}
    assert "At" not in people  # $200.00: not itemised
    assert people["Above"]["contribution_aggregate"] == "200.01"
    assert people["Above"]["contributor_first_name"] == "Bea"
    assert export.unitemised_count == 1 and export.unitemised_total == Decimal("200.00")
    host = people["Alvarez-Nunez"]
    assert host["contributor_first_name"] == "Jose"  # the bracketed note is not the name
    assert host["contributor_middle_name"] == host["contributor_suffix"] == ""
    assert host["contributor_employer"] == host["contributor_occupation"] == \
        "INFORMATION REQUESTED"
    text = host["contribution_purpose_descrip"]
    assert len(text) <= 100 and text.startswith("In-Kind: ") and "-" in text and '"guest"' in text
    # committees are itemised whatever the amount ($80 and $90 here)
    assert {r["contribution_amount"] for r in export.rows
            if r["transaction_type_identifier"] != "IN_KIND_RECEIPT"
            and "RECEIPT" in r["transaction_type_identifier"]} == {"80.00", "90.00"}


def test_the_form_chooses_the_line_codes(world):
    codes = {}
    for form in ("F3", "F3P", "F3X"):
        codes[form] = {(r["transaction_type_identifier"], r["form_type"])
                       for r in fec.fec_rows(db.session, world, form=form.lower())}
    assert ("IN_KIND_RECEIPT", "SA17A") in codes["F3P"]
    assert ("PAC_IN_KIND_RECEIPT", "SA17C") in codes["F3P"]
    assert ("PARTY_IN_KIND_RECEIPT", "SA17B") in codes["F3P"]
    assert ("IN_KIND_OUT", "SB23") in codes["F3P"]
    assert ("IN_KIND_RECEIPT", "SA11AI") in codes["F3X"]
    assert ("PAC_IN_KIND_OUT", "SB21B") in codes["F3X"]
    assert ("IN_KIND_OUT", "SB17") in codes["F3"]
    with pytest.raises(ValidationFailed, match="No line numbers for form 'F99'"):
        fec.build(db.session, world, form="F99")


def test_a_row_missing_a_fact_is_listed_with_what_is_missing_and_not_written(app_ctx):
    dep = deployment(slug="fec-gaps")
    person = volunteer(citizenship=US)
    signup(dep, person)
    nowhere = payer(dep, PayerKind.US_INDIVIDUAL, name="Nora Nowhere", country="US")
    mononym = payer(dep, PayerKind.US_INDIVIDUAL, name="Teller", country="US")
    pac = payer(dep, PayerKind.US_ORGANISATION, name="No-Id PAC",
                org=OrganisationType.POLITICAL_COMMITTEE, country="US")
    whole = payer(dep, PayerKind.US_INDIVIDUAL, name="Willa Whole", country="US")
    _address(mononym)
    _address(pac)
    _address(whole)
    for made in (nowhere, mononym, pac, whole):
        cost(dep, person, CostCategory.HOUSING, "300.00", made)
    db.session.commit()

    export = fec.build(db.session, dep)
    assert export.rows == []  # no filer id: nothing is written
    assert {i.contributor for i in export.incomplete} == {"Nora Nowhere", "Teller", "No-Id PAC",
                                                         "Willa Whole"}
    assert all("filing committee's FEC id" in i.missing[0] for i in export.incomplete)
    assert next(i for i in export.incomplete if i.contributor == "Willa Whole").fix == \
        ("deployment", dep.id)

    fec_facts.set_committee_fec_id(db.session, dep, "C00000001", actor=None)
    db.session.commit()
    export = fec.build(db.session, dep)
    missing = {i.contributor: " ".join(i.missing) for i in export.incomplete}
    assert set(missing) == {"Nora Nowhere", "Teller", "No-Id PAC"}
    assert "street address, city, state, ZIP code" in missing["Nora Nowhere"]
    assert "first and last name" in missing["Teller"]
    assert "paying committee's FEC id" in missing["No-Id PAC"]
    assert next(i for i in export.incomplete if i.contributor == "Teller").fix == \
        ("payer", mononym.id)
    written = fec.to_csv(export)
    assert "Whole" in written and "Nowhere" not in written and "Teller" not in written
    assert "No-Id PAC" not in written


def test_a_volunteers_own_spending_needs_an_address_tripledger_does_not_keep(app_ctx):
    dep = deployment(slug="fec-own")
    fec_facts.set_committee_fec_id(db.session, dep, "C00000001", actor=None)
    person = volunteer(citizenship=US, email="own@example.org")
    signup(dep, person)
    cost(dep, person, CostCategory.TRAVEL, "1450.00", description="Flight")  # $450 over
    db.session.commit()
    export = fec.build(db.session, dep)
    assert export.rows == [] and len(export.incomplete) == 1
    assert "postal address" in export.incomplete[0].missing[0]
    assert export.incomplete[0].fix[0] == "volunteer"


def test_aggregates_run_per_election_across_deployments_and_limits_follow_the_form(app_ctx):
    first, second = deployment(slug="fec-one"), deployment(slug="fec-two")
    person = volunteer(citizenship=US)
    signup(first, person)
    for dep in (first, second):
        fec_facts.set_committee_fec_id(db.session, dep, "C00000001", actor=None)
    early = payer(first, PayerKind.US_INDIVIDUAL, name="Greta Giver", country="US")
    late = payer(second, PayerKind.US_INDIVIDUAL, name="Greta  giver", country="US")
    _address(early)
    _address(late)
    cost(first, person, CostCategory.MEALS, "3000.00", early, day=date(2024, 10, 1))
    cost(second, person, CostCategory.MEALS, "400.00", late, day=date(2024, 10, 2))
    db.session.commit()
    export = fec.build(db.session, second, form="F3P")
    (receipt,) = export.rows[0::2]
    assert receipt["contribution_aggregate"] == "3400.00"  # the same person, same election
    assert [(o.aggregate, o.limit) for o in export.over_limit] == [
        (Decimal("3400.00"), Decimal("3300.00"))]  # an individual's limit on 2024-10-02
    assert fec.build(db.session, second, form="F3X").over_limit == []  # $5,000 to a PAC


# -- the command line ----------------------------------------------------------------------
def test_report_fec_writes_the_file_and_exits_2_when_rows_are_incomplete(app, runner,
                                                                         tmp_path):
    with app.app_context():
        dep = deployment(slug="fec-cli")
        fec_facts.set_committee_fec_id(db.session, dep, "C00000001", actor=None)
        person = volunteer(citizenship=US)
        signup(dep, person)
        good = payer(dep, PayerKind.US_INDIVIDUAL, name="Gail Good", country="US")
        _address(good)
        cost(dep, person, CostCategory.HOUSING, "250.00", good)
        db.session.commit()
    out = tmp_path / "fec.csv"
    result = runner.invoke(args=["report", "fec", "fec-cli", "--form", "F3X", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 receipt(s)" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["form_type"] for r in rows] == ["SA11AI", "SB21B"]
    assert rows[0]["contribution_amount"] == "250.00"  # a number: no $, no commas

    with app.app_context():
        dep = deps.get_deployment(db.session, "fec-cli")
        cost(dep, volunteer(citizenship=US), CostCategory.HOUSING, "260.00",
             payer(dep, PayerKind.US_INDIVIDUAL, name="Hal Homeless"))  # no address
        db.session.commit()
    result = runner.invoke(args=["report", "fec", "fec-cli", "--form", "F3P", "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "Incomplete, not written: 1" in result.output
    assert "Hal Homeless" in result.output and "street address" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["form_type"] for r in rows] == ["SA17A", "SB23"]  # the complete one, still

    result = runner.invoke(args=["report", "fec", "fec-cli", "--form", "F99", "-o", str(out)])
    assert result.exit_code == 1 and "No line numbers for form" in result.output
    result = runner.invoke(args=["report", "fec", "nowhere", "-o", str(out)])
    assert result.exit_code == 1


def test_report_fec_help_says_what_it_writes(runner):
    result = runner.invoke(args=["report", "fec", "--help"])
    assert result.exit_code == 0
    assert "F3|F3P|F3X" in result.output and "Schedule A/B" in result.output


# -- facts on entry ------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, field", [
    ({"state_code": "ZZ"}, "state"), ({"zip_": "2770"}, "zip"), ({"zip_": "27701-12"}, "zip"),
    ({"fec_committee_id": "C1234567"}, "fec_committee_id"),
    ({"fec_committee_id": "P00123456"}, "fec_committee_id"),
    ({"street_1": "x" * 35}, "street_1"), ({"street_2": "Apt 2"}, "street_1")])
def test_a_payers_address_and_committee_id_are_checked(app_ctx, kwargs, field):
    dep = deployment(slug="fec-facts")
    made = payer(dep, PayerKind.US_INDIVIDUAL, name="Pat Payer")
    with pytest.raises(ValidationFailed) as caught:
        fec_facts.set_payer_fec_facts(db.session, made, actor=None, **kwargs)
    assert caught.value.field == field


def test_the_checker_refuses_what_the_schemas_refuse():
    good = {"form_type": "SA11AI", "filer_committee_id_number": "C00000001",
            "transaction_type_identifier": "IN_KIND_RECEIPT", "transaction_id": "TLA1-R4",
            "entity_type": "IND", "contributor_last_name": "Smith",
            "contributor_first_name": "Jo", "contributor_street_1": "1 Main St",
            "contributor_city": "Durham", "contributor_state": "NC", "contributor_zip": "27701",
            "election_code": "G2024", "contribution_date": "2024-10-01",
            "contribution_amount": "250.00", "contribution_aggregate": "250.00",
            "aggregation_group": "GENERAL", "contribution_purpose_descrip": "In-Kind: meals",
            "contributor_employer": "X", "contributor_occupation": "Y"}
    kind = fec_schema.IN_KIND_RECEIPT

    def check(**change):
        return fec_schema.problems({**good, **change}, kind, form="F3X", form_type="SA11AI",
                                   employer_above=Decimal("200.00"))
    assert check() == []
    for change, words in (({"contributor_state": "ZZ"}, "state code"),
                          ({"contributor_zip": "2770"}, "ZIP"),
                          ({"filer_committee_id_number": "C123"}, "format"),
                          ({"contribution_amount": "$250"}, "number"),
                          ({"contribution_amount": "1,250.00"}, "number"),
                          ({"contribution_date": "10/01/2024"}, "format"),
                          ({"contribution_purpose_descrip": "Meals"}, "format"),
                          ({"contributor_city": "Zürich"}, "ASCII"),
                          ({"contributor_last_name": "x" * 31}, "longer than 30"),
                          ({"transaction_id": "tla1"}, "upper case"),
                          ({"aggregation_group": "OTHER"}, "GENERAL"),
                          ({"entity_type": "ORG"}, "IND"),
                          ({"contributor_first_name": ""}, "required"),
                          ({"contributor_employer": ""}, "above a $200.00 aggregate"),
                          ({"form_type": "SA17A"}, "SA11AI")):
        found = " ".join(check(**change))
        assert words in found, (change, found)


def test_text_is_folded_to_printable_ascii_and_names_split_on_the_last_word():
    assert ascii_fold("Zoë Ångström–Łukasz\n“ok”") == 'Zoe Angstrom-Lukasz "ok"'
    assert split_name("Mary Ann Smith") .first == "Mary Ann"
    assert split_name("Mary Ann Smith").last == "Smith"
    assert split_name("Cher") is None and split_name("  (host)  ") is None
    long = purpose("In-Kind: ", "word " * 40)
    assert len(long) <= 100 and long.startswith("In-Kind: word") and not long.endswith(" ")


# -- the browser ---------------------------------------------------------------------------
@pytest.mark.parametrize("role, status", [(Role.ORGANISER, 200), (Role.AUDITOR, 200),
                                          (Role.ADMIN, 200), (Role.VOLUNTEER, 403),
                                          (None, 302)])
def test_who_may_download_the_fec_export(app, client, login_as, role, status):
    with app.app_context():
        deployment(slug="fec-roles")
        db.session.commit()
    login_as(role)
    response = client.get("/deployments/fec-roles/findings/fec.csv?form=F3X")
    assert response.status_code == status
    if status == 200:
        assert response.mimetype == "text/csv"
        assert response.get_data(as_text=True).startswith("form_type,")
    elif role is None:
        assert "/login" in response.location


def test_the_reports_page_counts_complete_rows_and_lists_incomplete_ones(app, client,
                                                                         login_as):
    with app.app_context():
        dep = deployment(slug="fec-page")
        fec_facts.set_committee_fec_id(db.session, dep, "C00000001", actor=None)
        person = volunteer(citizenship=US)
        signup(dep, person)
        good = payer(dep, PayerKind.US_INDIVIDUAL, name="Gail Good", country="US")
        _address(good)
        bad = payer(dep, PayerKind.US_INDIVIDUAL, name="Hal Homeless", country="US")
        cost(dep, person, CostCategory.HOUSING, "250.00", good)
        cost(dep, person, CostCategory.HOUSING, "260.00", bad)
        db.session.commit()
        bad_id = bad.id
    login_as(Role.ORGANISER)
    html = client.get("/deployments/fec-page/reports/?fec_form=F3X").get_data(as_text=True)
    assert "FEC export (Schedule A/B in-kind)" in html
    assert '<option value="F3X" selected>' in html
    assert "<strong>1</strong> receipt complete" in html and "1 incomplete" in html
    assert "Hal Homeless" in html and "street address" in html
    assert f"/organiser/deployments/fec-page/ledger/payers/{bad_id}" in html
    assert "/deployments/fec-page/findings/fec.csv?form=F3X" in html
    assert "report fec fec-page --form F3X" in html


def test_the_payer_form_saves_an_address_and_refuses_a_bad_zip(app, client, login_as):
    with app.app_context():
        dep = deployment(slug="fec-form")
        made = payer(dep, PayerKind.US_ORGANISATION, name="Form PAC",
                     org=OrganisationType.POLITICAL_COMMITTEE, country="US")
        db.session.commit()
        path = f"/organiser/deployments/fec-form/ledger/payers/{made.id}"
        made_id = made.id
    login_as(Role.ORGANISER)
    data = {"csrf_token": csrf_token(client, path), "name": "Form PAC",
            "kind": "US_ORGANISATION", "country": "US", "organisation_type": "political_committee",
            "street_1": "1 Main St", "city": "Durham", "state": "NC", "zip": "2770",
            "fec_committee_id": "C00000009"}
    refused = client.post(path, data=data)
    assert refused.status_code == 422
    assert "is not a ZIP code" in refused.get_data(as_text=True)
    saved = client.post(path, data={**data, "zip": "27701"})
    assert saved.status_code == 302
    with app.app_context():
        from app.models import Payer
        stored = db.session.get(Payer, made_id)
        assert (stored.street_1, stored.state, stored.zip, stored.fec_committee_id) == (
            "1 Main St", "NC", "27701", "C00000009")


def test_deployment_settings_take_the_filers_committee_id(app, client, login_as):
    with app.app_context():
        deployment(slug="fec-settings")
        db.session.commit()
    login_as(Role.ORGANISER)
    path = "/organiser/deployments/fec-settings/settings"
    page = client.get(path).get_data(as_text=True)
    assert "Receiving committee&#39;s FEC id" in page or "Receiving committee's FEC id" in page
    data = {"csrf_token": csrf_token(client, path), "status": "open", "offer_hours": "48",
            "name": "Test deployment", "starts_on": "2024-10-20", "ends_on": "2024-11-06",
            "election_code": "G2024", "election_office": "president",
            "election_jurisdiction": "US", "committee_fec_id": "C123"}
    refused = client.post(path, data=data)
    assert refused.status_code == 422 and "is not an FEC committee id" in \
        refused.get_data(as_text=True)
    assert client.post(path, data={**data, "committee_fec_id": "c00000042"}).status_code == 302
    with app.app_context():
        assert deps.get_deployment(db.session, "fec-settings").committee_fec_id == "C00000042"


# -- the demo ------------------------------------------------------------------------------
@pytest.mark.starts_from("demo")
@pytest.mark.parametrize("form", ["F3", "F3P", "F3X"])
def test_the_demo_exports_with_no_incomplete_rows(app_ctx, form):
    from app.services.demo import SLUG
    export = fec.build(db.session, deps.get_deployment(db.session, SLUG), form=form)
    assert export.incomplete == []
    assert export.receipts == 5
    kinds = _by_type(export.rows)
    assert set(kinds) == {"IN_KIND_RECEIPT", "IN_KIND_OUT", "PAC_IN_KIND_RECEIPT",
                          "PAC_IN_KIND_OUT"}
