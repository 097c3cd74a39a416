"""The auditors' review: the findings queue and the decisions on each finding.

A review is tied to the facts it was made on (the finding's ``facts_hash`` at the time). While
they stay the same the review stands; when they change, the finding reads "facts changed since
review" and is back in the queue. Every review is written to the audit chain.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from ...models import (Deployment, Finding, FindingCode, FindingReview, PayerKind,
                       ReviewAction, Role, User, Volunteer)
from .. import audit, choices
from ..paging import Page, choice_arg, int_arg, page_number, paginate
from ..validation import US_STATES
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from .sync import flush_pending

REVIEWERS = (Role.AUDITOR, Role.ADMIN)
REASON_MAX = 2000
#: Review states a finding can be in, for the queue's filter. "open" = needs a decision now
#: (never reviewed, or facts changed since the review).
STATUSES = {"open": "Needs a decision", "facts_changed": "Facts changed since review",
            "acknowledge": "Acknowledged", "clear": "Cleared", "escalate": "Escalated",
            "reviewed": "Reviewed (any decision)", "all": "All"}
SORTS = {"severity": "Severity", "code": "Code", "state": "State", "payer_kind": "Payer kind",
         "amount": "Amount (largest first)", "volunteer": "Volunteer", "status": "Review status",
         "newest": "Recently changed"}
PER_PAGE = 50


@dataclass
class QueueFilters:
    code: str | None = None
    min_severity: int | None = None
    state: str | None = None
    payer_kind: str | None = None
    status: str = "open"
    sort: str = "severity"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> QueueFilters:
        """Read a query string; a blank value is the default.

        :raises BadQuery: a value that is none of the choices (a 400 naming it)
        """
        severities = [code.severity for code in FindingCode]
        return cls(code=choice_arg(args.get("code"), FindingCode.__members__, "code"),
                   min_severity=int_arg(args.get("min_severity"), "min_severity",
                                        min(severities), max(severities)),
                   state=choice_arg((args.get("state") or "").strip().upper(), US_STATES,
                                    "state"),
                   payer_kind=choice_arg(args.get("payer_kind"),
                                         {kind.value for kind in PayerKind}, "payer_kind"),
                   status=choice_arg(args.get("status"), STATUSES, "status") or "open",
                   sort=choice_arg(args.get("sort"), SORTS, "sort") or "severity",
                   page=page_number(args.get("page")))

    def as_args(self, **changes) -> dict:
        values = {"code": self.code, "min_severity": self.min_severity, "state": self.state,
                  "payer_kind": self.payer_kind, "status": self.status, "sort": self.sort,
                  "page": self.page, **changes}
        return {k: v for k, v in values.items() if v not in (None, "")}


@dataclass
class QueueRow:
    finding: Finding
    volunteer_name: str
    volunteer_email: str
    status: str
    reviewer: str | None


def _latest_review():
    latest = (select(FindingReview.finding_id, func.max(FindingReview.id).label("review_id"))
              .group_by(FindingReview.finding_id).subquery())
    return latest, aliased(FindingReview)


def _status_expr(review):
    return case((review.id.is_(None), literal("open")),
                (review.facts_hash != Finding.facts_hash, literal("facts_changed")),
                else_=review.action)


def queue(session: Session, deployment: Deployment, filters: QueueFilters) -> Page:
    """One page of the deployment's current findings, filtered and sorted for review."""
    latest, review = _latest_review()
    reviewer = aliased(User)
    status = _status_expr(review)
    stmt = (select(Finding, User.full_name, User.email, status.label("status"),
                   reviewer.full_name)
            .join(Volunteer, Volunteer.id == Finding.volunteer_id)
            .join(User, User.id == Volunteer.user_id)
            .outerjoin(latest, latest.c.finding_id == Finding.id)
            .outerjoin(review, review.id == latest.c.review_id)
            .outerjoin(reviewer, reviewer.id == review.reviewer_id)
            .where(Finding.deployment_id == deployment.id, Finding.is_current.is_(True)))
    if filters.code:
        stmt = stmt.where(Finding.code == FindingCode(filters.code))
    if filters.min_severity:
        stmt = stmt.where(Finding.severity >= filters.min_severity)
    if filters.state:
        stmt = stmt.where(Finding.state_code == filters.state)
    if filters.payer_kind:
        stmt = stmt.where(Finding.payer_kind == filters.payer_kind)
    if filters.status == "open":
        stmt = stmt.where(or_(review.id.is_(None), review.facts_hash != Finding.facts_hash))
    elif filters.status == "facts_changed":
        stmt = stmt.where(review.id.is_not(None), review.facts_hash != Finding.facts_hash)
    elif filters.status == "reviewed":
        stmt = stmt.where(review.facts_hash == Finding.facts_hash)
    elif filters.status in ("acknowledge", "clear", "escalate"):
        stmt = stmt.where(and_(review.facts_hash == Finding.facts_hash,
                               review.action == ReviewAction(filters.status)))
    priority = case((Finding.priority == "high", 0), (Finding.priority == "normal", 1), else_=2)
    order = {
        "severity": (Finding.severity.desc(), priority, Finding.id),
        "code": (Finding.code, priority, Finding.id),
        "state": (Finding.state_code, Finding.severity.desc(), Finding.id),
        "payer_kind": (Finding.payer_kind, Finding.severity.desc(), Finding.id),
        "amount": (Finding.amount_usd.desc().nulls_last(), Finding.id),
        "volunteer": (User.full_name, User.email, Finding.severity.desc(), Finding.id),
        "status": (status, Finding.severity.desc(), Finding.id),
        "newest": (Finding.computed_at.desc(), Finding.id.desc()),
    }[filters.sort]
    found = paginate(session, stmt.order_by(*order), filters.page, PER_PAGE)
    found.items = [QueueRow(f, name, email, st, who) for f, name, email, st, who in found.items]
    return found


