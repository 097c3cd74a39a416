"""Rule set 2024.2 (compliance-rules.md, "Rule set 2024.2 — what changes"), without a database.

Every new or changed rule is tested both ways (a case where it applies, one where it must
not), at its thresholds, and against 2024.1: each case states what 2024.2 gives, and the
``differs`` cases also state what 2024.1 gave, so the test fails on the old version.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.services.compliance import rules
from app.services.compliance.engine import (LineFacts, RoleFacts, classify_lines, classify_role,
                                            disagreements, paid_lines)

from .conftest import ON_POSTGRES

NEW = rules.compile_document(rules.bundled_document("2024.2"))
OLD = rules.compile_document(rules.bundled_document("2024.1"))
FN, US = "FOREIGN_NATIONAL", "US_CITIZEN"
PFI, PP, PS, COMP, RPU, RC, INK, CAMP, OOS, OK = (
    "PROHIBITED_FOREIGN_INKIND", "PROHIBITED_PARTICIPATION", "PROHIBITED_SOURCE",
    "COMPENSATION", "REVIEW_PAYER_UNKNOWN", "REVIEW_CONTESTED", "INKIND_REPORTABLE",
    "CAMPAIGN_EXP", "OUT_OF_SCOPE", "VOL_OK")

BASE = LineFacts(line_id=1, volunteer_id=1, election_key="G2024", citizenship=US,
                 leave_type=None, category="TRAVEL", description="", amount_usd=Decimal("100.00"),
                 incurred_on=date(2024, 10, 10), payer_id=10, payer_kind="SELF",
                 payer_name="Self", organisation_type=None, arranged_by_id=None,
                 arranged_by_kind=None, in_residence=False, reimbursed=False)


def line(**changes) -> LineFacts:
    for key in ("amount_usd", "usd_deviation"):
        if isinstance(changes.get(key), str):
            changes[key] = Decimal(changes[key])
    return replace(BASE, **changes)


def found(rule_set, *lines_in: LineFacts, of: int | None = None) -> set[tuple[str, str, str]]:
    """{(rule, code, amount)} of line ``of`` (the last one unless given)."""
    results = classify_lines(rule_set, list(lines_in))
    wanted = lines_in[-1].line_id if of is None else of
    return {(o.rule_id, o.code, f"{o.amount_usd:.2f}") for o in results[wanted]}


def codes(rule_set, *lines_in: LineFacts) -> set[tuple[str, str]]:
    return {(rule, code) for rule, code, _amount in found(rule_set, *lines_in)}


def test_2024_2_is_bundled_and_the_default_for_new_installs():
    assert "2024.2" in rules.bundled_versions() and rules.DEFAULT_VERSION == "2024.2"
    assert rules.default_rule_set().version == "2024.2"
    assert {"R12u", "R2c", "R18", "R27"} <= set(NEW.by_id) and \
        not {"R12u", "R2c", "R18", "R27"} & set(OLD.by_id)


# -- each changed line rule: 2024.2's codes, and 2024.1's where they differ ----------------
SALARY = dict(category="SALARY_CONTINUED", payer_kind="US_ORGANISATION")
GIFT = dict(category="GIFT")

CASES = [
    # (what, the line, 2024.2's (rule, code) pairs, 2024.1's pairs or None when the same)
    # R12u: earned leave paid by a US corporation, union or federal contractor is VOL_OK.
    ("earned leave, US corporation", line(**SALARY, organisation_type="corporation",
                                          leave_type="BONA_FIDE_EARNED_LEAVE"),
     {("R12u", OK)}, {("R20", PS)}),
    ("earned leave, US union", line(**SALARY, organisation_type="labor_union",
                                    leave_type="BONA_FIDE_EARNED_LEAVE"),
     {("R12u", OK)}, {("R20", PS)}),
    ("earned leave, federal contractor", line(**SALARY, organisation_type="federal_contractor",
                                              leave_type="BONA_FIDE_EARNED_LEAVE"),
     {("R12u", OK)}, {("R20", PS)}),
    ("working time, US corporation: still R11u", line(**SALARY, organisation_type="corporation",
                                                     leave_type="WORKING_TIME"),
     {("R11u", PS)}, None),
    ("earned leave, a PAC: not R12u (R22)", line(**SALARY, organisation_type="political_committee",
                                                leave_type="BONA_FIDE_EARNED_LEAVE"),
     {("R22", INK)}, None),
    ("earned leave, foreign employer: still R12", line(
        category="SALARY_CONTINUED", payer_kind="FOREIGN_ENTITY",
        leave_type="BONA_FIDE_EARNED_LEAVE"), {("R12", RC)}, None),
    # R25 narrowed: only a US individual's personal gift is out of scope.
    ("birthday present from the campaign", line(**GIFT, description="Birthday present",
                                                payer_kind="CAMPAIGN", amount_usd="2000.00"),
     {("R8", CAMP), ("R8", COMP)}, {("R25", OOS)}),
    ("birthday present from the campaign, foreign national", line(
        **GIFT, description="Birthday present", payer_kind="CAMPAIGN", citizenship=FN,
        amount_usd="2000.00"), {("R8", CAMP), ("R8", COMP), ("R8", RC)}, {("R25", OOS)}),
    ("wedding present from a corporation", line(
        **GIFT, description="Wedding present", payer_kind="US_ORGANISATION",
        organisation_type="corporation", amount_usd="5000.00"),
     {("R20", PS), ("R20", RC)}, {("R25", OOS)}),
    ("wedding present from a PAC", line(
        **GIFT, description="Wedding present", payer_kind="US_ORGANISATION",
        organisation_type="political_committee", amount_usd="500.00"),
     {("R22", INK)}, {("R25", OOS)}),
    ("birthday cake from a friend: still R25", line(
        **GIFT, description="Birthday cake", payer_kind="US_INDIVIDUAL", amount_usd="35.00"),
     {("R25", OOS)}, None),
    ("birthday flowers from a foreign party: R10 either way", line(
        **GIFT, description="Birthday flowers", payer_kind="FOREIGN_PARTY"), {("R10", PFI)},
     None),
    ("a corporation's ordinary gift: R20 without a question", line(
        **GIFT, description="Gift card", payer_kind="US_ORGANISATION",
        organisation_type="corporation"), {("R20", PS)}, None),
    # R9 capped at the nominal-item value ($25): above it a "campaign item" is cash-like.
    ("t-shirt at exactly $25.00", line(**GIFT, description="Campaign t-shirt",
                                       payer_kind="CAMPAIGN", amount_usd="25.00"),
     {("R9", CAMP)}, None),
    ("t-shirt at $25.01", line(**GIFT, description="Campaign t-shirt", payer_kind="CAMPAIGN",
                               amount_usd="25.01"),
     {("R8", CAMP), ("R8", COMP)}, {("R9", CAMP)}),
    ("designer watch with campaign pin, $1,200", line(
        **GIFT, description="Designer watch with campaign pin", payer_kind="CAMPAIGN",
        amount_usd="1200.00"), {("R8", CAMP), ("R8", COMP)}, {("R9", CAMP)}),
    ("a pin worth $1,200 from a friend: cash-like, R17", line(
        **GIFT, description="Gold campaign pin", payer_kind="US_INDIVIDUAL",
        amount_usd="1200.00"), {("R17", COMP), ("R17", INK)}, {("R16", INK)}),
    # R14 reads the cash-outlay fact, not amount = 0.
    ("a host's room with a value on record, no money paid", line(
        category="HOUSING", payer_kind="US_INDIVIDUAL", in_residence=True, cash_outlay=False,
        amount_usd="350.00"), {("R14", OK), ("R14", RC)}, {("R16", INK)}),
    ("a host's room the host paid money for", line(
        category="HOUSING", payer_kind="US_INDIVIDUAL", in_residence=True, cash_outlay=True,
        amount_usd="350.00"), {("R16", INK)}, None),
    ("a room at no value and no outlay: R14 either way", line(
        category="HOUSING", payer_kind="US_INDIVIDUAL", in_residence=True, cash_outlay=False,
        amount_usd="0.00"), {("R14", OK), ("R14", RC)}, None),
    ("no outlay but not in the host's home: not R14", line(
        category="HOUSING", payer_kind="US_INDIVIDUAL", in_residence=False, cash_outlay=False,
        amount_usd="350.00"), {("R16", INK)}, None),
    # R22 and R20 follow the organisation type; party committees are new.
    ("a party committee pays lodging (2024.1 had no rule for one)", line(
        category="HOUSING", payer_kind="US_ORGANISATION", organisation_type="party_committee"),
     {("R22", INK)}, {("R99", RC)}),
    # R27: facts that disagree add a question to whatever the payer's rule says.
    ("a US individual in GB", line(category="MEALS", payer_kind="US_INDIVIDUAL",
                                   payer_country="GB"), {("R16", INK), ("R27", RC)},
     {("R16", INK)}),
    ("a foreign party in the US", line(category="TRAVEL", payer_kind="FOREIGN_PARTY",
                                       payer_country="US"), {("R10", PFI), ("R27", RC)},
     {("R10", PFI)}),
    ("a US individual in the US", line(category="MEALS", payer_kind="US_INDIVIDUAL",
                                       payer_country="US"), {("R16", INK)}, None),
    ("a foreign party with no country", line(category="TRAVEL", payer_kind="FOREIGN_PARTY"),
     {("R10", PFI)}, None),
    ("a hand-entered USD value exactly 10 % off", line(usd_deviation="0.10"), {("R3", OK)},
     None),
    ("a hand-entered USD value just over 10 % off", line(usd_deviation="0.1001"),
     {("R3", OK), ("R27", RC)}, {("R3", OK)}),
]


@pytest.mark.parametrize(("what", "facts", "new", "old"), CASES, ids=[c[0] for c in CASES])
def test_each_changed_rule_under_2024_2_and_against_2024_1(what, facts, new, old):
    assert codes(NEW, facts) == new
    assert codes(OLD, facts) == (new if old is None else old)
    if old is not None:
        assert old != new, "a changed case must differ from 2024.1"


def test_r25_and_r20_say_why_a_gift_called_personal_is_questioned():
    gift = line(**GIFT, description="Wedding present", payer_kind="US_ORGANISATION",
                organisation_type="corporation", amount_usd="5000.00")
    outcomes = classify_lines(NEW, [gift])[1]
    assert {o.rule_id for o in outcomes} == {"R20"}
    assert all(o.amount_usd == Decimal("5000.00") for o in outcomes)


def test_r27_names_what_disagrees():
    found_ = disagreements(NEW, line(payer_kind="US_INDIVIDUAL", payer_country="gb",
                                     usd_deviation=Decimal("0.25")))
    assert found_ == ["a payer of kind US_INDIVIDUAL gives the country GB",
                      "the USD value given by hand is 25% from the stored rate's conversion "
                      "(more than 10%)"]
    reason = next(o.reason for o in classify_lines(NEW, [line(
        payer_kind="US_INDIVIDUAL", payer_country="GB")])[1] if o.rule_id == "R27")
    assert "gives the country GB" in reason
    assert disagreements(OLD, line(usd_deviation=Decimal("0.25"))) == []


# -- R18: a reimbursement and the own expense it repays count once ------------------------
FLIGHT = line(line_id=1, amount_usd="800.00", incurred_on=date(2024, 10, 1))


def repaid_by(kind="CAMPAIGN", amount="800.00", **more) -> LineFacts:
    return line(line_id=2, amount_usd=amount, payer_kind=kind, payer_id=20,
                incurred_on=date(2024, 10, 20), reimburses_id=1, **more)


def test_a_full_reimbursement_takes_the_own_line_out_of_the_volunteers_spending():
    assert found(NEW, FLIGHT, repaid_by(), of=1) == {("R18", OK, "0.00")}
    assert found(NEW, FLIGHT, repaid_by()) == {("R7", CAMP, "800.00")}
    reason = classify_lines(NEW, [FLIGHT, repaid_by()])[1][0].reason
    assert "#2" in reason and "counted once" in reason
    # 2024.1 has no R18: the own line stays the volunteer's own travel.
    assert found(OLD, FLIGHT, repaid_by(), of=1) == {("R3", OK, "800.00")}


def test_a_partial_reimbursement_leaves_the_rest_as_own_spending():
    assert found(NEW, FLIGHT, repaid_by(amount="300.00"), of=1) == {("R3", OK, "500.00")}
    assert found(NEW, FLIGHT, repaid_by(amount="300.00")) == {("R7", CAMP, "300.00")}


def test_what_was_repaid_no_longer_fills_the_transport_exemption():
    later = line(line_id=3, amount_usd="900.00", incurred_on=date(2024, 10, 25))
    assert found(NEW, FLIGHT, repaid_by(), later) == {("R3", OK, "900.00")}
    assert found(OLD, FLIGHT, repaid_by(), later) == {("R3", OK, "200.00"),
                                                     ("R4", INK, "700.00")}


def test_a_reimbursing_payers_own_rules_apply_to_what_it_repaid():
    by_party = repaid_by(kind="FOREIGN_PARTY")
    assert found(NEW, FLIGHT, by_party) == {("R10", PFI, "800.00")}
    by_pac = repaid_by(kind="US_ORGANISATION", organisation_type="political_committee")
    assert found(NEW, FLIGHT, by_pac) == {("R22", INK, "800.00")}


def test_a_line_that_repays_nothing_it_can_find_is_an_ordinary_line():
    stray = repaid_by()
    assert found(NEW, replace(stray, reimburses_id=99)) == {("R7", CAMP, "800.00")}


# -- R2c: a paid person's role is not volunteer services ----------------------------------
def _role(rule_set, citizenship, name, paid=()):
    return {(o.rule_id, o.code) for o in classify_role(
        rule_set, RoleFacts(1, 1, citizenship, name), list(paid))}


@pytest.mark.parametrize(("citizenship", "role_name", "unpaid", "paid"), [
    (US, "canvasser", {("R2", OK)}, {("R2c", COMP)}),
    (FN, "canvasser", {("R2", OK)}, {("R2c", COMP)}),
    (FN, "manager", {("R1", PP)}, {("R1", PP), ("R2c", COMP)}),
    (FN, "team_lead", {("R1b", RC)}, {("R1b", RC), ("R2c", COMP)}),
])
def test_a_paid_role_is_compensation_not_volunteer_services(citizenship, role_name, unpaid,
                                                           paid):
    assert _role(NEW, citizenship, role_name) == unpaid
    assert _role(NEW, citizenship, role_name, paid=[7, 9]) == paid
    assert _role(OLD, citizenship, role_name, paid=[7, 9]) == unpaid  # 2024.1 never said so
    outcome = next(o for o in classify_role(NEW, RoleFacts(1, 1, citizenship, role_name), [7, 9])
                   if o.rule_id == "R2c")
    assert outcome.reason.endswith("Paid on line(s) #7, #9.")
    assert "volunteer services" not in outcome.reason
    assert outcome.detail["paid_lines"] == [7, 9]


PAID_CASES = [
    # (what, the line, does it make the role paid?)
    ("a stipend from a foreign party (the 2016 pattern)",
     line(category="STIPEND", payer_kind="FOREIGN_PARTY"), True),
    ("a per diem from the campaign", line(category="PER_DIEM", payer_kind="CAMPAIGN"), True),
    ("a stipend from a US individual", line(category="STIPEND", payer_kind="US_INDIVIDUAL"),
     True),
    ("a stipend from an undisclosed payer", line(category="STIPEND", payer_kind="UNKNOWN"), True),
    ("a stipend from a PAC", line(category="STIPEND", payer_kind="US_ORGANISATION",
                                  organisation_type="political_committee"), True),
    ("salary from a foreign employer, working time (R11)",
     line(category="SALARY_CONTINUED", payer_kind="FOREIGN_PARTY", leave_type="WORKING_TIME"),
     True),
    ("salary from a foreign employer, earned leave (R12)",
     line(category="SALARY_CONTINUED", payer_kind="FOREIGN_ENTITY",
          leave_type="BONA_FIDE_EARNED_LEAVE"), True),
    ("salary from a US corporation, working time (R11u)",
     line(category="SALARY_CONTINUED", payer_kind="US_ORGANISATION",
          organisation_type="corporation", leave_type="WORKING_TIME"), True),
    ("salary from a US corporation, earned leave (R12u): their own time",
     line(category="SALARY_CONTINUED", payer_kind="US_ORGANISATION",
          organisation_type="corporation", leave_type="BONA_FIDE_EARNED_LEAVE"), False),
    ("a watch above the nominal value from the campaign",
     line(category="GIFT", description="Watch with campaign pin", payer_kind="CAMPAIGN",
          amount_usd="1200.00"), True),
    ("a t-shirt from the campaign", line(category="GIFT", description="Campaign t-shirt",
                                         payer_kind="CAMPAIGN", amount_usd="15.00"), False),
    ("a birthday cake from a friend (R25)",
     line(category="GIFT", description="Birthday cake", payer_kind="US_INDIVIDUAL"), False),
    ("their own flight", line(), False),
    ("a flight the campaign paid for", line(payer_kind="CAMPAIGN"), False),
    ("a stipend they paid themself", line(category="STIPEND"), False),
]


@pytest.mark.parametrize(("what", "facts", "pays"), PAID_CASES, ids=[c[0] for c in PAID_CASES])
def test_which_lines_make_a_role_paid(what, facts, pays):
    outcomes = classify_lines(NEW, [facts])
    assert paid_lines(NEW, {1: (facts.payer_kind, outcomes[1])}) == ([1] if pays else [])
    assert paid_lines(OLD, {1: (facts.payer_kind, classify_lines(OLD, [facts])[1])}) == []


# -- the rule set document refuses a paid_by it cannot apply ------------------------------
@pytest.mark.parametrize(("paid_by", "message"), [
    (None, "says which lines make a person paid"),
    ({}, "says which lines make a person paid"),
    ({"codes": ["PAID"]}, "paid_by codes names unknown"),
    ({"values": ["wages"]}, "paid_by values names unknown"),
    ({"codes": ["COMPENSATION"], "except_payer_kinds": ["EMPLOYER"]},
     "paid_by except_payer_kinds names unknown"),
    ({"codes": ["COMPENSATION"], "except_rules": ["R404"]}, "unknown rule 'R404'"),
    ({"codes": ["COMPENSATION"], "when": "always"}, "unknown keys ['when']"),
])
def test_a_role_overlay_must_say_validly_which_lines_pay(paid_by, message):
    document = rules.bundled_document("2024.2")
    overlay = next(r for r in document["rules"] if r["id"] == "R2c")
    if paid_by is None:
        overlay.pop("paid_by")
    else:
        overlay["paid_by"] = paid_by
    with pytest.raises(Exception, match=message.replace("[", r"\[").replace("]", r"\]")):
        rules.parse_rule_set(document)


# -- 2024.1 stays reproducible ------------------------------------------------------------
#: Computed by exactly this world on the code before rule set 2024.2 (commit 6cb7337): the
#: disclosure's fingerprint and a digest of every current finding (rule, code, amount, reason,
#: facts hash, version; sorted). An install kept on 2024.1 must give the very same.
FINGERPRINT_2024_1 = "f0acbbf0acd58d5f969f1d7a11e0f598a5e5b2987a970cfe7bad53e681829332"
FINDINGS_2024_1 = "c91c83e508b9fddf49f6f361e38496c4e7d819800b28726ac7bcaf15d57165cb"


def _golden_world():
    from app.extensions import db
    from app.models import (Citizenship, CostCategory, LeaveType, OrganisationType, PayerKind,
                            Role, Signup, SignupRole, SignupStatus)
    from app.services import accounts, deployments, ledger

    s = db.session
    dep = deployments.create_deployment(
        s, slug="gold", name="Gold", actor=None, spots={"NC": 9, "PA": 9},
        starts_on=date(2024, 10, 1), ends_on=date(2024, 11, 10),
        election=deployments.Election("G2024", "", "", "2024 general", date(2024, 11, 5)))
    people = []
    for i, (citizenship, leave) in enumerate([
            (Citizenship.FOREIGN_NATIONAL, LeaveType.WORKING_TIME),
            (Citizenship.US_CITIZEN, LeaveType.BONA_FIDE_EARNED_LEAVE),
            (Citizenship.FOREIGN_NATIONAL, LeaveType.BONA_FIDE_EARNED_LEAVE),
            (Citizenship.LPR, LeaveType.NOT_EMPLOYED)]):
        volunteer = accounts.create_user(s, email=f"p{i}@gold.example", full_name=f"Person {i}",
                                         role=Role.VOLUNTEER, password=None, actor=None).volunteer
        volunteer.citizenship, volunteer.leave_type, volunteer.country = citizenship, leave, "GB"
        people.append(volunteer)
    s.flush()
    roles = [SignupRole.CANVASSER, SignupRole.MANAGER, SignupRole.TEAM_LEAD, SignupRole.DRIVER]
    for i, volunteer in enumerate(people):
        placement = next(p for p in dep.placements if p.state_code == ("NC" if i % 2 else "PA"))
        s.add(Signup(deployment_id=dep.id, placement_id=placement.id, volunteer_id=volunteer.id,
                     role=roles[i], arrive_on=dep.starts_on, depart_on=dep.ends_on,
                     status=SignupStatus.CONFIRMED))
        s.flush()

    def payer(name, kind, org=None, country=None):
        return ledger.find_or_add_payer(s, dep, name=name, kind=kind, organisation_type=org,
                                        country=country, actor=None)
    own, campaign = payer("Self", PayerKind.SELF), payer("Campaign", PayerKind.CAMPAIGN, None, "US")
    party = payer("Party", PayerKind.FOREIGN_PARTY, None, "GB")
    corp = payer("Corp", PayerKind.US_ORGANISATION, OrganisationType.CORPORATION, "US")
    pac = payer("PAC", PayerKind.US_ORGANISATION, OrganisationType.POLITICAL_COMMITTEE, "US")
    host = payer("Host", PayerKind.US_INDIVIDUAL, None, "US")
    friend = payer("Friend", PayerKind.US_INDIVIDUAL, None, "GB")
    unknown = payer("Unknown", PayerKind.UNKNOWN)
    lines = [
        (0, "TRAVEL", "700.00", own, {}), (0, "TRAVEL", "600.00", own, {}),
        (1, "TRAVEL", "1200.00", own, {}), (0, "STIPEND", "500.00", party, {}),
        (1, "SALARY_CONTINUED", "2000.00", corp, {}), (2, "SALARY_CONTINUED", "1500.00", party, {}),
        (0, "GIFT", "2000.00", campaign, {"description": "Birthday present"}),
        (1, "GIFT", "5000.00", corp, {"description": "Wedding present"}),
        (2, "GIFT", "1200.00", campaign, {"description": "Designer watch with campaign pin"}),
        (3, "GIFT", "15.00", campaign, {"description": "Campaign t-shirt"}),
        (3, "HOUSING", "0.00", host, {"in_residence": True}),
        (2, "HOUSING", "350.00", host, {"in_residence": True}),
        (3, "MEALS", "1200.00", host, {"in_residence": True}),
        (1, "MEALS", "80.00", friend, {}), (2, "LOCAL_TRANSPORT", "260.00", pac, {}),
        (0, "HOUSING", "900.00", unknown, {"arranged_by_id": party.id}),
        (3, "PER_DIEM", "300.00", campaign, {}),
        (1, "TRAVEL", "400.00", own, {"reimbursed": True}),
    ]
    for n, (who, category, amount, by, details) in enumerate(lines):
        ledger.record_cost(s, deployment=dep, volunteer=people[who],
                           category=CostCategory[category], amount=amount, currency="USD",
                           incurred_on=date(2024, 10, 10 + n % 15), payer=by, actor=None,
                           **details)
    s.commit()
    return dep


def test_an_install_kept_on_2024_1_gives_the_same_findings_and_fingerprint_as_before(app_ctx):
    import hashlib
    import json

    from app.extensions import db
    from app.models import Finding
    from app.services.compliance.disclosure import build_disclosure
    from app.services.compliance.store import activate_rule_set

    activate_rule_set(db.session, actor=None, version="2024.1")
    dep = _golden_world()
    rows = db.session.execute(
        db.select(Finding.cost_id, Finding.signup_id, Finding.rule_id, Finding.code,
                  Finding.amount_usd, Finding.reason, Finding.facts_hash,
                  Finding.rule_set_version).where(Finding.is_current.is_(True))
        .order_by(Finding.id)).all()
    digest = hashlib.sha256(json.dumps(sorted([str(c) for c in r] for r in rows)).encode()
                            ).hexdigest()
    assert len(rows) == 29 and digest == FINDINGS_2024_1
    if not ON_POSTGRES:
        # The fingerprint covers finding ids, and a fresh PostgreSQL build numbers them in
        # another order than the old code did (an existing install's rows keep theirs: its
        # fingerprint was checked unchanged after upgrading, on both databases).
        assert build_disclosure(db.session, dep)["fingerprint"] == FINGERPRINT_2024_1
    # Under 2024.2 the same facts read differently (the point of the new version) ...
    activate_rule_set(db.session, actor=None, version="2024.2")
    db.session.commit()
    assert build_disclosure(db.session, dep)["fingerprint"] != FINGERPRINT_2024_1
    # ... and putting 2024.1 back in force gives the old findings again.
    activate_rule_set(db.session, actor=None, version="2024.1")
    db.session.commit()
    again = db.session.execute(
        db.select(Finding.rule_id, Finding.code, Finding.amount_usd, Finding.facts_hash)
        .where(Finding.is_current.is_(True)).order_by(Finding.id)).all()
    assert sorted(map(tuple, again)) == sorted((r[2], r[3], r[4], r[6]) for r in rows)
