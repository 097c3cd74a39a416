"""The compliance engine: every thing of value and every role, classified with a cited rule.

- ``rules``: the rule set as data (``rulesets/*.json``), checked and compiled.
- ``engine``: pure classification of lines, roles and volunteers (running totals, overlays).
- ``store``: which rule set is in force; ``sync``: findings kept current at every commit.
- ``verdicts``, ``review``, ``disclosure``, ``fec``: what people and other tools read.

This module also answers "what WOULD this produce?" for forms, before anything is saved.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from ...models import (ACTIVE_SIGNUP_STATUSES, CostCategory, Deployment, FindingCode, Payer,
                       PayerKind, Signup, SignupRole, Volunteer)
from .. import choices, ledger, money
from ..errors import ValidationFailed
from ..validation import currency_code
from . import sync
from .engine import LineFacts, RoleFacts, classify_lines, classify_role
from .rules import default_rule_set
from .store import active_rule_set

#: Codes a form warns about before saving (saving stays allowed, and is recorded).
WARNING_CODES = frozenset({FindingCode.PROHIBITED_FOREIGN_INKIND.value,
                           FindingCode.PROHIBITED_PARTICIPATION.value,
                           FindingCode.PROHIBITED_SOURCE.value,
                           FindingCode.COMPENSATION.value})

Preview = tuple[str, str, str, str]  # (code, rule id, reason, citation)


def preview_cost_findings(session: Session, *, deployment: Deployment, volunteer: Volunteer,
                          category, amount_usd, payer: Payer, arranged_by: Payer | None = None,
                          in_residence: bool = False, incurred_on: date,
                          description: str = "", reimbursed: bool = False,
                          cash_outlay: bool = True, reimburses_id: int | None = None,
                          usd_deviation=None, replaces_line: int | None = None) -> list[Preview]:
    """What a cost line WOULD produce if saved now: [(code, rule id, reason, citation)],
    highest severity first. Running totals include the volunteer's (and host's) saved lines;
    ``replaces_line`` is the saved line an edit would change (left out of them).

    :raises ValidationFailed: an unknown category or payer kind, a bad amount or date
    """
    category = choices.parse(CostCategory, category, field="category", what="cost category")
    kind = choices.parse(PayerKind, getattr(payer, "kind", None), field="payer_id",
                         what="payer kind")
    if not isinstance(incurred_on, date):
        raise ValidationFailed("Give the date of the cost.", field="incurred_on")
    rs = active_rule_set(session)
    line = LineFacts(
        line_id=None, volunteer_id=volunteer.id,
        election_key=sync.election_key(deployment.id, deployment.election_code,
                                       deployment.election_office,
                                       deployment.election_jurisdiction),
        citizenship=sync._value(volunteer.citizenship),
        leave_type=sync._value(volunteer.leave_type),
        category=category.value, description=description or "",
        amount_usd=money.parse_amount(amount_usd, field="amount_usd"),
        incurred_on=incurred_on, payer_id=getattr(payer, "id", None), payer_kind=kind.value,
        payer_name=getattr(payer, "name", "") or "",
        organisation_type=sync._value(getattr(payer, "organisation_type", None)),
        arranged_by_id=getattr(arranged_by, "id", None),
        arranged_by_kind=sync._value(getattr(arranged_by, "kind", None)),
        in_residence=bool(in_residence), reimbursed=bool(reimbursed),
        cash_outlay=bool(cash_outlay), payer_country=getattr(payer, "country", None),
        usd_deviation=usd_deviation, reimburses_id=reimburses_id)
    saved = sync.with_usd_deviations(session, rs, sync._load_lines(
        session, {volunteer.id} if volunteer.id else set(),
        extra_hosts={sync._host_key(line.election_key, line.payer_name)}
        if in_residence else set()))
    others = [item.facts for item in saved if item.facts.line_id != replaces_line]
    outcomes = classify_lines(rs, [*others, line])[None]
    return [outcome.as_tuple() for outcome in outcomes] + \
        _role_becomes_paid(session, rs, deployment, volunteer, kind.value, outcomes,
                           replaces_line)


def _role_becomes_paid(session: Session, rs, deployment: Deployment, volunteer: Volunteer,
                       payer_kind: str, outcomes, replaces_line: int | None) -> list[Preview]:
    """R2c: a line that pays a volunteer who holds a role in the deployment, and nothing paid
    them before, makes that role paid work: say so before saving."""
    if rs.paid_by is None or not rs.paid_by.pays(
            ((o.code, o.rule_id, o.detail.get("value")) for o in outcomes), payer_kind):
        return []
    role = session.scalar(select(Signup.role).where(
        Signup.deployment_id == deployment.id, Signup.volunteer_id == volunteer.id,
        Signup.status.in_(ACTIVE_SIGNUP_STATUSES)))
    already = [cost for cost in paid_lines(session, deployment, [volunteer.id]).get(
        volunteer.id, []) if cost != replaces_line]
    if role is None or already:
        return []
    overlay = rs.role_overlays[0]
    return [(FindingCode.COMPENSATION.value, overlay.id,
             f"Their role ({role.value.replace('_', ' ')}) becomes paid work: {overlay.reason}",
             overlay.citation)]


def paid_lines(session: Session, deployment: Deployment, volunteer_ids) -> dict[int, list[int]]:
    """{volunteer id: the lines that make their role in ``deployment`` a paid one} (R2c, for
    rule sets that say so; from the current findings, one query)."""
    return sync.paid_lines_of(session, active_rule_set(session), deployment.id, volunteer_ids)


def preview_role_findings(volunteer: Volunteer, role, paid_by: list[int] = ()) -> list[Preview]:
    """What giving ``volunteer`` this role WOULD produce: [(code, rule id, reason, citation)].
    ``paid_by``: the volunteer's lines that pay them in the deployment (``paid_lines``).

    :raises ValidationFailed: an unknown role
    """
    role = choices.parse(SignupRole, role, field="role", what="role")
    session = object_session(volunteer)
    rs = active_rule_set(session) if session is not None else default_rule_set()
    outcomes = classify_role(rs, RoleFacts(None, volunteer.id,
                                           sync._value(volunteer.citizenship), role.value),
                             paid_by)
    return [outcome.as_tuple() for outcome in outcomes]


def entry_warnings(previews: list[Preview]) -> list[Preview]:
    """The previews a form must show before saving: potential prohibitions and compensation."""
    return [item for item in previews if item[0] in WARNING_CODES]


def cost_entry_warnings(session: Session, *, deployment: Deployment, volunteer: Volunteer,
                        category, amount, currency: str, incurred_on: date, payer: Payer,
                        amount_usd=None, replaces_line: int | None = None,
                        **details) -> list[Preview]:
    """What saving this cost line as typed (``ledger.record_cost``'s arguments) WOULD record
    that a form must warn about.

    The line is converted to US dollars as saving it would; a line that cannot be converted
    yet (no rate for its date) has nothing to warn about here — saving it reports the rate.

    :raises ValidationFailed, NotFound: input that saving would refuse too
    """
    amount = money.parse_amount(amount)
    currency = currency_code(currency)
    if not isinstance(incurred_on, date):
        raise ValidationFailed("Give the date of the cost.", field="incurred_on")
    arranged_by = ledger.get_payer(session, deployment, details["arranged_by_id"]) \
        if details.get("arranged_by_id") else None
    rates = money.RateTable.load(session, {currency})
    try:
        usd = money.to_usd(rates, amount, currency, incurred_on, amount_usd)
    except money.MissingRate:
        return []
    deviation = None
    if usd.rate_id is None and currency != "USD":  # given by hand: how far from the rate?
        stored = rates.rate_on(currency, incurred_on)
        if stored is not None and money.convert(amount, stored[0]) > 0:
            conversion = money.convert(amount, stored[0])
            deviation = abs(usd.usd - conversion) / conversion
    reimburses = details.get("reimburses_id")
    return entry_warnings(preview_cost_findings(
        session, deployment=deployment, volunteer=volunteer, category=category,
        amount_usd=usd.usd, payer=payer, arranged_by=arranged_by,
        in_residence=bool(details.get("in_residence")), incurred_on=incurred_on,
        description=details.get("description") or "",
        reimbursed=bool(details.get("reimbursed")),
        cash_outlay=details["cash_outlay"] if details.get("cash_outlay") is not None
        else ledger.cash_outlay_by_default(ledger.parse_category(category),
                                           details.get("in_residence")),
        reimburses_id=int(reimburses) if str(reimburses or "").isdigit() else None,
        usd_deviation=deviation, replaces_line=replaces_line))


__all__ = ["WARNING_CODES", "cost_entry_warnings", "entry_warnings", "paid_lines",
           "preview_cost_findings", "preview_role_findings"]
