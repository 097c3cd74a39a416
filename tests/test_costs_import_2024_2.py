"""costs.csv under rule set 2024.2: optional columns may be left out; organisation types are
asked for, never assumed; an undisclosed payer needs no name; line references and
reimbursements link lines (in the file or recorded); ``cash_outlay``; the warnings shown
before saving (check, browser preview, CLI dry run); and a ledger export imports again.

Every refused file is all or nothing: each problem names its line and column, and nothing is
written."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (Citizenship, Cost, CostCategory, FindingCode, OrganisationType, Payer,
                        PayerKind, Role, User, Volunteer)
from app.models.compliance import FindingPriority
from app.services import costs_import, deployments, exports, ledger, volunteers_import
from app.services.csv_import import ImportRejected

from .builders import (current_findings, make_cost, make_election_deployment, make_organiser,
                       make_payer_of_kind, make_signup, make_signup_deployment, make_volunteer,
                       one_finding)
from .conftest import csrf_token

US, FN = Citizenship.US_CITIZEN, Citizenship.FOREIGN_NATIONAL
REQUIRED = costs_import.COLUMNS
FULL = (*costs_import.COLUMNS, *costs_import.OPTIONAL_COLUMNS)
ORG_TYPES = ("corporation, labor_union, federal_contractor, political_committee, "
             "party_committee, unincorporated")
ANA, BO, CY = "ana@example.org", "bo@example.org", "cy@example.org"
CAMPAIGN = "Harper for America"


def row(email=ANA, category="TRAVEL", amount="100.00", payer="Self", kind="", *, country="",
        org="", description="", in_residence="", cash="", ref="", repays="", currency="USD",
        day="2024-10-18", arranged="", paid_to="", usd="") -> dict:
    """One costs.csv row (a USD line on 2024-10-18 paid by "Self" unless said otherwise)."""
    return {"volunteer_email": email, "category": category, "description": description,
            "amount": amount, "currency": currency, "incurred_on": day, "payer_name": payer,
            "payer_kind": kind, "payer_country": country, "arranged_by": arranged,
            "paid_to": paid_to, "in_residence": in_residence, "amount_usd": usd,
            "payer_org_type": org, "cash_outlay": cash, "line_ref": ref, "reimburses_ref": repays}


def _csv(*rows: dict, header=FULL) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(column, "") for column in header])
    return out.getvalue().encode()


@pytest.fixture
def world(app):
    """Deployment "imp2" (G2024): three volunteers and a registry of six payers."""
    with app.app_context():
        dep = make_election_deployment(slug="imp2")
        people = {ANA: make_volunteer(ANA, FN), BO: make_volunteer(BO, US),
                  CY: make_volunteer(CY, US)}
        for n, person in enumerate(people.values()):
            make_signup(dep, person, "NC" if n % 2 else "PA")
        make_payer_of_kind(dep, PayerKind.SELF, name="Self")
        make_payer_of_kind(dep, PayerKind.CAMPAIGN, name=CAMPAIGN, country="US")
        make_payer_of_kind(dep, PayerKind.FOREIGN_PARTY, name="Northbridge Labour Party",
                           country="GB")
        make_payer_of_kind(dep, PayerKind.US_INDIVIDUAL, name="Dana Whitfield", country="US")
        make_payer_of_kind(dep, PayerKind.US_ORGANISATION, name="Megacorp", country="US",
                           org=OrganisationType.CORPORATION)
        make_payer_of_kind(dep, PayerKind.US_ORGANISATION, name="Untyped Org", country="US")
        db.session.commit()
        return {email: person.id for email, person in people.items()}


def _dep():
    return deployments.get_deployment(db.session, "imp2")


def _counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Cost)),
            db.session.scalar(select(func.count()).select_from(Payer)))


def _import(data: bytes, dep=None):
    result = costs_import.import_costs(db.session, dep or _dep(), data, actor=None,
                                       filename="costs.csv")
    db.session.commit()
    return result


def _refused(data: bytes, dep=None) -> ImportRejected:
    """Import ``data``, expecting it refused whole; checks that nothing was written."""
    before = _counts()
    with pytest.raises(ImportRejected) as caught:
        costs_import.import_costs(db.session, dep or _dep(), data, actor=None,
                                  filename="costs.csv")
    db.session.rollback()
    assert _counts() == before
    return caught.value


def _where(rejected: ImportRejected) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in rejected.errors]


def _volunteer(email: str) -> Volunteer:
    return db.session.scalar(select(Volunteer).join(User, User.id == Volunteer.user_id)
                             .where(User.email == email))


def _lines() -> list[Cost]:
    return db.session.scalars(select(Cost).order_by(Cost.id)).all()


def _by_ref(ref: str) -> Cost:
    return db.session.scalar(select(Cost).where(Cost.line_ref == ref))


# -- optional columns -------------------------------------------------------------------------
def test_a_header_of_the_13_required_columns_still_imports(app_ctx, world):
    assert len(REQUIRED) == 13
    result = _import(_csv(row(), row(BO, "HOUSING", "80.00", "Dana Whitfield",
                                     in_residence="yes"),
                          header=REQUIRED))
    assert result.written == 2
    travel, room = _lines()
    assert (travel.cash_outlay, travel.line_ref, travel.reimburses_id) == (True, None, None)
    assert room.cash_outlay is False   # a room in the host's own home: no money paid out
    assert current_findings(cost_id=travel.id) == {("R3", "VOL_OK", "100.00")}


def test_optional_columns_may_come_in_any_order_and_any_case(app_ctx, world):
    header = ("LINE_REF", *reversed(REQUIRED), " Payer_Org_Type ")
    result = _import(_csv({**row(payer="New PAC", kind="US_ORGANISATION", country="US"),
                           "LINE_REF": "X-1", " Payer_Org_Type ": "political_committee"},
                          header=header))
    assert result.written == 1
    line = _by_ref("X-1")
    assert line.payer.organisation_type is OrganisationType.POLITICAL_COMMITTEE


# -- organisation types -----------------------------------------------------------------------
@pytest.mark.parametrize("header", [FULL, REQUIRED], ids=["blank type", "no type column"])
def test_a_new_us_organisation_without_a_type_is_one_error_on_its_first_row(app_ctx, world,
                                                                            header):
    rejected = _refused(_csv(row(BO, payer="Fresh Org", kind="US_ORGANISATION", country="US"),
                             row(CY, payer="Fresh Org"),
                             row(BO, payer="Fresh Org", kind="US_ORGANISATION"),
                             header=header))
    assert _where(rejected) == [(2, "payer_org_type")]
    assert "'Fresh Org' is a new US organisation: give its type" in rejected.message
    assert ORG_TYPES in rejected.message


def test_the_type_may_be_given_on_a_later_row_of_the_same_payer(app_ctx, world):
    _import(_csv(row(BO, payer="Fresh Org", kind="US_ORGANISATION", country="US"),
                 row(CY, payer="Fresh Org", org="political_committee"),
                 row(BO, "MEALS", "30.00", payer="Fresh Org")))
    fresh = db.session.scalar(select(Payer).where(Payer.name == "Fresh Org"))
    assert (fresh.kind, fresh.organisation_type) == (PayerKind.US_ORGANISATION,
                                                     OrganisationType.POLITICAL_COMMITTEE)
    assert {line.payer_id for line in _lines()} == {fresh.id}


@pytest.mark.parametrize(("rows", "where", "words"), [
    pytest.param([row(BO, payer="Fresh Org", kind="US_ORGANISATION", org="charity")],
                 [(2, "payer_org_type")], "'charity' is not an organisation type; use one of "
                 + ORG_TYPES, id="unknown type"),
    pytest.param([row(BO, payer="Fresh Org", kind="US_ORGANISATION", org="corporation"),
                  row(BO, payer="Fresh Org", org="labor_union")],
                 [(3, "payer_org_type")], "'Fresh Org' is a corporation on line 2",
                 id="two types for one new payer"),
    pytest.param([row(BO, payer="Pat Friend", kind="US_INDIVIDUAL", org="corporation")],
                 [(2, "payer_org_type")], "only a US organisation has an organisation type",
                 id="type on a new person"),
    pytest.param([row(BO, payer="Pat Friend", kind="US_INDIVIDUAL"),
                  row(BO, payer="Pat Friend", org="corporation")],
                 [(3, "payer_org_type")], "only a US organisation has an organisation type",
                 id="type on a later row of a new person"),
    pytest.param([row(BO, payer="Dana Whitfield", org="political_committee")],
                 [(2, "payer_org_type")], "'Dana Whitfield' is not a US organisation",
                 id="type on a registry person"),
    pytest.param([row(BO, payer="Megacorp", org="political_committee")],
                 [(2, "payer_org_type")], "in the payer registry as a corporation, not a "
                 "political_committee", id="contradicts the registry"),
    pytest.param([row(BO, payer="Untyped Org", org="corporation"),
                  row(CY, payer="Untyped Org", org="party_committee")],
                 [(3, "payer_org_type")], "one payer has one type",
                 id="two types for one registry payer"),
])
def test_a_wrong_organisation_type_is_an_error_with_line_and_column(app_ctx, world, rows,
                                                                    where, words):
    rejected = _refused(_csv(*rows, row(CY)))
    assert _where(rejected) == where
    assert words in rejected.message


@pytest.mark.parametrize(("org", "findings"), [
    ("political_committee", {("R22", "INKIND_REPORTABLE", "250.00")}),
    ("party_committee", {("R22", "INKIND_REPORTABLE", "250.00")}),
    ("unincorporated", {("R22", "INKIND_REPORTABLE", "250.00")}),
    ("corporation", {("R20", "PROHIBITED_SOURCE", "250.00")}),
    ("labor_union", {("R20", "PROHIBITED_SOURCE", "250.00")}),
    ("federal_contractor", {("R20", "PROHIBITED_SOURCE", "250.00")}),
])
def test_the_type_fills_a_registry_payer_and_decides_r20_or_r22(app_ctx, world, org, findings):
    result = _import(_csv(row(BO, "HOUSING", "250.00", "Untyped Org", org=org, ref="H-1"),
                          row(CY, "HOUSING", "250.00", "Fresh Org", "US_ORGANISATION", org=org,
                              ref="H-2")))
    assert {name: kind.value for name, kind in result.types_recorded.items()} == \
        {"Untyped Org": org}
    for ref, name in (("H-1", "Untyped Org"), ("H-2", "Fresh Org")):
        line = _by_ref(ref)
        assert (line.payer.name, line.payer.organisation_type.value) == (name, org)
        assert current_findings(cost_id=line.id) == findings


# -- undisclosed payers -----------------------------------------------------------------------
@pytest.mark.parametrize("header", [FULL, REQUIRED])
def test_an_unknown_payer_needs_no_name_and_is_found_by_r24(app_ctx, world, header):
    _import(_csv(row(BO, "HOUSING", "120.00", "", "UNKNOWN"),
                 row(ANA, "HOUSING", "80.00", "", "unknown"), header=header))
    undisclosed = db.session.scalars(select(Payer).where(
        Payer.name == ledger.UNDISCLOSED_PAYER)).all()
    assert [(p.kind, p.country) for p in undisclosed] == [(PayerKind.UNKNOWN, None)]
    bo_line, ana_line = _lines()
    assert bo_line.payer_id == ana_line.payer_id == undisclosed[0].id
    assert current_findings(cost_id=bo_line.id) == {("R24", "REVIEW_PAYER_UNKNOWN", "120.00")}
    assert current_findings(cost_id=ana_line.id) == {("R24", "REVIEW_PAYER_UNKNOWN", "80.00")}
    # a foreign national's undisclosed payer is a high-priority question
    assert one_finding(cost_id=ana_line.id).priority is FindingPriority.HIGH


def test_a_second_file_reuses_the_undisclosed_payer(app_ctx, world):
    _import(_csv(row(BO, "HOUSING", "120.00", "", "UNKNOWN")))
    _import(_csv(row(CY, "MEALS", "20.00", "", "UNKNOWN")))
    assert db.session.scalar(select(func.count()).select_from(Payer).where(
        Payer.name == ledger.UNDISCLOSED_PAYER)) == 1


@pytest.mark.parametrize("kind", ["CAMPAIGN", "SELF", "US_INDIVIDUAL", ""])
def test_only_an_unknown_payer_may_be_left_unnamed(app_ctx, world, kind):
    rejected = _refused(_csv(row(BO), row(CY, payer="", kind=kind)))
    assert _where(rejected) == [(3, "payer_name")]
    assert "only a payer of kind UNKNOWN may be left unnamed" in rejected.message


# -- line references and reimbursements -------------------------------------------------------
@pytest.fixture
def recorded(app, world):
    """Recorded lines: Ana's own flight FL-1 ($640, $400 of it repaid by RB-1) and Bo's own
    meals (no reference); returns their ids."""
    with app.app_context():
        dep = _dep()
        ana, bo = _volunteer(ANA), _volunteer(BO)
        campaign = db.session.scalar(select(Payer).where(Payer.name == CAMPAIGN))
        own = make_cost(dep, ana, CostCategory.TRAVEL, "640.00", line_ref="FL-1")
        repaid = make_cost(dep, ana, CostCategory.TRAVEL, "400.00", campaign, line_ref="RB-1",
                           reimburses_id=own.id, day=date(2024, 11, 1))
        meals = make_cost(dep, bo, CostCategory.MEALS, "90.00")
        db.session.commit()
        return {"own": own.id, "repaid": repaid.id, "meals": meals.id}


@pytest.mark.parametrize(("rows", "where", "words"), [
    pytest.param([row(ref="A-1"), row(BO, ref="A-1")], [(3, "line_ref")],
                 "'A-1' is also on line 2", id="a reference twice in the file"),
    pytest.param([row(ref="FL-1")], [(2, "line_ref")],
                 "already has the reference 'FL-1'", id="a reference already recorded"),
    pytest.param([row(ref="#12")], [(2, "line_ref")], "cannot start with #",
                 id="a reference like a line number"),
    pytest.param([row(payer=CAMPAIGN, repays="NOPE")], [(2, "reimburses_ref")],
                 "no line of this file or of the deployment has the reference 'NOPE'",
                 id="names no line"),
    pytest.param([row(payer=CAMPAIGN, repays="#99999")], [(2, "reimburses_ref")],
                 "has the reference '#99999'", id="names no line number"),
    pytest.param([row(BO, ref="B-1"), row(ANA, payer=CAMPAIGN, repays="B-1")],
                 [(3, "reimburses_ref")], "'B-1' is another volunteer's line",
                 id="another volunteer's line in the file"),
    pytest.param([row(BO, payer=CAMPAIGN, repays="FL-1")], [(2, "reimburses_ref")],
                 "'FL-1' is another volunteer's line", id="another volunteer's recorded line"),
    pytest.param([row(ANA, payer=CAMPAIGN, ref="C-1"),
                  row(ANA, payer="Dana Whitfield", repays="C-1")],
                 [(3, "reimburses_ref")], "'C-1' was not paid by the volunteer",
                 id="a line not paid by the volunteer"),
    pytest.param([row(ANA, payer=CAMPAIGN, repays="RB-1")], [(2, "reimburses_ref")],
                 "'RB-1' was not paid by the volunteer", id="a recorded reimbursement"),
    pytest.param([row(ANA, ref="O-1"), row(ANA, payer="Self", repays="O-1")],
                 [(3, "payer_kind")], "a reimbursement is paid by someone other than the "
                 "volunteer", id="repaid by the volunteer themself"),
    pytest.param([row(ANA, payer=CAMPAIGN, ref="S-1", repays="S-1")], [(2, "reimburses_ref")],
                 "cannot repay itself", id="repays itself"),
    pytest.param([row(ANA, amount="100.00", ref="O-1"),
                  row(ANA, amount="100.01", payer=CAMPAIGN, repays="O-1")],
                 [(3, "amount_usd")], "repays $100.01 of 'O-1' in all, which cost $100.00",
                 id="more than a line of the file"),
    pytest.param([row(ANA, amount="240.01", payer=CAMPAIGN, repays="FL-1")],
                 [(2, "amount_usd")], "repays $640.01 of 'FL-1' in all, which cost $640.00",
                 id="more than is left of a recorded line"),
    pytest.param([row(ANA, amount="200.00", payer=CAMPAIGN, repays="FL-1"),
                  row(ANA, amount="40.01", payer="Dana Whitfield", repays="FL-1")],
                 [(3, "amount_usd")], "repays $640.01 of 'FL-1' in all",
                 id="two rows together exceed a recorded line"),
    pytest.param([row(ANA, amount="100.00", ref="O-1"),
                  row(ANA, amount="60.00", payer=CAMPAIGN, repays="O-1"),
                  row(ANA, amount="60.00", payer="Dana Whitfield", repays="O-1")],
                 [(4, "amount_usd")], "repays $120.00 of 'O-1' in all, which cost $100.00",
                 id="two rows together exceed a line of the file"),
])
def test_a_bad_reference_is_an_error_with_line_and_column(app_ctx, recorded, rows, where, words):
    rejected = _refused(_csv(*rows))
    assert sorted(set(_where(rejected))) == where
    assert words.replace("$", "") in rejected.message.replace("$", "")


def test_a_line_number_of_another_deployment_names_no_line(app_ctx, recorded):
    other = make_election_deployment(slug="other")
    rejected = _refused(_csv(row(ANA, payer=CAMPAIGN, kind="CAMPAIGN",
                                 repays=f"#{recorded['meals']}")), dep=other)
    assert _where(rejected) == [(2, "reimburses_ref")]


def test_a_pair_in_the_file_imports_linked_even_reimbursement_first(app_ctx, world):
    _import(_csv(row(ANA, amount="640.00", payer=CAMPAIGN, repays="FL-9", ref="RB-9",
                     day="2024-11-01"),
                 row(BO),
                 row(ANA, amount="640.00", ref="FL-9", description="Flight")))
    own, repaying = _by_ref("FL-9"), _by_ref("RB-9")
    assert repaying.reimburses_id == own.id and own.reimburses_id is None
    assert current_findings(cost_id=own.id) == {("R18", "VOL_OK", "0.00")}
    assert current_findings(cost_id=repaying.id) == {("R7", "CAMPAIGN_EXP", "640.00"),
                                                     ("R7", "REVIEW_CONTESTED", "640.00")}


def test_a_partial_pair_without_a_reference_on_the_reimbursement(app_ctx, world):
    _import(_csv(row(BO, amount="1200.00", ref="FL-2"),
                 row(BO, amount="500.00", payer="Dana Whitfield", repays="FL-2")))
    own = _by_ref("FL-2")
    repaying = db.session.scalar(select(Cost).where(Cost.reimburses_id == own.id))
    assert current_findings(cost_id=own.id) == {("R3", "VOL_OK", "700.00")}
    assert current_findings(cost_id=repaying.id) == {("R16", "INKIND_REPORTABLE", "500.00")}


def test_recorded_lines_are_named_by_reference_or_by_number(app_ctx, recorded):
    _import(_csv(row(ANA, amount="240.00", payer="Dana Whitfield", repays="FL-1"),
                 row(BO, amount="90.00", payer=CAMPAIGN, repays=f"#{recorded['meals']}")))
    new = _lines()[-2:]
    assert [line.reimburses_id for line in new] == [recorded["own"], recorded["meals"]]
    assert current_findings(cost_id=recorded["own"]) == {("R18", "VOL_OK", "0.00")}
    assert current_findings(cost_id=recorded["meals"]) == {("R18", "VOL_OK", "0.00")}


# -- cash outlay ------------------------------------------------------------------------------
@pytest.mark.parametrize(("cash", "findings"), [
    ("no", {("R14", "VOL_OK", "300.00"), ("R14", "REVIEW_CONTESTED", "300.00")}),
    ("", {("R14", "VOL_OK", "300.00"), ("R14", "REVIEW_CONTESTED", "300.00")}),
    ("yes", {("R16", "INKIND_REPORTABLE", "300.00")}),
])
def test_cash_outlay_decides_r14_for_a_hosts_spare_room(app_ctx, world, cash, findings):
    _import(_csv(row(CY, "HOUSING", "300.00", "Dana Whitfield", description="Spare room",
                     in_residence="yes", cash=cash, ref="ROOM")))
    room = _by_ref("ROOM")
    assert room.cash_outlay is (cash == "yes")
    assert current_findings(cost_id=room.id) == findings
    if cash != "yes":
        assert one_finding(cost_id=room.id, code=FindingCode.REVIEW_CONTESTED).priority \
            is FindingPriority.LOW


def test_a_cash_outlay_that_is_not_yes_or_no_is_an_error(app_ctx, world):
    rejected = _refused(_csv(row(CY, "HOUSING", "300.00", "Dana Whitfield", in_residence="yes",
                                 cash="perhaps")))
    assert _where(rejected) == [(2, "cash_outlay")]


# -- volunteers.csv ---------------------------------------------------------------------------
def test_volunteers_csv_without_the_override_column_imports(app_ctx):
    dep = make_signup_deployment(spots={"NC": 2})
    header = ",".join(volunteers_import.COLUMNS)
    good = (header + "\nAva Penrose,ava@example.org,FOREIGN_NATIONAL,GB,,none,NC,canvasser,,,"
            "UNPAID\n").encode()
    result = volunteers_import.import_volunteers(db.session, dep, good, actor=make_organiser())
    db.session.commit()
    assert result.rows == 1 and result.claims == {("NC", "confirmed"): 1}
    users = db.session.scalar(select(func.count()).select_from(User))
    bad = (header + "\nZed Zed,zed@example.org,FOREIGN_NATIONAL,GB,,none,NC,manager,,,"
           "UNPAID\n").encode()
    with pytest.raises(ImportRejected) as caught:
        volunteers_import.import_volunteers(db.session, dep, bad, actor=None)
    db.session.rollback()
    assert _where(caught.value) == [(2, "role_override_reason")]
    assert db.session.scalar(select(func.count()).select_from(User)) == users


# -- warnings before saving -------------------------------------------------------------------
def _warned() -> bytes:
    return _csv(row(ANA, "STIPEND", "500.00", "Northbridge Labour Party"),
                row(BO, "STIPEND", "300.00", CAMPAIGN),
                row(BO, "TRAVEL", "100.00"),
                row(CY, "GIFT", "50.00", "Megacorp", description="Gift card"),
                row(CY, "MEALS", "20.00", CAMPAIGN))


WARNED = [(2, "PROHIBITED_FOREIGN_INKIND", "R10"), (3, "COMPENSATION", "R8"),
          (5, "PROHIBITED_SOURCE", "R20")]


def test_check_costs_says_what_saving_would_record(app_ctx, world):
    before = _counts()
    result = costs_import.check_costs(db.session, _dep(), _warned(), filename="costs.csv")
    assert [(w["line"], w["code"], w["rule"]) for w in result.warnings] == WARNED
    assert result.warning_counts == {"COMPENSATION": 1, "PROHIBITED_FOREIGN_INKIND": 1,
                                     "PROHIBITED_SOURCE": 1}
    assert all(w["reason"] for w in result.warnings)
    assert result.summary()["warning_counts"] == result.warning_counts
    assert _counts() == before


def test_warnings_count_lines_already_recorded_and_reimbursements(app_ctx, world):
    make_cost(_dep(), _volunteer(ANA), CostCategory.TRAVEL, "900.00", day=date(2024, 10, 1))
    db.session.commit()
    result = costs_import.check_costs(db.session, _dep(), _csv(
        row(ANA, amount="300.00", ref="T-2"),                       # $200 above the $1,000
        row(ANA, amount="300.00", payer=CAMPAIGN, repays="T-2")))   # ... unless it is repaid
    assert result.warnings == []
    result = costs_import.check_costs(db.session, _dep(), _csv(row(ANA, amount="300.00")))
    assert [(w["line"], w["code"], w["rule"]) for w in result.warnings] == [
        (2, "PROHIBITED_FOREIGN_INKIND", "R5")]


@pytest.mark.parametrize(("org", "warned"), [
    ("political_committee", []),
    ("corporation", [(2, "PROHIBITED_SOURCE", "R20")]),
])
def test_warnings_use_the_type_the_file_gives_a_registry_payer(app_ctx, world, org, warned):
    """"Untyped Org" is in the registry without a type; the file says what it is. The preview
    must warn about what saving will record (R22 for a PAC), not about the type it would
    assume without the file (a corporation, R20)."""
    data = _csv(row(BO, "HOUSING", "250.00", "Untyped Org", org=org, ref="H-1"))
    result = costs_import.check_costs(db.session, _dep(), data)
    assert [(w["line"], w["code"], w["rule"]) for w in result.warnings] == warned
    _import(data)
    recorded = {code for _, code, _ in current_findings(cost_id=_by_ref("H-1").id)}
    assert bool(recorded & {"PROHIBITED_SOURCE"}) == bool(warned)


def test_the_import_preview_page_shows_the_warnings(app, world, client, login_as):
    login_as(Role.ORGANISER)
    base = "/organiser/deployments/imp2/ledger/import"
    uploaded = client.post(base, data={"csrf_token": csrf_token(client, base),
                                       "file": (io.BytesIO(_warned()), "costs.csv")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)
    page = client.get(uploaded.location).get_data(as_text=True)
    assert "Importing this will record 3 findings that need review" in page
    for line, code, rule in WARNED:
        assert re.search(rf'<strong>Line {line}</strong> · <span class="badge code-{code}">'
                         rf'{code}</span> \({rule}\): ', page), (line, code)
    with app.app_context():
        assert _counts()[0] == 0


def test_an_upload_with_the_new_columns_is_confirmed_as_previewed(app, world, client, login_as):
    """The browser keeps the parsed rows with the upload: types, an undisclosed payer, a
    reimbursement before its own expense and a cash-outlay fact survive until confirmation."""
    login_as(Role.ORGANISER)
    base = "/organiser/deployments/imp2/ledger/import"
    data = _csv(row(ANA, amount="640.00", payer=CAMPAIGN, repays="FL-7", ref="RB-7"),
                row(ANA, amount="640.00", ref="FL-7"),
                row(BO, "HOUSING", "120.00", "", "UNKNOWN", ref="UNK"),
                row(CY, "MEALS", "45.00", "New PAC", "US_ORGANISATION", org="political_committee",
                    ref="PAC"),
                row(CY, "HOUSING", "300.00", "Dana Whitfield", in_residence="yes", cash="no",
                    ref="ROOM"))
    uploaded = client.post(base, data={"csrf_token": csrf_token(client, base),
                                       "file": (io.BytesIO(data), "costs.csv")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)
    preview = client.get(uploaded.location).get_data(as_text=True)
    assert "5 lines, 1745.00 USD</strong> will be added" in preview
    assert "New PAC</strong> (US_ORGANISATION, political committee" in preview
    assert f"{ledger.UNDISCLOSED_PAYER}</strong> (UNKNOWN)" in preview
    confirmed = client.post(uploaded.location, data={"csrf_token": csrf_token(client, base)})
    assert confirmed.status_code == 302
    with app.app_context():
        assert _by_ref("RB-7").reimburses_id == _by_ref("FL-7").id
        assert current_findings(cost_id=_by_ref("FL-7").id) == {("R18", "VOL_OK", "0.00")}
        assert _by_ref("UNK").payer.name == ledger.UNDISCLOSED_PAYER
        assert _by_ref("PAC").payer.organisation_type is OrganisationType.POLITICAL_COMMITTEE
        assert _by_ref("ROOM").cash_outlay is False


def test_the_cli_dry_run_prints_the_warnings_and_writes_nothing(app, world, runner, tmp_path):
    path = tmp_path / "costs.csv"
    path.write_bytes(_warned())
    with app.app_context():
        before = _counts()
    result = runner.invoke(args=["import", "costs", "imp2", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert ("Importing would record 3 findings that need review (COMPENSATION 1, "
            "PROHIBITED_FOREIGN_INKIND 1, PROHIBITED_SOURCE 1):") in result.output
    for line, code, rule in WARNED:
        assert f"  line {line}: {code} ({rule}) " in result.output
    assert "nothing was written" in result.output
    with app.app_context():
        assert _counts() == before


# -- a ledger export imports again ------------------------------------------------------------
def _in(dep, ref: str) -> Cost:
    return db.session.scalar(select(Cost).where(Cost.deployment_id == dep.id,
                                                Cost.line_ref == ref))


def test_an_exported_ledger_imports_into_a_fresh_deployment_with_its_pairs(app_ctx, recorded):
    """The export of "imp2" (Ana's flight FL-1 partly repaid by RB-1, Bo's flight FL-B fully
    repaid by RB-B, a host's spare room, a PAC's meals, a line without a reference) imported
    into a fresh deployment: the pairs are linked again and classified as before."""
    dep = _dep()
    campaign = db.session.scalar(select(Payer).where(Payer.name == CAMPAIGN))
    host = db.session.scalar(select(Payer).where(Payer.name == "Dana Whitfield"))
    bo, cy = _volunteer(BO), _volunteer(CY)
    own_b = make_cost(dep, bo, CostCategory.TRAVEL, "150.00", line_ref="FL-B")
    make_cost(dep, bo, CostCategory.TRAVEL, "150.00", campaign, line_ref="RB-B",
              reimburses_id=own_b.id, day=date(2024, 11, 2))
    make_cost(dep, cy, CostCategory.HOUSING, "300.00", host, in_residence=True,
              cash_outlay=False, line_ref="ROOM")
    pac = make_payer_of_kind(dep, PayerKind.US_ORGANISATION, name="A PAC", country="US",
                             org=OrganisationType.POLITICAL_COMMITTEE)
    make_cost(dep, cy, CostCategory.MEALS, "45.00", pac, line_ref="PAC-1")
    db.session.commit()
    exported = exports.ledger_csv(db.session, dep)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["line_ref"]: r["reimburses_ref"] for r in rows} == {
        "FL-1": "", "RB-1": "FL-1", "": "", "FL-B": "", "RB-B": "FL-B", "ROOM": "", "PAC-1": ""}
    fresh = make_election_deployment(slug="fresh", election_code="G2026")
    db.session.commit()
    result = _import(exported.encode(), dep=fresh)
    assert result.written == len(rows) == 7
    for own, repaying in (("FL-1", "RB-1"), ("FL-B", "RB-B")):
        assert _in(fresh, repaying).reimburses_id == _in(fresh, own).id
    assert current_findings(cost_id=_in(fresh, "FL-B").id) == {("R18", "VOL_OK", "0.00")}
    assert current_findings(cost_id=_in(fresh, "FL-1").id) == {("R3", "VOL_OK", "240.00")}
    for ref in ("FL-1", "RB-1", "FL-B", "RB-B", "ROOM", "PAC-1"):
        assert current_findings(cost_id=_in(fresh, ref).id) == \
            current_findings(cost_id=_in(dep, ref).id), ref
    room = _in(fresh, "ROOM")
    assert room.cash_outlay is False and room.in_residence is True
    assert _in(fresh, "PAC-1").payer.organisation_type is OrganisationType.POLITICAL_COMMITTEE


def test_a_line_without_a_reference_is_exported_by_number(app_ctx, recorded):
    dep = _dep()
    campaign = db.session.scalar(select(Payer).where(Payer.name == CAMPAIGN))
    make_cost(dep, _volunteer(BO), CostCategory.MEALS, "30.00", campaign,
              reimburses_id=recorded["meals"])
    db.session.commit()
    rows = list(csv.DictReader(io.StringIO(exports.ledger_csv(db.session, dep))))
    assert {r["reimburses_ref"] for r in rows if r["reimburses_ref"]} == \
        {"FL-1", f"#{recorded['meals']}"}
