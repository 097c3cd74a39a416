"""The rule set and the engine, without a database: every rule fires when it should and stays
quiet when it should not; every threshold is crossed exactly at, just below and just above."""
from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.services.compliance import rules
from app.services.compliance.engine import (LineFacts, RoleFacts, classify_lines, classify_role,
                                            classify_volunteer)
from app.services.errors import ValidationFailed

#: The rule set of compliance-rules.md's main table (2024.2's changes: test_rule_set_2024_2.py).
RS = rules.compile_document(rules.bundled_document("2024.1"))
FN, US, LPR = "FOREIGN_NATIONAL", "US_CITIZEN", "LPR"
DOC = Path(__file__).resolve().parents[2] / "shared" / "compliance-rules.md"

BASE = LineFacts(line_id=1, volunteer_id=1, election_key="G2024", citizenship=FN, leave_type=None,
                 category="TRAVEL", description="", amount_usd=Decimal("100.00"),
                 incurred_on=date(2024, 10, 10), payer_id=10, payer_kind="SELF",
                 payer_name="Self", organisation_type=None, arranged_by_id=None,
                 arranged_by_kind=None, in_residence=False, reimbursed=False)


def line(**changes) -> LineFacts:
    if "amount_usd" in changes:
        changes["amount_usd"] = Decimal(changes["amount_usd"])
    return replace(BASE, **changes)


def outcomes(*lines_in: LineFacts, rule_set=RS) -> set[tuple[str, str, str]]:
    """{(rule, code, amount)} of the LAST line, after the earlier ones set running totals."""
    results = classify_lines(rule_set, list(lines_in))
    last = lines_in[-1].line_id
    return {(o.rule_id, o.code, f"{o.amount_usd:.2f}") for o in results[last]}


def pairs(*lines_in: LineFacts) -> set[tuple[str, str]]:
    return {(rule, code) for rule, code, _amount in outcomes(*lines_in)}


def role(citizenship, name):
    return {(o.rule_id, o.code) for o in classify_role(RS, RoleFacts(1, 1, citizenship, name))}


# -- every rule: one case that fires, one that must not -----------------------------------
PFI, PP, PS, COMP, RPU, RC, INK, CAMP, OOS, OK = (
    "PROHIBITED_FOREIGN_INKIND", "PROHIBITED_PARTICIPATION", "PROHIBITED_SOURCE",
    "COMPENSATION", "REVIEW_PAYER_UNKNOWN", "REVIEW_CONTESTED", "INKIND_REPORTABLE",
    "CAMPAIGN_EXP", "OUT_OF_SCOPE", "VOL_OK")

