"""The auditor's review: decisions tied to the facts, back in the queue when the facts change,
every review audited, and bad requests refused without writing anything."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (AuditEvent, Citizenship, CostCategory, FindingReview, PayerKind, Role,
                        SignupRole)
from app.services import accounts
from app.services.compliance import review
from app.services.compliance.review import QueueFilters
from app.services.paging import BadQuery
from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .builders import (make_cost, make_election_deployment, make_payer_of_kind, make_signup,
                       make_volunteer, one_finding)
from .conftest import count_rows, csrf_token, log_in


def _user(role, email=None):
    return accounts.create_user(db.session, email=email or f"{role.value}-r@example.org",
                                full_name=f"{role.value.title()} Person", role=role,
                                password=None, actor=None)


@pytest.fixture
def scene(app_ctx):
    """A deployment with a prohibited stipend, a self-paid flight and a manager's role."""
    dep = make_election_deployment(slug="rev")
    person = make_volunteer()
    make_signup(dep, person, "NC", role=SignupRole.MANAGER)
    party = make_payer_of_kind(dep, PayerKind.FOREIGN_PARTY, name="The party", country="GB")
    stipend = make_cost(dep, person, CostCategory.STIPEND, "500.00", party)
    flight = make_cost(dep, person, CostCategory.TRAVEL, "300.00")
    auditor = _user(Role.AUDITOR)
    db.session.commit()
    return dep, person, stipend, flight, auditor


def test_an_auditor_reviews_and_the_review_is_audited(scene):
    dep, _person, stipend, _flight, auditor = scene
    target = one_finding(cost_id=stipend.id, is_current=True)
    done = review.review_finding(db.session, deployment=dep, finding_id=target.id,
                                 action="escalate", reason="Refund the party; tell counsel.",
                                 actor=auditor)
    db.session.commit()
    assert done.facts_hash == target.facts_hash
    assert review.review_state(target)[0] == "escalate"
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "finding.reviewed")).one()
    assert event.actor_id == auditor.id and event.data["action"] == "escalate"
    assert event.data["reason"] == "Refund the party; tell counsel."
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "finding_reviews")) == 1


def test_changed_facts_send_a_reviewed_finding_back_to_the_queue(scene):
    dep, _person, stipend, flight, auditor = scene
    target = one_finding(cost_id=flight.id, is_current=True)
    review.review_finding(db.session, deployment=dep, finding_id=target.id, action="acknowledge",
                          reason="", actor=auditor)
    db.session.commit()
    still_open = {row.finding.id for row in review.queue(db.session, dep, QueueFilters()).items}
    assert target.id not in still_open
    flight.amount = flight.amount_usd = Decimal("350.00")
    db.session.commit()
    db.session.refresh(target)
    assert review.review_state(target)[0] == "facts_changed"
    queue = review.queue(db.session, dep, QueueFilters(status="facts_changed"))
    assert [row.finding.id for row in queue.items] == [target.id]
    assert target.id in {row.finding.id for row in review.queue(db.session, dep,
                                                                QueueFilters()).items}
    # The same facts again: the review stands again.
    flight.amount = flight.amount_usd = Decimal("300.00")
    db.session.commit()
    db.session.refresh(target)
    assert review.review_state(target)[0] == "acknowledge"


@pytest.mark.parametrize("action", ["clear", "escalate"])
def test_clearing_or_escalating_needs_a_reason(scene, action):
    dep, _person, stipend, _flight, auditor = scene
    target = one_finding(cost_id=stipend.id, is_current=True)
    with pytest.raises(ValidationFailed) as caught:
        review.review_finding(db.session, deployment=dep, finding_id=target.id, action=action,
                              reason="   ", actor=auditor)
    assert caught.value.field == "reason"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(FindingReview)) == 0


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.VOLUNTEER, None])
def test_only_auditors_and_admins_may_review(scene, role):
    dep, _person, stipend, _flight, _auditor = scene
    actor = _user(role) if role else None
    with pytest.raises(PermissionDenied):
        review.review_finding(db.session, deployment=dep,
                              finding_id=one_finding(cost_id=stipend.id, is_current=True).id,
                              action="clear", reason="Looks fine to me.", actor=actor)
    admin = _user(Role.ADMIN)
    review.review_finding(db.session, deployment=dep,
                          finding_id=one_finding(cost_id=stipend.id, is_current=True).id,
                          action="acknowledge", reason="", actor=admin)


def test_a_finding_of_another_deployment_or_no_finding_is_not_found(scene):
    dep, _person, stipend, _flight, auditor = scene
    other = make_election_deployment(slug="elsewhere")
    target = one_finding(cost_id=stipend.id, is_current=True)
    for wrong in (target.id, 999999, "abc", "-1"):
        with pytest.raises(NotFound, match="no finding"):
            review.review_finding(db.session, deployment=other, finding_id=wrong,
                                  action="acknowledge", reason="", actor=auditor)
    with pytest.raises(ValidationFailed, match="not a review decision; use one of acknowledge, clear, escalate"):
        review.review_finding(db.session, deployment=dep, finding_id=target.id,
                              action="approve", reason="x", actor=auditor)


def test_a_finding_that_no_longer_applies_cannot_be_reviewed(scene):
    dep, person, _stipend, flight, auditor = scene
    target = one_finding(cost_id=flight.id, is_current=True)
    person.citizenship = Citizenship.US_CITIZEN
    flight.category = CostCategory.MEALS  # now R6, not R3
    db.session.commit()
    with pytest.raises(Conflict, match="no longer applies"):
        review.review_finding(db.session, deployment=dep, finding_id=target.id,
                              action="acknowledge", reason="", actor=auditor)


