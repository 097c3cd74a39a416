"""The disclosure data: every line and role with its findings, totals, the rule set, a fingerprint.

The same dict feeds the JSON API, the PDF report and its embedded attachments. It is plain
JSON-ready data (amounts are strings with two decimals, dates ISO). The fingerprint is the
SHA-256 of everything but ``as_of``: the same facts, findings and reviews always give the
same fingerprint, and any change gives another. Built with a handful of bulk queries, so a
deployment with 50,000 lines is read in one pass (no query per line).
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ...models import (Cost, Deployment, Finding, FindingCode, FindingReview, Payer, PayerKind,
                       Placement, ReportScope, Signup, User, Volunteer)
from ...models.types import utcnow
from .. import money, totals
from .rules import sha256_of
from .scope import WHOLE, Scope
from .store import active_rule_set
from .sync import flush_pending, states_by_volunteer
from .verdicts import FindingBrief, verdict_for

ZERO = Decimal("0.00")


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _v(value):
    return None if value is None else getattr(value, "value", value)


def _reviews(session: Session, deployment: Deployment) -> dict[int, dict]:
    """The latest review of each finding of the deployment."""
    rows = session.execute(
        select(FindingReview.finding_id, FindingReview.action, FindingReview.reason,
               FindingReview.facts_hash, FindingReview.created_at, User.email, User.full_name,
               Finding.facts_hash)
        .join(Finding, Finding.id == FindingReview.finding_id)
        .join(User, User.id == FindingReview.reviewer_id)
        .where(Finding.deployment_id == deployment.id)
        .order_by(FindingReview.id))
    latest = {}
    for finding_id, action, reason, hashed, at, email, name, current_hash in rows:
        latest[finding_id] = {"action": action.value, "reason": reason, "reviewer": email,
                              "reviewer_name": name, "at": at.isoformat(),
                              "facts_changed": hashed != current_hash}
    return latest


def _findings(session: Session, deployment: Deployment, reviews: dict):
    """Current findings of the deployment, grouped by cost line, sign-up and volunteer."""
    rows = session.execute(
        select(Finding.id, Finding.code, Finding.rule_id, Finding.reason, Finding.citation,
               Finding.severity, Finding.priority, Finding.amount_usd, Finding.cost_id,
               Finding.signup_id, Finding.volunteer_id, Finding.payer_kind, Finding.key)
        .where(Finding.deployment_id == deployment.id, Finding.is_current.is_(True))
        .order_by(Finding.severity.desc(), Finding.id))
    by_cost, by_signup, by_volunteer = defaultdict(list), defaultdict(list), defaultdict(list)
    briefs = defaultdict(list)
    for (finding_id, code, rule_id, reason, citation, severity, priority, amount, cost_id,
         signup_id, volunteer_id, payer_kind, _key) in rows:
        entry = {"id": finding_id, "code": code.value, "rule_id": rule_id, "reason": reason,
                 "citation": citation, "severity": severity, "priority": priority.value,
                 "amount_usd": None if amount is None else f"{amount:.2f}",
                 "review": reviews.get(finding_id)}
        if cost_id is not None:
            by_cost[cost_id].append(entry)
        elif signup_id is not None:
            by_signup[signup_id].append(entry)
        else:
            by_volunteer[volunteer_id].append(entry)
        briefs[volunteer_id].append(FindingBrief(entry["code"], cost_id is not None, payer_kind))
    return by_cost, by_signup, by_volunteer, briefs


def _deployment_json(deployment: Deployment) -> dict:
    data = {"slug": deployment.slug, "name": deployment.name,
            "sending_organisation": deployment.sending_organisation,
            "receiving_committee": deployment.receiving_committee,
            "election": deployment.election, "election_code": deployment.election_code}
    # The election's office and jurisdiction where they are recorded (an older deployment's
    # disclosure, without them, keeps its fingerprint).
    if deployment.election_office:
        data["election_office"] = deployment.election_office
    if deployment.election_jurisdiction:
        data["election_jurisdiction"] = deployment.election_jurisdiction
    return data


def _codes(findings: list[dict]) -> tuple[list[str], list[str]]:
    """Each code and each rule once, in the findings' order (highest severity first)."""
    return (list(dict.fromkeys([item["code"] for item in findings])),
            list(dict.fromkeys([item["rule_id"] for item in findings])))


