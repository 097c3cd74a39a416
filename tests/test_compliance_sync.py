"""Findings are never stale: change a fact, commit, and the finding has changed — whatever
code path made the change (services, plain ORM, bulk statements), in the same transaction."""
from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select, update

from app.extensions import db
from app.models import (AuditEvent, Citizenship, Cost, CostCategory, CostOrigin, Finding,
                        LeaveType, OrganisationType, PayerKind, Role, SignupRole, SignupStatus,
                        User)
from app.services import accounts, audit, ledger
from app.services.compliance import rules
from app.services.compliance.store import activate_rule_set, active_rule_set
from app.services.compliance.sync import flush_pending
from app.services.errors import Conflict, PermissionDenied, ValidationFailed

from .builders import (current_findings, make_cost, make_election_deployment, make_payer_of_kind,
                       make_signup, make_volunteer, one_finding)

pytestmark = pytest.mark.usefixtures("app_ctx")
US, FN = Citizenship.US_CITIZEN, Citizenship.FOREIGN_NATIONAL


def test_findings_appear_at_commit_and_a_rollback_leaves_none():
    dep = make_election_deployment()
    person = make_volunteer()
    make_signup(dep, person)
    make_cost(dep, person, amount="100.00")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Finding)) == 0
    dep = make_election_deployment()
    person = make_volunteer()
    make_signup(dep, person)
    line = make_cost(dep, person, amount="100.00")
    db.session.commit()
    assert current_findings(cost_id=line.id) == {("R3", "VOL_OK", "100.00")}
    key = f"signup:{person.signups[0].id}:R2:VOL_OK"
    assert current_findings(volunteer_id=person.id, key=key) == {("R2", "VOL_OK", None)}


def test_declaring_citizenship_replaces_the_facts_missing_finding():
    dep = make_election_deployment()
    person = make_volunteer(citizenship=None)
    line = make_cost(dep, person, amount="1200.00")
    db.session.commit()
    assert current_findings(cost_id=line.id) == {("R3", "VOL_OK", "1000.00"),
                                                 ("R0", "REVIEW_CONTESTED", "1200.00"),
                                                 ("R5", "PROHIBITED_FOREIGN_INKIND", "200.00"),
                                                 ("R5", "REVIEW_CONTESTED", "200.00")}
    person.citizenship = US
    db.session.commit()
    assert current_findings(cost_id=line.id) == {("R3", "VOL_OK", "1000.00"),
                                                 ("R4", "INKIND_REPORTABLE", "200.00")}


def test_a_changed_amount_and_a_deleted_line_move_the_running_total():
    dep = make_election_deployment()
    person = make_volunteer()
    first = make_cost(dep, person, amount="600.00", day=date(2024, 10, 1))
    second = make_cost(dep, person, amount="600.00", day=date(2024, 10, 2))
    db.session.commit()
    assert current_findings(cost_id=second.id) == {("R3", "VOL_OK", "400.00"),
                                                   ("R5", "PROHIBITED_FOREIGN_INKIND", "200.00"),
                                                   ("R5", "REVIEW_CONTESTED", "200.00")}
    kept_id = one_finding(cost_id=second.id, rule_id="R3").id
    first.amount = first.amount_usd = Decimal("300.00")
    db.session.commit()
    assert current_findings(cost_id=second.id) == {("R3", "VOL_OK", "600.00")}
    assert one_finding(cost_id=second.id, rule_id="R3").id == kept_id  # same finding, new facts
    ledger.delete_cost(db.session, first, actor=None)
    db.session.commit()
    gone = db.session.scalars(select(Finding).where(Finding.key.like(f"cost:{first.id}:%"))).all()
    assert gone and all(not f.is_current and f.cost_id is None for f in gone)