def test_the_queue_filters_and_sorts(scene):
    dep, _person, stipend, flight, auditor = scene
    everything = review.queue(db.session, dep, QueueFilters(status="all"))
    severities = [row.finding.severity for row in everything.items]
    # the stipend, the flight, and the manager's role twice: R1, and R2c (the stipend paid them)
    assert severities == sorted(severities, reverse=True) and everything.total == 4
    only = review.queue(db.session, dep, QueueFilters(code="PROHIBITED_FOREIGN_INKIND"))
    assert [row.finding.cost_id for row in only.items] == [stipend.id]
    assert review.queue(db.session, dep, QueueFilters(state="PA", status="all")).total == 0
    assert review.queue(db.session, dep, QueueFilters(state="NC", status="all")).total == 4
    assert {row.finding.payer_kind for row in review.queue(
        db.session, dep, QueueFilters(payer_kind="SELF", status="all")).items} == {"SELF"}
    assert all(row.finding.severity >= 8 for row in review.queue(
        db.session, dep, QueueFilters(min_severity=8, status="all")).items)
    target = one_finding(cost_id=flight.id, is_current=True)
    review.review_finding(db.session, deployment=dep, finding_id=target.id, action="clear",
                          reason="Own flight, under the exemption.", actor=auditor)
    db.session.commit()
    cleared = review.queue(db.session, dep, QueueFilters(status="clear"))
    assert [(row.finding.id, row.status) for row in cleared.items] == [(target.id, "clear")]
    assert review.queue(db.session, dep, QueueFilters(status="open")).total == 3
    for sort in review.SORTS:
        assert review.queue(db.session, dep, QueueFilters(sort=sort, status="all")).total == 4
    by_amount = review.queue(db.session, dep, QueueFilters(sort="amount", status="all")).items
    assert by_amount[0].finding.amount_usd == Decimal("500.00")


def test_queue_filters_from_a_query_string_refuse_nonsense_by_name():
    """Nonsense is a 400 that names the parameter (issue 14), not a silent default."""
    assert QueueFilters.from_args({"code": "", "status": ""}) == QueueFilters()
    for name, value in {"code": "DROP TABLE", "min_severity": "x", "state": "N1",
                        "status": "maybe", "sort": "random", "page": "-3",
                        "payer_kind": "ALIEN"}.items():
        with pytest.raises(BadQuery, match=f"^{name} must be"):
            QueueFilters.from_args({name: value})


# -- through the browser's path: forms, CSRF, PRG ------------------------------------------
def _web_scene(app):
    with app.app_context():
        dep = make_election_deployment(slug="webrev")
        person = make_volunteer()
        party = make_payer_of_kind(dep, PayerKind.FOREIGN_PARTY, name="The party", country="GB")
        line = make_cost(dep, person, CostCategory.STIPEND, "500.00", party)
        db.session.commit()
        return one_finding(cost_id=line.id, is_current=True).id


def test_an_auditor_clears_a_finding_through_the_page(app, client, login_as):
    finding_id = _web_scene(app)
    login_as(Role.AUDITOR)
    page = f"/deployments/webrev/findings/{finding_id}"
    body = client.get(page).get_data(as_text=True)
    assert "52 U.S.C. 30121(a)(1)(A)" in body and "R10" in body and "Not reviewed yet" in body
    token = csrf_token(client, page)
    empty = client.post(f"{page}/review", data={"csrf_token": token, "action": "clear",
                                                "reason": ""})
    assert empty.status_code == 422
    assert "a reason is required" in empty.get_data(as_text=True)
    assert count_rows(app, FindingReview) == 0
    done = client.post(f"{page}/review", data={"csrf_token": token, "action": "clear",
                                               "reason": "Refunded on 3 Nov; receipt on file."})
    assert done.status_code == 302 and done.location.endswith("/deployments/webrev/findings/")
    assert "cleared" in client.get(done.location).get_data(as_text=True)
    assert count_rows(app, FindingReview) == 1
    assert "Refunded on 3 Nov" in client.get(page).get_data(as_text=True)


def test_organisers_read_findings_but_cannot_review(app, client, login_as):
    finding_id = _web_scene(app)
    login_as(Role.ORGANISER)
    page = f"/deployments/webrev/findings/{finding_id}"
    body = client.get(page).get_data(as_text=True)
    assert "Record a review" not in body
    refused = client.post(f"{page}/review", data={"csrf_token": csrf_token(client, "/login"),
                                                  "action": "acknowledge", "reason": ""})
    assert refused.status_code == 403
    assert count_rows(app, FindingReview) == 0


def test_a_finding_id_from_another_deployment_is_a_404_page(app, client, login_as):
    finding_id = _web_scene(app)
    with app.app_context():
        make_election_deployment(slug="other-dep")
        db.session.commit()
    login_as(Role.AUDITOR)
    assert client.get(f"/deployments/other-dep/findings/{finding_id}").status_code == 404
    token = csrf_token(client, "/login")
    response = client.post(f"/deployments/other-dep/findings/{finding_id}/review",
                           data={"csrf_token": token, "action": "acknowledge"})
    assert response.status_code == 404
    assert count_rows(app, FindingReview) == 0


def test_a_review_without_a_csrf_token_is_refused(app, client, login_as):
    finding_id = _web_scene(app)
    login_as(Role.AUDITOR)
    response = client.post(f"/deployments/webrev/findings/{finding_id}/review",
                           data={"action": "acknowledge"})
    assert response.status_code == 400
    assert count_rows(app, FindingReview) == 0


def test_log_in_helper_still_works_for_review_pages(app, client, create_user):
    finding_id = _web_scene(app)
    create_user(Role.AUDITOR, email="named-auditor@example.org")
    log_in(client, "named-auditor@example.org")
    assert client.get(f"/deployments/webrev/findings/{finding_id}").status_code == 200