LINE_CASES = [
    # (rule, fires?, the line, the exact (rule, code) pairs expected)
    ("R10", True, line(category="STIPEND", payer_kind="FOREIGN_PARTY"), {("R10", PFI)}),
    ("R10", True, line(category="HOUSING", payer_kind="FOREIGN_ENTITY"), {("R10", PFI)}),
    ("R10", True, line(category="MEALS", payer_kind="FOREIGN_INDIVIDUAL", citizenship=US),
     {("R10", PFI)}),
    ("R10", True, line(category="GIFT", description="Birthday flowers",
                       payer_kind="FOREIGN_PARTY"), {("R10", PFI)}),
    ("R10", False, line(category="STIPEND", payer_kind="CAMPAIGN"),
     {("R8", CAMP), ("R8", COMP), ("R8", RC)}),
    ("R11", True, line(category="SALARY_CONTINUED", payer_kind="FOREIGN_PARTY",
                       leave_type="WORKING_TIME"), {("R11", PFI)}),
    ("R11", True, line(category="SALARY_CONTINUED", payer_kind="FOREIGN_ENTITY",
                       leave_type="SPECIAL_POLITICAL_LEAVE"), {("R11", PFI)}),
    ("R11", False, line(category="SALARY_CONTINUED", payer_kind="FOREIGN_PARTY",
                        leave_type="BONA_FIDE_EARNED_LEAVE"), {("R12", RC)}),
    ("R12", True, line(category="SALARY_CONTINUED", payer_kind="FOREIGN_ENTITY",
                       leave_type="BONA_FIDE_EARNED_LEAVE"), {("R12", RC)}),
    ("R12", False, line(category="SALARY_CONTINUED", payer_kind="FOREIGN_ENTITY",
                        leave_type="WORKING_TIME"), {("R11", PFI)}),
    ("R11u", True, line(category="SALARY_CONTINUED", payer_kind="US_ORGANISATION",
                        organisation_type="corporation", leave_type="WORKING_TIME"),
     {("R11u", PS)}),
    ("R11u", True, line(category="SALARY_CONTINUED", payer_kind="US_ORGANISATION",
                        organisation_type="labor_union", leave_type="WORKING_TIME"),
     {("R11u", PS)}),
    ("R11u", False, line(category="SALARY_CONTINUED", payer_kind="US_ORGANISATION",
                         organisation_type="political_committee", leave_type="WORKING_TIME"),
     {("R22", INK)}),
    ("R3", True, line(amount_usd="400.00"), {("R3", OK)}),
    ("R3", True, line(category="LOCAL_TRANSPORT", amount_usd="40.00", citizenship=US),
     {("R3", OK)}),
    ("R3", False, line(reimbursed=True), {("R99", RC)}),
    ("R4", True, line(citizenship=US, amount_usd="1200.00"), {("R3", OK), ("R4", INK)}),
    ("R4", True, line(citizenship=LPR, amount_usd="1200.00"), {("R3", OK), ("R4", INK)}),
    ("R4", False, line(citizenship=US, amount_usd="1000.00"), {("R3", OK)}),
    ("R5", True, line(amount_usd="1200.00"), {("R3", OK), ("R5", PFI), ("R5", RC)}),
    ("R5", False, line(citizenship=US, amount_usd="1200.00"), {("R3", OK), ("R4", INK)}),
    ("R6", True, line(category="HOUSING", amount_usd="5000.00"), {("R6", OK)}),
    ("R6", True, line(category="MEALS", citizenship=US), {("R6", OK)}),
    ("R6", False, line(category="MEALS", reimbursed=True), {("R99", RC)}),
    ("R7", True, line(category="HOUSING", payer_kind="CAMPAIGN", citizenship=US),
     {("R7", CAMP)}),
    ("R7", True, line(category="TRAVEL", payer_kind="CAMPAIGN"), {("R7", CAMP), ("R7", RC)}),
    ("R7", False, line(category="PER_DIEM", payer_kind="CAMPAIGN", citizenship=US),
     {("R8", CAMP), ("R8", COMP)}),
    ("R8", True, line(category="PER_DIEM", payer_kind="CAMPAIGN"),
     {("R8", CAMP), ("R8", COMP), ("R8", RC)}),
    ("R8", True, line(category="GIFT", description="Gift card", payer_kind="CAMPAIGN",
                      citizenship=US), {("R8", CAMP), ("R8", COMP)}),
    ("R8", False, line(category="GIFT", description="Campaign t-shirt", payer_kind="CAMPAIGN"),
     {("R9", CAMP)}),
    ("R9", True, line(category="GIFT", description="Campaign T-shirt and button",
                      payer_kind="CAMPAIGN"), {("R9", CAMP)}),
    ("R9", False, line(category="GIFT", description="Cash bonus", payer_kind="CAMPAIGN",
                       citizenship=US), {("R8", CAMP), ("R8", COMP)}),
    ("R14", True, line(category="HOUSING", payer_kind="US_INDIVIDUAL", in_residence=True,
                       amount_usd="0.00"), {("R14", OK), ("R14", RC)}),
    ("R14", False, line(category="HOUSING", payer_kind="US_INDIVIDUAL", in_residence=True,
                        amount_usd="50.00"), {("R16", INK)}),
    ("R15", True, line(category="MEALS", payer_kind="US_INDIVIDUAL", in_residence=True,
                       amount_usd="400.00"), {("R15", OK)}),
    ("R15", False, line(category="MEALS", payer_kind="US_INDIVIDUAL", amount_usd="400.00"),
     {("R16", INK)}),
    ("R16", True, line(category="HOUSING", payer_kind="US_INDIVIDUAL"), {("R16", INK)}),
    ("R16", True, line(category="TRAVEL", payer_kind="US_INDIVIDUAL"), {("R16", INK)}),
    ("R16", False, line(category="STIPEND", payer_kind="US_INDIVIDUAL", citizenship=US),
     {("R17", COMP), ("R17", INK)}),
    ("R17", True, line(category="STIPEND", payer_kind="US_INDIVIDUAL"),
     {("R17", COMP), ("R17", INK), ("R17", RC)}),
    ("R17", True, line(category="SALARY_CONTINUED", payer_kind="US_INDIVIDUAL", citizenship=US,
                       leave_type="WORKING_TIME"), {("R17", COMP), ("R17", INK)}),
    ("R17", False, line(category="MEALS", payer_kind="US_INDIVIDUAL"), {("R16", INK)}),
    ("R20", True, line(category="HOUSING", payer_kind="US_ORGANISATION",
                       organisation_type="corporation"), {("R20", PS)}),
    ("R20", True, line(category="TRAVEL", payer_kind="US_ORGANISATION",
                       organisation_type="federal_contractor"), {("R20", PS)}),
    ("R20", False, line(category="HOUSING", payer_kind="US_ORGANISATION",
                        organisation_type="unincorporated"), {("R22", INK)}),
    ("R22", True, line(category="LOCAL_TRANSPORT", payer_kind="US_ORGANISATION",
                       organisation_type="political_committee"), {("R22", INK)}),
    ("R22", False, line(category="LOCAL_TRANSPORT", payer_kind="US_ORGANISATION",
                        organisation_type="labor_union"), {("R20", PS)}),
    ("R13", True, line(arranged_by_id=20, arranged_by_kind="FOREIGN_PARTY"),
     {("R3", OK), ("R13", RC)}),
    ("R13", True, line(category="LOCAL_TRANSPORT", payer_kind="FOREIGN_ENTITY",
                       arranged_by_id=20, arranged_by_kind="FOREIGN_PARTY"),
     {("R10", PFI), ("R13", RC)}),
    ("R13", False, line(arranged_by_id=20, arranged_by_kind="CAMPAIGN"), {("R3", OK)}),
    ("R13", False, line(payer_kind="FOREIGN_PARTY", arranged_by_id=10,
                        arranged_by_kind="FOREIGN_PARTY"), {("R10", PFI)}),
    ("R24", True, line(category="HOUSING", payer_kind="UNKNOWN"), {("R24", RPU)}),
    ("R24", True, line(category="HOUSING", payer_kind="UNKNOWN", arranged_by_id=20,
                       arranged_by_kind="FOREIGN_PARTY"), {("R24", RPU), ("R13", RC)}),
    ("R24", False, line(category="HOUSING", payer_kind="CAMPAIGN", citizenship=US),
     {("R7", CAMP)}),
    ("R25", True, line(category="GIFT", description="Birthday cake (personal gift)",
                       payer_kind="US_INDIVIDUAL"), {("R25", OOS)}),
    ("R25", False, line(category="GIFT", description="Birthday cake (personal gift)",
                        payer_kind="FOREIGN_INDIVIDUAL"), {("R10", PFI)}),
    ("R99", True, line(payer_kind="ALIEN_KIND"), {("R99", RC)}),
    ("R99", True, line(category="STIPEND", payer_kind="SELF"), {("R99", RC)}),
    ("R99", False, line(), {("R3", OK)}),
    ("R0", True, line(citizenship=None), {("R3", OK), ("R0", RC)}),
    ("R0", True, line(category="SALARY_CONTINUED", payer_kind="FOREIGN_PARTY", citizenship=US),
     {("R11", PFI), ("R0", RC)}),
    ("R0", True, line(category="HOUSING", payer_kind="US_ORGANISATION", citizenship=US),
     {("R20", PS), ("R0", RC)}),
    ("R0", False, line(citizenship=US), {("R3", OK)}),
]


