"""Money in one place: reading amounts people type, turning them into US dollars, showing them.

Amounts are ``Decimal`` to the cent and never float; exchange rates are US dollars for one unit,
to eight decimal places, each with the day it applies from and where it came from. A line in
another currency takes the latest rate on or before its date, and the product is rounded half
up to the cent — everywhere: the cost form, its warnings, imports and stays' housing lines.
"""
from __future__ import annotations

import re

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ExchangeRate
from .errors import ValidationFailed

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
#: Rates are stored to eight decimal places (app.models.types.Rate).
RATE_UNIT = Decimal("0.00000001")
#: The largest amount a line may hold; far above any real cost, it keeps typos out.
MAX_AMOUNT = Decimal("10000000.00")


# -- reading ------------------------------------------------------------------------------
#: A number as people type it here: a decimal point, and commas only between thousands in
#: groups of three (DESIGN.md). "12,50" and "1.250,00" are refused, never guessed.
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_PLAIN = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)$")
#: One comma as the last separator, not followed by exactly three digits, or after a point
#: ("12,50", "1,2745", "1.250,00"): a decimal comma.
_DECIMAL_COMMA = re.compile(r"^\d[\d.]*,(?:\d{1,2}|\d{4,})$|^\d{1,3}(?:\.\d{3})+,\d+$")


def _number(raw: str, *, what: str, example: str, field: str) -> Decimal:
    """``raw`` read by the one rule for typed numbers (forms and imports alike).

    :raises ValidationFailed: a decimal comma, misplaced thousands commas, not a number
    """
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    if _PLAIN.match(text):
        return Decimal(text)
    if _GROUPED.match(text):
        return Decimal(text.replace(",", ""))
    if _DECIMAL_COMMA.match(text):
        point = text.replace(".", "").replace(",", ".")
        raise ValidationFailed(f"{raw.strip()!r} uses a decimal comma: write it with a point "
                               f"({point}); commas may only group thousands, as in 1,250.00.",
                               field=field)
    if "," in text:
        raise ValidationFailed(f"{raw.strip()!r} has a comma that does not group thousands: "
                               f"use a point for decimals and commas only between groups of "
                               f"three digits (e.g. {example}).", field=field)
    raise ValidationFailed(f"{raw.strip()!r} is not {what} (e.g. {example}).", field=field)


def parse_amount(raw, *, field: str = "amount") -> Decimal:
    """A non-negative amount with at most two decimal places (``1,250.00`` is fine; a decimal
    comma such as ``12,50`` is refused).

    :raises ValidationFailed: empty, not a number, a decimal comma, negative, finer than cents
        or absurdly large
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValidationFailed("Enter an amount (e.g. 129.50).", field=field)
    if isinstance(raw, float):
        raise ValidationFailed("Amounts are exact decimals, never floating point.", field=field)
    if isinstance(raw, str) and raw.strip().startswith("-"):
        raise ValidationFailed("An amount cannot be negative.", field=field)
    try:
        value = raw if isinstance(raw, Decimal) else _number(
            str(raw), what="an amount", example="129.50", field=field)
    except InvalidOperation:
        raise ValidationFailed(f"{raw!r} is not an amount (e.g. 129.50).", field=field) from None
    if not value.is_finite():
        raise ValidationFailed(f"{raw!r} is not an amount (e.g. 129.50).", field=field)
    if value < 0:
        raise ValidationFailed("An amount cannot be negative.", field=field)
    if value != value.quantize(CENT):
        raise ValidationFailed("Give amounts to the cent (two decimal places).", field=field)
    if value > MAX_AMOUNT:
        raise ValidationFailed(f"{value} is larger than any single cost should be "
                               f"(at most {MAX_AMOUNT}); check the figure.", field=field)
    return value.quantize(CENT)


def parse_rate(raw, *, field: str = "usd_per_unit") -> Decimal:
    """US dollars per unit: above zero, at most eight decimal places.

    :raises ValidationFailed: not a number, zero or negative, too precise
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValidationFailed("Enter a rate (e.g. 1.2745).", field=field)
    if isinstance(raw, str) and raw.strip().startswith("-"):
        raise ValidationFailed("A rate must be a number above zero (e.g. 1.2745).", field=field)
    try:
        value = raw if isinstance(raw, Decimal) else _number(
            str(raw), what="a rate", example="1.2745", field=field)
    except InvalidOperation:
        raise ValidationFailed(f"{raw!r} is not a rate (e.g. 1.2745).", field=field) from None
    if not value.is_finite() or value <= 0:
        raise ValidationFailed("A rate must be a number above zero (e.g. 1.2745).", field=field)
    if value != value.quantize(RATE_UNIT) or value >= 100000:
        raise ValidationFailed("Give the rate with at most eight decimal places, "
                               "as US dollars for one unit.", field=field)
    return value.quantize(RATE_UNIT)