def test_a_payer_reclassified_as_foreign_changes_every_line_it_paid():
    dep = make_election_deployment()
    person, other = make_volunteer(citizenship=US), make_volunteer(citizenship=US)
    friend = make_payer_of_kind(dep, PayerKind.US_INDIVIDUAL, name="A friend")
    lines = [make_cost(dep, person, CostCategory.HOUSING, "80.00", friend),
             make_cost(dep, other, CostCategory.MEALS, "20.00", friend)]
    db.session.commit()
    assert all(current_findings(cost_id=c.id) == {("R16", "INKIND_REPORTABLE", c.amount_usd.to_eng_string())}
               for c in lines)
    friend.kind = PayerKind.FOREIGN_INDIVIDUAL  # plain ORM, no service
    db.session.commit()
    assert all(current_findings(cost_id=c.id) == {("R10", "PROHIBITED_FOREIGN_INKIND",
                                                   c.amount_usd.to_eng_string())} for c in lines)
    assert {f.payer_kind for f in db.session.scalars(select(Finding).where(
        Finding.cost_id.in_([c.id for c in lines]), Finding.is_current.is_(True)))} \
        == {"FOREIGN_INDIVIDUAL"}


def test_roles_follow_the_signup_role_status_and_the_volunteers_declaration():
    dep = make_election_deployment()
    person = make_volunteer()
    seat = make_signup(dep, person, role=SignupRole.MANAGER)
    db.session.commit()
    assert current_findings(signup_id=seat.id) == {("R1", "PROHIBITED_PARTICIPATION", None)}
    assert current_findings(volunteer_id=person.id, cost_id=None, signup_id=None) \
        == {("R26", "VOL_OK", None)}
    seat.role = SignupRole.TEAM_LEAD
    db.session.commit()
    assert current_findings(signup_id=seat.id) == {("R1b", "REVIEW_CONTESTED", None)}
    person.citizenship = Citizenship.LPR
    db.session.commit()
    assert current_findings(signup_id=seat.id) == {("R2", "VOL_OK", None)}
    seat.status = SignupStatus.WITHDRAWN
    db.session.commit()
    assert current_findings(signup_id=seat.id) == set()
    assert current_findings(volunteer_id=person.id) == set()


def test_a_volunteers_first_cost_line_ends_the_no_lines_finding():
    dep = make_election_deployment()
    person = make_volunteer()
    make_signup(dep, person)
    db.session.commit()
    assert ("R26", "VOL_OK", None) in current_findings(volunteer_id=person.id)
    make_cost(dep, person, CostCategory.MEALS, "12.00")
    db.session.commit()
    assert ("R26", "VOL_OK", None) not in current_findings(volunteer_id=person.id)


def test_a_hosts_running_total_updates_other_volunteers_lines():
    dep = make_election_deployment()
    first, second = make_volunteer(), make_volunteer()
    host = make_payer_of_kind(dep, PayerKind.US_INDIVIDUAL, name="Dana Whitfield")
    a = make_cost(dep, first, CostCategory.MEALS, "600.00", host, day=date(2024, 10, 1),
                  in_residence=True)
    b = make_cost(dep, second, CostCategory.MEALS, "600.00", host, day=date(2024, 10, 2),
                  in_residence=True)
    db.session.commit()
    assert current_findings(cost_id=b.id) == {("R15", "VOL_OK", "400.00"),
                                              ("R15", "INKIND_REPORTABLE", "200.00")}
    a.amount = a.amount_usd = Decimal("100.00")  # only the first volunteer's line changes
    db.session.commit()
    assert current_findings(cost_id=b.id) == {("R15", "VOL_OK", "600.00")}
    a.in_residence = False  # no longer home hospitality: leaves the host's total
    a.amount = a.amount_usd = Decimal("900.00")
    db.session.commit()
    assert current_findings(cost_id=a.id) == {("R16", "INKIND_REPORTABLE", "900.00")}
    assert current_findings(cost_id=b.id) == {("R15", "VOL_OK", "600.00")}


