"""Totals of a deployment's cost lines, summed in SQL in US dollars (exact: integer cents).

Per volunteer, per state (the state of the volunteer's sign-up in the deployment), per payer,
per payer kind and per category. Each is one GROUP BY query, whatever the number of lines.
A reimbursement and the own expense it repays are one expense: the repaid part of the own
line is counted once, on the reimbursement.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from ..models import Cost, Deployment, Payer, Placement, Signup, User, Volunteer
from ..models.types import Money
from .money import cents
from .paging import Page, paginate


@dataclass(frozen=True)
class Total:
    key: str
    label: str
    lines: int
    usd: Decimal


#: What reimbursements repay of each own-expense line.
_REPAID = (select(Cost.reimburses_id.label("cost_id"), func.sum(Cost.amount_usd).label("repaid"))
           .where(Cost.reimburses_id.is_not(None)).group_by(Cost.reimburses_id)
           .subquery("repaid"))
#: A line's value as the totals count it (join ``_REPAID`` on the line's id).
COUNTED = type_coerce(Cost.amount_usd - func.coalesce(_REPAID.c.repaid, 0), Money())


def repaid_per_line():
    """A subquery: (cost_id, repaid) for every own-expense line reimbursements repay."""
    return _REPAID


def _usd():
    return func.coalesce(func.sum(COUNTED), 0)


def _counted(stmt):
    return stmt.outerjoin(_REPAID, _REPAID.c.cost_id == Cost.id)


def _rows(session: Session, stmt) -> list[Total]:
    return [Total(str(key), str(label), int(lines), cents(usd))
            for key, label, lines, usd in session.execute(stmt)]


def grand_total(session: Session, deployment: Deployment) -> Total:
    lines, usd = session.execute(_counted(select(func.count(Cost.id), _usd()).select_from(Cost))
                                 .where(Cost.deployment_id == deployment.id)).one()
    return Total("all", "All lines", lines, cents(usd))


def by_category(session: Session, deployment: Deployment) -> list[Total]:
    return _rows(session, _counted(select(Cost.category, Cost.category, func.count(Cost.id),
                                          _usd()).select_from(Cost))
                 .where(Cost.deployment_id == deployment.id)
                 .group_by(Cost.category).order_by(Cost.category))


def by_payer_kind(session: Session, deployment: Deployment) -> list[Total]:
    return _rows(session, _counted(select(Payer.kind, Payer.kind, func.count(Cost.id), _usd())
                                   .select_from(Cost))
                 .join(Payer, Payer.id == Cost.payer_id)
                 .where(Cost.deployment_id == deployment.id)
                 .group_by(Payer.kind).order_by(Payer.kind))


def by_payer(session: Session, deployment: Deployment) -> list[Total]:
    return _rows(session, _counted(select(Payer.id, Payer.name, func.count(Cost.id), _usd())
                                   .select_from(Cost))
                 .join(Payer, Payer.id == Cost.payer_id)
                 .where(Cost.deployment_id == deployment.id)
                 .group_by(Payer.id, Payer.name).order_by(_usd().desc(), Payer.name))


def latest_signups(deployment: Deployment):
    """Each volunteer's most recent sign-up in the deployment (whose state counts)."""
    return (select(Signup.volunteer_id, func.max(Signup.id).label("signup_id"))
            .where(Signup.deployment_id == deployment.id)
            .group_by(Signup.volunteer_id).subquery())


def states_of_volunteers(session: Session, deployment: Deployment) -> dict[int, str]:
    """{volunteer id: state of their most recent sign-up in the deployment}."""
    return dict(session.execute(select(Signup.volunteer_id, Placement.state_code)
                                .join(Placement, Placement.id == Signup.placement_id)
                                .where(Signup.deployment_id == deployment.id)
                                .order_by(Signup.id)).tuples().all())


def by_state(session: Session, deployment: Deployment) -> list[Total]:
    """Lines of a volunteer without a sign-up in the deployment count under "—".

    Lines are summed per volunteer first, so the join to sign-ups handles one row per
    volunteer rather than one per line.
    """
    per_volunteer = (_counted(select(Cost.volunteer_id, func.count(Cost.id).label("lines"),
                                     func.sum(COUNTED).label("usd")).select_from(Cost))
                     .where(Cost.deployment_id == deployment.id)
                     .group_by(Cost.volunteer_id).subquery())
    latest = latest_signups(deployment)
    state = func.coalesce(Placement.state_code, "—")
    usd = func.coalesce(func.sum(per_volunteer.c.usd), 0)
    return _rows(session, select(state, state, func.coalesce(func.sum(per_volunteer.c.lines), 0),
                                 type_coerce(usd, Money()))
                 .select_from(per_volunteer)
                 .outerjoin(latest, latest.c.volunteer_id == per_volunteer.c.volunteer_id)
                 .outerjoin(Signup, Signup.id == latest.c.signup_id)
                 .outerjoin(Placement, Placement.id == Signup.placement_id)
                 .group_by(state).order_by(state))


def by_volunteer(session: Session, deployment: Deployment, *, page: int = 1,
                 per_page: int = 50) -> Page:
    """One page of volunteers, largest total first: items are (Total, email)."""
    stmt = (_counted(select(Volunteer.id, User.full_name, func.count(Cost.id), _usd(), User.email)
                     .select_from(Cost))
            .join(Volunteer, Volunteer.id == Cost.volunteer_id)
            .join(User, User.id == Volunteer.user_id)
            .where(Cost.deployment_id == deployment.id)
            .group_by(Volunteer.id, User.full_name, User.email)
            .order_by(_usd().desc(), User.full_name, Volunteer.id))
    found = paginate(session, stmt, page, per_page)
    found.items = [(Total(str(vid), name, lines, cents(usd)), email)
                   for vid, name, lines, usd, email in found.items]
    return found


def all_totals(session: Session, deployment: Deployment, *, page: int = 1,
               per_page: int = 50) -> dict:
    """Everything the totals page shows, in a fixed number of queries."""
    return {"grand": grand_total(session, deployment),
            "by_category": by_category(session, deployment),
            "by_payer_kind": by_payer_kind(session, deployment),
            "by_payer": by_payer(session, deployment),
            "by_state": by_state(session, deployment),
            "by_volunteer": by_volunteer(session, deployment, page=page, per_page=per_page)}