@pytest.mark.parametrize(("rule_id", "fires", "facts", "expected"), LINE_CASES,
                         ids=[f"{c[0]}-{'fires' if c[1] else 'quiet'}-{i}"
                              for i, c in enumerate(LINE_CASES)])
def test_line_rules_fire_exactly_when_they_should(rule_id, fires, facts, expected):
    got = pairs(facts)
    assert got == expected
    assert (rule_id in {rule for rule, _code in got}) is fires


ROLE_CASES = [
    ("R1", True, FN, "manager", {("R1", PP)}),
    ("R1", True, FN, "strategy_adviser", {("R1", PP)}),
    ("R1", False, US, "manager", {("R2", OK)}),
    ("R1", False, FN, "event_support", {("R2", OK)}),
    ("R1b", True, FN, "team_lead", {("R1b", RC)}),
    ("R1b", False, LPR, "team_lead", {("R2", OK)}),
    ("R2", True, FN, "canvasser", {("R2", OK)}),
    ("R2", False, FN, "manager", {("R1", PP)}),
    ("R0", True, None, "manager", {("R1", PP), ("R0", RC)}),
    ("R0", False, None, "canvasser", {("R2", OK)}),
]


@pytest.mark.parametrize(("rule_id", "fires", "citizenship", "name", "expected"), ROLE_CASES)
def test_role_rules_fire_exactly_when_they_should(rule_id, fires, citizenship, name, expected):
    got = role(citizenship, name)
    assert got == expected
    assert (rule_id in {rule for rule, _code in got}) is fires