def test_the_same_election_shares_running_totals_across_deployments():
    first = make_election_deployment(election_code="G2024")
    second = make_election_deployment(election_code="G2024")
    elsewhere = make_election_deployment(election_code="P2024")
    person = make_volunteer(citizenship=US)
    make_cost(first, person, amount="700.00", day=date(2024, 10, 1))
    later = make_cost(second, person, amount="700.00", day=date(2024, 10, 2))
    apart = make_cost(elsewhere, person, amount="700.00", day=date(2024, 10, 3))
    db.session.commit()
    assert current_findings(cost_id=later.id) == {("R3", "VOL_OK", "300.00"),
                                                  ("R4", "INKIND_REPORTABLE", "400.00")}
    assert current_findings(cost_id=apart.id) == {("R3", "VOL_OK", "700.00")}
    first.election_code = "P2024"  # the deployment was for the primary after all
    db.session.commit()
    assert current_findings(cost_id=later.id) == {("R3", "VOL_OK", "700.00")}
    assert current_findings(cost_id=apart.id) == {("R3", "VOL_OK", "300.00"),
                                                  ("R4", "INKIND_REPORTABLE", "400.00")}


def test_bulk_inserts_and_bulk_updates_are_noticed_too():
    dep = make_election_deployment()
    people = [make_volunteer() for _ in range(3)]
    self_payer = make_payer_of_kind(dep, PayerKind.SELF, name="Self")
    db.session.execute(insert(Cost), [
        {"deployment_id": dep.id, "volunteer_id": p.id, "category": CostCategory.TRAVEL,
         "amount": Decimal("900.00"), "currency": "USD", "amount_usd": Decimal("900.00"),
         "incurred_on": date(2024, 10, 1), "payer_id": self_payer.id,
         "origin": CostOrigin.IMPORT} for p in people])
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Finding).where(
        Finding.rule_id == "R3", Finding.is_current.is_(True))) == 3
    db.session.execute(update(Cost).where(Cost.deployment_id == dep.id)
                       .values(amount_usd=Decimal("1100.00")))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Finding).where(
        Finding.rule_id == "R5", Finding.is_current.is_(True))) == 6


def test_salary_findings_follow_the_declared_leave_type():
    dep = make_election_deployment()
    person = make_volunteer(leave_type=LeaveType.BONA_FIDE_EARNED_LEAVE)
    party = make_payer_of_kind(dep, PayerKind.FOREIGN_PARTY, name="The party", country="GB")
    line = make_cost(dep, person, CostCategory.SALARY_CONTINUED, "3000.00", party)
    db.session.commit()
    assert current_findings(cost_id=line.id) == {("R12", "REVIEW_CONTESTED", "3000.00")}
    person.leave_type = LeaveType.WORKING_TIME
    db.session.commit()
    assert current_findings(cost_id=line.id) == {("R11", "PROHIBITED_FOREIGN_INKIND", "3000.00")}
    union = make_payer_of_kind(dep, PayerKind.US_ORGANISATION, name="A union",
                               org=OrganisationType.LABOR_UNION)
    line.payer_id = union.id
    db.session.commit()
    assert current_findings(cost_id=line.id) == {("R11u", "PROHIBITED_SOURCE", "3000.00")}


def test_a_cost_moved_to_another_volunteer_takes_its_findings_along():
    dep = make_election_deployment()
    first, second = make_volunteer(), make_volunteer(citizenship=US)
    line = make_cost(dep, first, amount="1500.00")
    db.session.commit()
    line.volunteer_id = second.id
    db.session.commit()
    assert current_findings(volunteer_id=first.id) == set()
    assert current_findings(cost_id=line.id) == {("R3", "VOL_OK", "1000.00"),
                                                 ("R4", "INKIND_REPORTABLE", "500.00")}
    assert {f.volunteer_id for f in db.session.scalars(select(Finding).where(
        Finding.cost_id == line.id, Finding.is_current.is_(True)))} == {second.id}


def test_findings_stay_out_of_the_audit_chain_and_the_chain_stays_intact():
    dep = make_election_deployment()
    person = make_volunteer()
    make_cost(dep, person, amount="1500.00")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "findings")) == 0
    assert audit.verify_chain(db.session).ok


def test_flush_pending_brings_findings_up_to_date_mid_transaction():
    dep = make_election_deployment()
    person = make_volunteer()
    line = make_cost(dep, person, amount="50.00")
    assert current_findings(cost_id=line.id) == set()
    assert flush_pending(db.session) > 0
    assert current_findings(cost_id=line.id) == {("R3", "VOL_OK", "50.00")}
    assert flush_pending(db.session) == 0


