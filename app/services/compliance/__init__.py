"""The compliance engine: every thing of value and every role, classified with a cited rule.

- ``rules``: the rule set as data (``rulesets/*.json``), checked and compiled.
- ``engine``: pure classification of lines, roles and volunteers (running totals, overlays).
- ``store``: which rule set is in force; ``sync``: findings kept current at every commit.
- ``verdicts``, ``review``, ``disclosure``, ``fec``: what people and other tools read.

This module also answers "what WOULD this produce?" for forms, before anything is saved.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session, object_session

from ...models import (CostCategory, Deployment, FindingCode, Payer, PayerKind, SignupRole,
                       Volunteer)
from ..errors import ValidationFailed
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


def _enum(enum_cls, raw, field: str, what: str):
    if isinstance(raw, enum_cls):
        return raw
    try:
        return enum_cls(str(raw or "").strip())
    except ValueError:
        raise ValidationFailed(f"{raw!r} is not a {what}; use one of "
                               f"{', '.join(m.value for m in enum_cls)}.", field=field) from None


def _amount(raw) -> Decimal:
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except Exception:  # noqa: BLE001 — any unparsable input is the same mistake
        raise ValidationFailed(f"{raw!r} is not an amount in US dollars.",
                               field="amount_usd") from None
    if isinstance(raw, float) or not value.is_finite() or value < 0:
        raise ValidationFailed("The US dollar amount must be an exact, non-negative decimal.",
                               field="amount_usd")
    return value.quantize(Decimal("0.01"))


def preview_cost_findings(session: Session, *, deployment: Deployment, volunteer: Volunteer,
                          category, amount_usd, payer: Payer, arranged_by: Payer | None = None,
                          in_residence: bool = False, incurred_on: date,
                          description: str = "", reimbursed: bool = False) -> list[Preview]:
    """What a cost line WOULD produce if saved now: [(code, rule id, reason, citation)],
    highest severity first. Running totals include the volunteer's (and host's) saved lines.

    :raises ValidationFailed: an unknown category or payer kind, a bad amount or date
    """
    category = _enum(CostCategory, category, "category", "cost category")
    kind = _enum(PayerKind, getattr(payer, "kind", None), "payer_id", "payer kind")
    if not isinstance(incurred_on, date):
        raise ValidationFailed("Give the date of the cost.", field="incurred_on")
    rs = active_rule_set(session)
    arranger_kind = getattr(arranged_by, "kind", None)
    line = LineFacts(
        line_id=None, volunteer_id=volunteer.id,
        election_key=sync._election_key(deployment.id, deployment.election_code),
        citizenship=sync._value(volunteer.citizenship),
        leave_type=sync._value(volunteer.leave_type),
        category=category.value, description=description or "", amount_usd=_amount(amount_usd),
        incurred_on=incurred_on, payer_id=getattr(payer, "id", None), payer_kind=kind.value,
        payer_name=getattr(payer, "name", "") or "",
        organisation_type=sync._value(getattr(payer, "organisation_type", None)),
        arranged_by_id=getattr(arranged_by, "id", None),
        arranged_by_kind=sync._value(arranger_kind), in_residence=bool(in_residence),
        reimbursed=bool(reimbursed))
    saved = sync._load_lines(session, {volunteer.id} if volunteer.id else set(),
                             extra_hosts={sync._host_key(line.election_key, line.payer_name)}
                             if in_residence else set())
    outcomes = classify_lines(rs, [*(item.facts for item in saved), line])[None]
    return [outcome.as_tuple() for outcome in outcomes]


def preview_role_findings(volunteer: Volunteer, role) -> list[Preview]:
    """What giving ``volunteer`` this role WOULD produce: [(code, rule id, reason, citation)].

    :raises ValidationFailed: an unknown role
    """
    role = _enum(SignupRole, role, "role", "role")
    session = object_session(volunteer)
    rs = active_rule_set(session) if session is not None else default_rule_set()
    outcomes = classify_role(rs, RoleFacts(None, volunteer.id,
                                           sync._value(volunteer.citizenship), role.value))
    return [outcome.as_tuple() for outcome in outcomes]


def entry_warnings(previews: list[Preview]) -> list[Preview]:
    """The previews a form must show before saving: potential prohibitions and compensation."""
    return [item for item in previews if item[0] in WARNING_CODES]


__all__ = ["WARNING_CODES", "entry_warnings", "preview_cost_findings", "preview_role_findings"]