def test_r26_a_volunteer_with_no_lines_and_not_one_with_lines():
    assert [(o.rule_id, o.code) for o in classify_volunteer(RS, cost_lines=0)] == [("R26", OK)]
    assert classify_volunteer(RS, cost_lines=3) == []


def test_every_rule_of_the_research_notes_is_in_the_rule_set_and_tested():
    documented = {"R1", "R1b", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11", "R12",
                  "R11u", "R13", "R14", "R15", "R16", "R17", "R20", "R22", "R24", "R25", "R26"}
    if DOC.exists():  # the notes live beside the repository
        documented |= set(re.findall(r"^\| (R\d+[a-z]*) \|", DOC.read_text(), re.M))
    assert documented <= set(RS.by_id)
    tested = {c[0] for c in LINE_CASES if c[1]} | {c[0] for c in ROLE_CASES if c[1]} | {"R26"}
    quiet = ({c[0] for c in LINE_CASES if not c[1]} | {c[0] for c in ROLE_CASES if not c[1]}
             | {"R26"})
    assert set(RS.by_id) <= tested and set(RS.by_id) <= quiet
    for rule in RS.rules:
        assert rule.reason and rule.citation and rule.when


def test_lines_sort_highest_severity_first():
    result = classify_lines(RS, [line(amount_usd="1500.00")])[1]
    assert [o.code for o in result] == [PFI, RC, OK]


def test_unknown_payer_priority_is_high_for_a_foreign_national_or_a_party_arrangement():
    def priority(**kw):
        return classify_lines(RS, [line(payer_kind="UNKNOWN", category="HOUSING", **kw)])[1][0]

    assert priority(citizenship=US).priority == "normal"
    assert priority(citizenship=FN).priority == "high"
    assert priority(citizenship=US, arranged_by_id=20,
                    arranged_by_kind="FOREIGN_PARTY").priority == "high"
    host = classify_lines(RS, [line(category="HOUSING", payer_kind="US_INDIVIDUAL",
                                    in_residence=True, amount_usd="0")])[1]
    assert {o.code: o.priority for o in host}[RC] == "low"


def test_missing_facts_are_named_and_never_a_silent_vol_ok():
    result = classify_lines(RS, [line(citizenship=None, category="MEALS")])[1]
    codes = {o.code for o in result}
    assert RC in codes
    r0 = next(o for o in result if o.rule_id == "R0")
    assert "not declared citizenship" in r0.reason and "FOREIGN_NATIONAL" in r0.reason
    assert all(o.detail["assumed"] == {"citizenship": FN} for o in result)


# -- thresholds: exactly at, just below, just above ---------------------------------------
@pytest.mark.parametrize(("amount", "within", "excess"), [
    ("999.99", "999.99", None), ("1000.00", "1000.00", None), ("1000.01", "1000.00", "0.01")])
def test_transport_exemption_at_below_and_above_the_limit(amount, within, excess):
    got = outcomes(line(citizenship=US, amount_usd=amount))
    expected = {("R3", OK, within)} | ({("R4", INK, excess)} if excess else set())
    assert got == expected


@pytest.mark.parametrize(("second", "within", "excess"), [
    ("499.99", "499.99", None), ("500.00", "500.00", None), ("500.01", "500.00", "0.01")])
def test_transport_running_total_crosses_the_limit_on_the_line_that_passes_it(second, within,
                                                                              excess):
    first = line(line_id=1, amount_usd="500.00", incurred_on=date(2024, 10, 1))
    later = line(line_id=2, amount_usd=second, incurred_on=date(2024, 10, 2))
    got = outcomes(first, later)
    expected = {("R3", OK, within)}
    if excess:
        expected |= {("R5", PFI, excess), ("R5", RC, excess)}
    assert got == expected


def test_a_line_entirely_above_the_limit_has_no_vol_ok_part():
    first = line(line_id=1, amount_usd="1000.00", incurred_on=date(2024, 10, 1))
    later = line(line_id=2, amount_usd="300.00", incurred_on=date(2024, 10, 2))
    assert outcomes(first, later) == {("R5", PFI, "300.00"), ("R5", RC, "300.00")}