def counts_by_code(session: Session, deployment_ids=None) -> dict[int, dict[str, int]]:
    """{deployment id: {code: current findings}} (and "open": those needing a decision)."""
    latest, review = _latest_review()
    stmt = (select(Finding.deployment_id, Finding.code, func.count(),
                   func.sum(case((or_(review.id.is_(None),
                                      review.facts_hash != Finding.facts_hash), 1), else_=0)))
            .outerjoin(latest, latest.c.finding_id == Finding.id)
            .outerjoin(review, review.id == latest.c.review_id)
            .where(Finding.is_current.is_(True))
            .group_by(Finding.deployment_id, Finding.code))
    if deployment_ids is not None:
        stmt = stmt.where(Finding.deployment_id.in_(list(deployment_ids)))
    counts: dict[int, dict] = {}
    for deployment_id, code, total, still_open in session.execute(stmt):
        entry = counts.setdefault(deployment_id, {"codes": {c.value: 0 for c in FindingCode},
                                                  "open": {c.value: 0 for c in FindingCode}})
        entry["codes"][code.value] = total
        entry["open"][code.value] = int(still_open or 0)
    return counts


def get_finding(session: Session, deployment: Deployment, finding_id) -> Finding:
    """:raises NotFound: no finding with that id in this deployment (other deployments' ids
    are answered the same way, so they reveal nothing)"""
    finding = session.get(Finding, int(finding_id)) if str(finding_id).isdigit() else None
    if finding is None or finding.deployment_id != deployment.id:
        raise NotFound(f"There is no finding #{finding_id} in {deployment.name}.")
    return finding


def siblings(session: Session, finding: Finding) -> list[Finding]:
    """The other current findings about the same cost line or sign-up."""
    if not (finding.cost_id or finding.signup_id):
        return []
    subject = Finding.cost_id == finding.cost_id if finding.cost_id \
        else Finding.signup_id == finding.signup_id
    return list(session.scalars(select(Finding).where(
        subject, Finding.is_current.is_(True), Finding.id != finding.id).order_by(Finding.id)))


def review_state(finding: Finding) -> tuple[str, FindingReview | None]:
    """("open" | "facts_changed" | the latest action, the latest review)."""
    latest = max(finding.reviews, key=lambda r: r.id, default=None)
    if latest is None:
        return "open", None
    if latest.facts_hash != finding.facts_hash:
        return "facts_changed", latest
    return latest.action.value, latest


def review_finding(session: Session, *, deployment: Deployment, finding_id, action, reason: str,
                   actor: User | None) -> FindingReview:
    """Record an auditor's decision on a finding, tied to the facts as they are now.

    :raises PermissionDenied: the actor is not an auditor or administrator
    :raises NotFound: no such finding in this deployment
    :raises Conflict: the finding no longer applies
    :raises ValidationFailed: an unknown action; no reason for clearing or escalating
    """
    audit.act_as(session, actor)
    if actor is None or actor.role not in REVIEWERS:
        raise PermissionDenied("Only an auditor or an administrator may review findings.")
    flush_pending(session)  # review the facts as they are in this transaction
    finding = get_finding(session, deployment, finding_id)
    if not finding.is_current:
        raise Conflict("This finding no longer applies (the facts changed); there is nothing "
                       "to review.")
    action = choices.parse(ReviewAction, action, field="action", what="review decision")
    reason = (reason or "").strip()
    if action is not ReviewAction.ACKNOWLEDGE and not reason:
        raise ValidationFailed(f"Write why you {action.value} this finding; the reason is kept "
                               "with the review.", field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(f"Keep the reason under {REASON_MAX} characters.", field="reason")
    review = FindingReview(finding=finding, reviewer_id=actor.id, action=action, reason=reason,
                           facts_hash=finding.facts_hash)
    session.add(review)
    session.flush()
    audit.record(session, "finding.reviewed", "findings", finding.id,
                 {"action": action.value, "code": finding.code.value,
                  "rule_id": finding.rule_id, "reason": reason,
                  "facts_hash": finding.facts_hash, "review_id": review.id})
    return review