def cents(value) -> Decimal:
    """A sum from the database or arithmetic, as an exact amount to the cent."""
    return (value if isinstance(value, Decimal) else Decimal(value or 0)).quantize(
        CENT, rounding=ROUND_HALF_UP)


# -- converting ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Converted:
    usd: Decimal
    #: The rate applied and its row, or None for US dollars and a value given by hand.
    usd_per_unit: Decimal | None = None
    rate_id: int | None = None


class MissingRate(ValidationFailed):
    """No rate on or before the day: a missing rate is never guessed."""

    def __init__(self, currency: str, on: date):
        super().__init__(f"No {currency} exchange rate on or before {on.isoformat()}; "
                         "enter one first.", field="currency")
        self.currency, self.on = currency, on


class RateTable:
    """The stored rates of some currencies, read once, for converting any number of lines."""

    def __init__(self, rows=()):
        self._days: dict[str, list[date]] = {}
        self._rates: dict[str, list[tuple[Decimal, int | None]]] = {}
        for currency, rate_on, usd_per_unit, rate_id in sorted(rows, key=lambda r: (r[0], r[1])):
            self._days.setdefault(currency, []).append(rate_on)
            self._rates.setdefault(currency, []).append((usd_per_unit, rate_id))

    @classmethod
    def load(cls, session: Session, currencies) -> RateTable:
        """One query for every rate of ``currencies`` (US dollars need none)."""
        wanted = sorted(set(currencies) - {"USD"})
        if not wanted:
            return cls()
        return cls(session.execute(
            select(ExchangeRate.currency, ExchangeRate.rate_on, ExchangeRate.usd_per_unit,
                   ExchangeRate.id).where(ExchangeRate.currency.in_(wanted))).all())

    def rate_on(self, currency: str, on: date) -> tuple[Decimal, int | None] | None:
        """(US dollars per unit, rate id) of the latest rate on or before ``on``, or None."""
        at = bisect_right(self._days.get(currency, []), on)
        return self._rates[currency][at - 1] if at else None

    def convert(self, amount: Decimal, currency: str, on: date) -> Converted:
        """:raises MissingRate: no rate for ``currency`` on or before ``on``"""
        if currency == "USD":
            return Converted(amount)
        found = self.rate_on(currency, on)
        if found is None:
            raise MissingRate(currency, on)
        rate, rate_id = found
        return Converted(convert(amount, rate), rate, rate_id)


def convert(amount: Decimal, usd_per_unit: Decimal) -> Decimal:
    """``amount`` at ``usd_per_unit`` US dollars each, rounded half up to the cent."""
    return (amount * usd_per_unit).quantize(CENT, rounding=ROUND_HALF_UP)


def to_usd(rates: RateTable, amount: Decimal, currency: str, on: date,
           amount_usd=None) -> Converted:
    """A line's value in US dollars: a value given by hand wins; USD needs no rate.

    :raises ValidationFailed: a bad hand-given value, or one that contradicts a USD amount
    :raises MissingRate: no rate for the date
    """
    if amount_usd is not None and amount_usd != "":
        usd = parse_amount(amount_usd, field="amount_usd")
        if currency == "USD" and usd != amount:
            raise ValidationFailed("For a US dollar line the USD value is the amount itself; "
                                   "leave it blank.", field="amount_usd")
        return Converted(usd)
    return rates.convert(amount, currency, on)


# -- showing ------------------------------------------------------------------------------
def format_usd(value) -> str:
    """``$1,234.56`` from a Decimal (or the disclosure's amount strings)."""
    amount = Decimal(value or 0)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def plain(value) -> str | None:
    """``1234.50``: an amount as JSON, CSV and the audit chain carry it (None stays None)."""
    return None if value is None else f"{value:.2f}"


#: Symbols shown before an amount; a currency without one here is shown by its code alone.
SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€", "JPY": "¥", "INR": "₹", "CAD": "CA$",
           "AUD": "A$", "NZD": "NZ$", "CHF": "CHF "}


def format_money(value, currency: str) -> str:
    """``£1,250.00 GBP``: the symbol (where the currency has a common one) and the code, so
    nobody reads pounds as dollars."""
    code = str(currency or "").upper()
    return f"{SYMBOLS.get(code, '')}{format_amount(value)} {code}".strip()


def format_amount(value) -> str:
    """``1,234.56``: an amount in any currency, with thousands grouped."""
    return f"{Decimal(value or 0):,.2f}"