def test_running_totals_are_per_volunteer_and_per_election():
    first = line(line_id=1, amount_usd="900.00", incurred_on=date(2024, 10, 1))
    other_person = line(line_id=2, volunteer_id=2, amount_usd="900.00")
    other_election = line(line_id=3, election_key="P2024", amount_usd="900.00")
    same_election = line(line_id=4, amount_usd="900.00", incurred_on=date(2024, 10, 20))
    results = classify_lines(RS, [first, other_person, other_election, same_election])
    assert {(o.rule_id, o.amount_usd) for o in results[2]} == {("R3", Decimal("900.00"))}
    assert {(o.rule_id, o.amount_usd) for o in results[3]} == {("R3", Decimal("900.00"))}
    assert ("R5", Decimal("800.00")) in {(o.rule_id, o.amount_usd) for o in results[4]}


@pytest.mark.parametrize(("second", "within", "excess"), [
    ("399.99", "399.99", None), ("400.00", "400.00", None), ("400.01", "400.00", "0.01")])
def test_home_hospitality_per_host_across_volunteers(second, within, excess):
    host = {"category": "MEALS", "payer_kind": "US_INDIVIDUAL", "in_residence": True,
            "payer_name": "Dana  Whitfield"}
    first = line(line_id=1, volunteer_id=1, amount_usd="600.00", incurred_on=date(2024, 10, 1),
                 **host)
    # Another volunteer, and the host's payer record in another deployment of the election.
    later = line(line_id=2, volunteer_id=2, amount_usd=second, incurred_on=date(2024, 10, 2),
                 **{**host, "payer_id": 99, "payer_name": "dana whitfield"})
    expected = {("R15", OK, within)} | ({("R15", INK, excess)} if excess else set())
    assert outcomes(first, later) == expected


def test_thresholds_take_the_value_in_force_on_the_date():
    assert RS.threshold("individual_limit", date(2024, 11, 5)).amount == Decimal("3300.00")
    assert RS.threshold("individual_limit", date(2024, 11, 6)).amount == Decimal("3500.00")
    assert RS.threshold("individual_limit", date(2022, 6, 1)).amount == Decimal("3300.00")
    assert RS.threshold("transport_exemption", date(2024, 10, 1)).amount == Decimal("1000.00")
    assert RS.threshold("itemisation", date(2024, 10, 1)).amount == Decimal("200.00")


def test_thresholds_are_data_not_literals_in_code():
    source = "".join(p.read_text() for p in Path(rules.__file__).parent.glob("*.py"))
    for literal in ("1000", "1,000", "3300", "3500", "200.00"):
        assert literal not in source


def test_a_new_threshold_in_a_new_version_changes_the_result():
    data = copy.deepcopy(rules.bundled_document("2024.1"))
    data["version"] = "test.low-transport"
    for item in data["thresholds"]:
        if item["key"] == "transport_exemption":
            item["amount"] = "500.00"
    low = rules.parse_rule_set(data)
    got = {(o.rule_id, f"{o.amount_usd:.2f}")
           for o in classify_lines(low, [line(citizenship=US, amount_usd="600.00")])[1]}
    assert got == {("R3", "500.00"), ("R4", "100.00")}


# -- the rule set document is checked ------------------------------------------------------
def _broken(change) -> dict:
    data = copy.deepcopy(rules.bundled_document("2024.1"))
    change(data)
    return data


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("version"), "'version' is missing"),
    (lambda d: d["rules"][1]["codes"].append({"code": "NOT_A_CODE"}), "unknown finding code"),
    (lambda d: d["rules"][1]["match"].update(colour=["red"]), "unknown condition 'colour'"),
    (lambda d: d["rules"][4]["match"].update(payer_kinds=["MARTIAN"]), "unknown payer_kinds"),
    (lambda d: d["rules"].append(dict(d["rules"][1])), "defined twice"),
    (lambda d: d["thresholds"][3].update(effective_to="2025-01-01"), "overlapping"),
    (lambda d: d["thresholds"][0].update(amount="lots"), "no valid amount"),
    (lambda d: d["rules"][1].update(citation=""), "needs a citation"),
    (lambda d: d["values"]["categories"].pop("GIFT"), "does not say what ['GIFT']"),
])
def test_a_broken_rule_set_is_refused_with_a_precise_reason(change, message):
    with pytest.raises(ValidationFailed) as caught:
        rules.parse_rule_set(_broken(change))
    assert message in caught.value.message


def test_the_bundled_rule_set_is_valid_json_with_a_version_per_file():
    for version in rules.bundled_versions():
        path = rules.RULESETS_DIR / f"{version}.json"
        assert json.loads(path.read_text())["version"] == version
        rules.parse_rule_set(json.loads(path.read_text()))
    with pytest.raises(ValidationFailed):
        rules.bundled_document("1999.9")
