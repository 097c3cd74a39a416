"""Payers, exchange rates and cost lines. Money is Decimal throughout."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (CostCategory, CostOrigin, Cost, Deployment, ExchangeRate, OrganisationType,
                      Payer, PayerKind, User, Volunteer)
from . import audit
from .errors import ValidationFailed
from .validation import country_code, currency_code

CENT = Decimal("0.01")


def parse_amount(raw, *, field: str = "amount") -> Decimal:
    """A non-negative amount with at most two decimal places.

    :raises ValidationFailed: not a number, negative, or finer than cents
    """
    try:
        value = Decimal(str(raw).strip().replace(",", "")) if not isinstance(raw, Decimal) else raw
    except InvalidOperation:
        raise ValidationFailed(f"{raw!r} is not an amount (e.g. 129.50).", field=field) from None
    if not value.is_finite():
        raise ValidationFailed(f"{raw!r} is not an amount (e.g. 129.50).", field=field)
    if value < 0:
        raise ValidationFailed("An amount cannot be negative.", field=field)
    if value != value.quantize(CENT):
        raise ValidationFailed("Give amounts to the cent (two decimal places).", field=field)
    return value.quantize(CENT)


def find_or_add_payer(session: Session, deployment: Deployment, *, name: str, kind: PayerKind,
                      actor: User | None, country: str | None = None,
                      organisation_type: OrganisationType | None = None) -> Payer:
    """The deployment's payer called ``name``, created if new.

    :raises ValidationFailed: an empty name or a bad country code
    """
    audit.act_as(session, actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("A payer needs a name.", field="payer_name")
    payer = session.scalar(select(Payer).where(Payer.deployment_id == deployment.id,
                                               Payer.name == name))
    if payer is None:
        payer = Payer(deployment_id=deployment.id, name=name, kind=kind,
                      country=country_code(country) if country else None,
                      organisation_type=organisation_type)
        session.add(payer)
        session.flush()
    return payer


def record_exchange_rate(session: Session, *, currency: str, rate_on: date, usd_per_unit,
                         source: str, actor: User | None) -> ExchangeRate:
    """:raises ValidationFailed: unknown currency, a rate that is not positive, no source"""
    audit.act_as(session, actor)
    currency = currency_code(currency)
    rate = Decimal(str(usd_per_unit))
    if rate <= 0:
        raise ValidationFailed("A rate must be above zero.", field="usd_per_unit")
    if not (source or "").strip():
        raise ValidationFailed("Say where the rate comes from.", field="source")
    entry = ExchangeRate(currency=currency, rate_on=rate_on, usd_per_unit=rate,
                         source=source.strip())
    session.add(entry)
    session.flush()
    return entry


def rate_for(session: Session, currency: str, on: date) -> ExchangeRate:
    """The latest rate for ``currency`` on or before ``on``.

    :raises ValidationFailed: there is none; a missing rate is never guessed
    """
    rate = session.scalar(select(ExchangeRate)
                          .where(ExchangeRate.currency == currency, ExchangeRate.rate_on <= on)
                          .order_by(ExchangeRate.rate_on.desc()).limit(1))
    if rate is None:
        raise ValidationFailed(f"No {currency} exchange rate on or before {on.isoformat()}; "
                               "enter one first.", field="currency")
    return rate


def record_cost(session: Session, *, deployment: Deployment, volunteer: Volunteer,
                category: CostCategory, amount, currency: str, incurred_on: date, payer: Payer,
                actor: User | None, amount_usd=None, origin: CostOrigin = CostOrigin.MANUAL,
                **details) -> Cost:
    """Record a thing of value given to or for ``volunteer``, converted to USD.

    ``amount_usd`` given by hand wins; otherwise a non-USD amount takes the stored rate for
    its date.

    :raises ValidationFailed: bad amount or currency, or no rate for the date
    """
    audit.act_as(session, actor)
    amount = parse_amount(amount)
    currency = currency_code(currency)
    rate = None
    if amount_usd is not None and amount_usd != "":
        usd = parse_amount(amount_usd, field="amount_usd")
    elif currency == "USD":
        usd = amount
    else:
        rate = rate_for(session, currency, incurred_on)
        usd = (amount * rate.usd_per_unit).quantize(CENT, rounding=ROUND_HALF_UP)
    cost = Cost(deployment_id=deployment.id, volunteer_id=volunteer.id, category=category,
                amount=amount, currency=currency, amount_usd=usd, incurred_on=incurred_on,
                payer_id=payer.id, origin=origin,
                usd_per_unit=rate.usd_per_unit if rate else None,
                exchange_rate_id=rate.id if rate else None, **details)
    session.add(cost)
    session.flush()
    return cost
