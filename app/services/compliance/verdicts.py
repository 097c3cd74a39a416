"""One verdict per volunteer: the highest level any of their current findings reaches.

Levels (rule-set data, highest first): potential prohibited contribution, looks like
compensation, needs review, received things of value from others, own expenses only, nothing
of value received. Exempt hospitality (a ``VOL_OK`` on a line someone else paid) still counts
as something received from others; ``VOL_OK`` for a role or for having no lines adds nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import (Cost, Deployment, Finding, FindingCode, Placement, Signup, User,
                       Volunteer)
from .rules import RuleSet
from .sync import states_by_volunteer


@dataclass(frozen=True)
class Verdict:
    key: str
    label: str
    #: 0 for the highest level.
    rank: int


@dataclass(frozen=True)
class FindingBrief:
    """What a verdict needs to know about one finding."""
    code: str
    on_cost_line: bool
    payer_kind: str | None


def levels(rs: RuleSet) -> list[Verdict]:
    return [Verdict(item["key"], item["label"], rank) for rank, item in enumerate(rs.verdicts)]


def _rank(rs: RuleSet, brief: FindingBrief) -> int | None:
    for rank, item in enumerate(rs.verdicts):
        if brief.code not in item.get("codes", []):
            continue
        if item.get("cost_lines_only") and not brief.on_cost_line:
            return None  # a role's or a whole volunteer's VOL_OK: nothing received
        if brief.code == "VOL_OK" and brief.payer_kind not in (None, "SELF"):
            return next((r for r, other in enumerate(rs.verdicts)
                         if other.get("vol_ok_paid_by_others")), rank)
        return rank
    return None


def verdict_for(rs: RuleSet, briefs: list[FindingBrief]) -> Verdict:
    """The highest level reached by ``briefs`` (a volunteer's current findings)."""
    all_levels = levels(rs)
    ranks = [rank for rank in (_rank(rs, brief) for brief in briefs) if rank is not None]
    return all_levels[min(ranks)] if ranks else all_levels[-1]


def briefs_by_volunteer(session: Session, deployment: Deployment) -> dict[int, list[FindingBrief]]:
    rows = session.execute(select(Finding.volunteer_id, Finding.code, Finding.cost_id,
                                  Finding.key, Finding.payer_kind)
                           .where(Finding.deployment_id == deployment.id,
                                  Finding.is_current.is_(True)))
    found: dict[int, list[FindingBrief]] = {}
    for volunteer_id, code, cost_id, key, payer_kind in rows:
        found.setdefault(volunteer_id, []).append(
            FindingBrief(code.value, cost_id is not None or key.startswith("cost:"), payer_kind))
    return found


def volunteer_verdicts(session: Session, rs: RuleSet, deployment: Deployment) -> list[dict]:
    """Everyone with a sign-up or a cost line in the deployment, with their verdict and codes,
    highest verdict first."""
    signups = session.execute(
        select(Signup.id, Signup.deployment_id, Signup.volunteer_id, Signup.status,
               Placement.state_code)
        .join(Placement, Placement.id == Signup.placement_id)
        .where(Signup.deployment_id == deployment.id)).all()
    states = states_by_volunteer(signups)
    people = session.execute(
        select(Volunteer.id, Volunteer.citizenship, User.full_name, User.email)
        .join(User, User.id == Volunteer.user_id)
        .where(Volunteer.id.in_(
            select(Signup.volunteer_id).where(Signup.deployment_id == deployment.id)
            .union(select(Cost.volunteer_id).where(Cost.deployment_id == deployment.id))))).all()
    briefs = briefs_by_volunteer(session, deployment)
    rows = []
    for vid, citizenship, name, email in people:
        mine = briefs.get(vid, [])
        codes = sorted({b.code for b in mine}, key=lambda c: -_SEVERITY[c])
        verdict = verdict_for(rs, mine)
        rows.append({"volunteer_id": vid, "name": name, "email": email,
                     "citizenship": citizenship.value if citizenship else None,
                     "state": states.get((deployment.id, vid)), "verdict": verdict,
                     "codes": codes})
    return sorted(rows, key=lambda r: (r["verdict"].rank, r["name"], r["email"]))


_SEVERITY = {code.value: code.severity for code in FindingCode}