def build_disclosure(session: Session, deployment: Deployment,
                     scope: Scope | None = None) -> dict:
    """The disclosure of ``deployment``, or of the part of it ``scope`` covers (a scope from
    ``scope.resolve``; None is the whole deployment)."""
    flush_pending(session)  # changes made earlier in this transaction count
    rs = active_rule_set(session)
    scope = scope or WHOLE
    kind = scope.kind
    signups = session.execute(
        select(Signup.id, Signup.deployment_id, Signup.volunteer_id, Signup.role, Signup.status,
               Signup.arrive_on, Signup.depart_on, Signup.role_override_reason,
               Placement.state_code)
        .join(Placement, Placement.id == Signup.placement_id)
        .where(Signup.deployment_id == deployment.id).order_by(Signup.id)).all()
    states = {vid: st for (_dep, vid), st in states_by_volunteer(signups).items()}
    people = {row.id: row for row in session.execute(
        select(Volunteer.id, Volunteer.citizenship, User.email, User.full_name)
        .join(User, User.id == Volunteer.user_id)
        .where(Volunteer.id.in_(
            select(Signup.volunteer_id).where(Signup.deployment_id == deployment.id)
            .union(select(Cost.volunteer_id).where(Cost.deployment_id == deployment.id)))))}
    reviews = _reviews(session, deployment)
    by_cost, by_signup, by_volunteer, briefs = _findings(session, deployment, reviews)

    arranger = aliased(Payer)
    repaid = totals.repaid_per_line()
    cost_query = (select(Cost.id, Cost.volunteer_id, Cost.category, Cost.description,
                         Cost.incurred_on, Cost.amount, Cost.currency, Cost.amount_usd,
                         Cost.payer_id, Payer.name, Payer.kind, arranger.name, Cost.line_ref,
                         Cost.reimburses_id, func.coalesce(repaid.c.repaid, 0).label("repaid"))
                  .join(Payer, Payer.id == Cost.payer_id)
                  .outerjoin(arranger, arranger.id == Cost.arranged_by_id)
                  .outerjoin(repaid, repaid.c.cost_id == Cost.id)
                  .where(Cost.deployment_id == deployment.id))
    if kind is ReportScope.PAYER:
        cost_query = cost_query.where(Cost.payer_id == scope.id)
    if kind is ReportScope.VOLUNTEER:
        cost_query = cost_query.where(Cost.volunteer_id == scope.id)
    cost_rows = session.execute(cost_query).all()
    if kind is ReportScope.STATE:
        # scope.state is None for the no-state scope: the volunteers without a sign-up.
        cost_rows = [row for row in cost_rows if states.get(row.volunteer_id) == scope.state]

    def person(vid: int) -> dict:
        who = people[vid]
        return {"volunteer_email": who.email, "volunteer_name": who.full_name,
                "citizenship": _v(who.citizenship), "state": states.get(vid)}

    items = []
    totals_by_code = {code.value: ZERO for code in FindingCode}
    totals_by_kind = {kind.value: ZERO for kind in PayerKind}
    for row in sorted(cost_rows, key=lambda r: (people[r.volunteer_id].email, r.incurred_on,
                                                 r.id)):
        findings = by_cost.get(row.id, [])
        codes, rule_ids = _codes(findings)
        for item in findings:
            if item["amount_usd"] is not None:
                totals_by_code[item["code"]] += Decimal(item["amount_usd"])  # exact: 2 places
        repaid_usd = money.cents(row.repaid)
        # A reimbursement and the own expense it repays are one expense: counted once.
        totals_by_kind[row.kind.value] = totals_by_kind.get(row.kind.value, ZERO) + \
            row.amount_usd - repaid_usd
        item = {"cost_id": row.id, **person(row.volunteer_id),
                "category": row.category.value, "description": row.description,
                "incurred_on": row.incurred_on.isoformat(), "amount": _money(row.amount),
                "currency": row.currency, "amount_usd": _money(row.amount_usd),
                "payer_name": row.name, "payer_kind": row.kind.value,
                "arranged_by_name": row[11], "codes": codes, "rule_ids": rule_ids,
                "severity": findings[0]["severity"] if findings else 0,
                "findings": findings}
        # Only where they say something, so a ledger without them keeps its fingerprint.
        if row.line_ref:
            item["line_ref"] = row.line_ref
        if row.reimburses_id is not None:
            item["reimburses_cost_id"] = row.reimburses_id
        if repaid_usd:
            item["repaid_usd"] = _money(repaid_usd)
        items.append(item)

    in_scope = {row.volunteer_id for row in cost_rows}
    if kind is ReportScope.DEPLOYMENT:
        in_scope |= {row.volunteer_id for row in signups}
    elif kind is ReportScope.STATE:
        in_scope |= {row.volunteer_id for row in signups if row.state_code == scope.state}
    elif kind is ReportScope.VOLUNTEER:
        in_scope.add(scope.id)
    roles = []
    for row in signups:
        if row.volunteer_id not in in_scope or (kind is ReportScope.STATE
                                                and row.state_code != scope.state):
            continue
        findings = by_signup.get(row.id, [])
        codes, rule_ids = _codes(findings)
        roles.append({"signup_id": row.id, **person(row.volunteer_id), "state": row.state_code,
                      "role": row.role.value, "arrive_on": row.arrive_on.isoformat(),
                      "depart_on": row.depart_on.isoformat(), "status": row.status.value,
                      "codes": codes, "rule_ids": rule_ids,
                      "override_reason": row.role_override_reason, "findings": findings})

    volunteers = []
    counts = {code.value: 0 for code in FindingCode}
    for vid in sorted(in_scope, key=lambda v: people[v].email):
        verdict = verdict_for(rs, briefs.get(vid, []))
        own = by_volunteer.get(vid, [])
        codes, _rules = _codes(own)
        volunteers.append({**person(vid), "verdict": verdict.label, "verdict_key": verdict.key,
                           "codes": codes, "findings": own})
    for group in (items, roles, volunteers):
        for entry in group:
            for item in entry["findings"]:
                counts[item["code"]] += 1

    data = {
        "deployment": _deployment_json(deployment),
        "scope": scope.as_json(deployment),
        "items": items, "roles": roles, "volunteers": volunteers,
        "totals_by_code": {code: _money(total) for code, total in totals_by_code.items()},
        "totals_by_payer_kind": {kind: _money(total) for kind, total in totals_by_kind.items()},
        "counts_by_code": counts,
        "rule_set": rs.as_json(),
    }
    fingerprint = sha256_of(data)
    return {**data, "as_of": utcnow().isoformat(), "fingerprint": fingerprint}