# -- the rule set in force ----------------------------------------------------------------
def _admin():
    return accounts.create_user(db.session, email="admin-rules@example.org", full_name="Admin",
                                role=Role.ADMIN, password=None, actor=None)


def _low_transport(version="test.2") -> dict:
    data = copy.deepcopy(rules.bundled_document(rules.DEFAULT_VERSION))
    data["version"] = version
    for item in data["thresholds"]:
        if item["key"] == "transport_exemption":
            item["amount"] = "500.00"
    return data


def test_activating_a_rule_set_recomputes_every_finding_in_the_same_transaction():
    dep = make_election_deployment()
    person = make_volunteer(citizenship=US)
    line = make_cost(dep, person, amount="600.00")
    db.session.commit()
    assert current_findings(cost_id=line.id) == {("R3", "VOL_OK", "600.00")}
    activate_rule_set(db.session, actor=_admin(), document=_low_transport(), note="test")
    db.session.commit()
    assert active_rule_set(db.session).version == "test.2"
    assert current_findings(cost_id=line.id) == {("R3", "VOL_OK", "500.00"),
                                                 ("R4", "INKIND_REPORTABLE", "100.00")}
    assert {f.rule_set_version for f in db.session.scalars(select(Finding).where(
        Finding.is_current.is_(True)))} == {"test.2"}
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "rule_set.activated")) == 1


def test_a_rule_set_change_is_refused_when_wrong():
    admin = _admin()
    organiser = accounts.create_user(db.session, email="org-rules@example.org", full_name="O",
                                     role=Role.ORGANISER, password=None, actor=None)
    with pytest.raises(PermissionDenied):
        activate_rule_set(db.session, actor=organiser, document=_low_transport())
    with pytest.raises(Conflict, match="already in force"):
        activate_rule_set(db.session, actor=admin, version=rules.DEFAULT_VERSION)
    with pytest.raises(Conflict, match="new version"):
        activate_rule_set(db.session, actor=admin, document=_low_transport(rules.DEFAULT_VERSION))
    with pytest.raises(ValidationFailed, match="No rule set"):
        activate_rule_set(db.session, actor=admin, version="1999.1")
    broken = _low_transport()
    broken["rules"][0]["codes"] = [{"code": "MAYBE"}]
    with pytest.raises(ValidationFailed, match="unknown finding code"):
        activate_rule_set(db.session, actor=admin, document=broken)
    activate_rule_set(db.session, actor=admin, document=_low_transport())
    db.session.commit()
    other = _low_transport()
    other["thresholds"][1]["amount"] = "900.00"
    with pytest.raises(Conflict, match="new version"):
        activate_rule_set(db.session, actor=admin, document=other)
    assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_a_bulk_update_recomputes_only_the_rows_it_touches():
    dep = make_election_deployment()
    touched, untouched = make_volunteer(), make_volunteer()
    line = make_cost(dep, touched, amount="900.00")
    other = make_cost(dep, untouched, amount="900.00")
    db.session.commit()
    before = one_finding(cost_id=other.id, rule_id="R3").computed_at
    db.session.execute(update(Cost).where(Cost.id == line.id)
                       .values(amount_usd=Decimal("1100.00"), amount=Decimal("1100.00")))
    noted = db.session.info["compliance_dirty"]
    assert noted.volunteers == {touched.id} and not noted.everything
    db.session.commit()
    assert current_findings(cost_id=line.id) == {("R3", "VOL_OK", "1000.00"),
                                                 ("R5", "PROHIBITED_FOREIGN_INKIND", "100.00"),
                                                 ("R5", "REVIEW_CONTESTED", "100.00")}
    assert one_finding(cost_id=other.id, rule_id="R3").computed_at == before
    db.session.execute(update(Cost).where(Cost.id == line.id).values(volunteer_id=untouched.id))
    assert db.session.info["compliance_dirty"].everything
    db.session.commit()  # moving rows to ids only the statement knows: everything is redone
    assert current_findings(volunteer_id=touched.id) == set()
    assert {f[0] for f in current_findings(cost_id=line.id)} == {"R3", "R5"}
