"""Payers, exchange rates and cost lines. Money is Decimal throughout."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ..models import (CostCategory, CostOrigin, Cost, Deployment, ExchangeRate, OrganisationType,
                      Payer, PayerKind, User, Volunteer)
from . import audit
from .errors import Conflict, NotFound, ValidationFailed
from .validation import country_code, currency_code

CENT = Decimal("0.01")
#: Rates are stored to eight decimal places (app.models.types.Rate).
RATE_UNIT = Decimal("0.00000001")
#: The largest amount a line may hold; far above any real cost, it keeps typos out.
MAX_AMOUNT = Decimal("10000000.00")


# -- parsing ------------------------------------------------------------------------------
def parse_amount(raw, *, field: str = "amount") -> Decimal:
    """A non-negative amount with at most two decimal places.

    :raises ValidationFailed: empty, not a number, negative, finer than cents or absurdly large
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValidationFailed("Enter an amount (e.g. 129.50).", field=field)
    if isinstance(raw, float):
        raise ValidationFailed("Amounts are exact decimals, never floating point.", field=field)
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip().replace(",", ""))
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
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationFailed(f"{raw!r} is not a rate (e.g. 1.2745).", field=field) from None
    if not value.is_finite() or value <= 0:
        raise ValidationFailed("A rate must be a number above zero (e.g. 1.2745).", field=field)
    if value != value.quantize(RATE_UNIT) or value >= 100000:
        raise ValidationFailed("Give the rate with at most eight decimal places, "
                               "as US dollars for one unit.", field=field)
    return value.quantize(RATE_UNIT)


def parse_category(raw) -> CostCategory:
    """:raises ValidationFailed: not one of DESIGN.md's categories"""
    if isinstance(raw, CostCategory):
        return raw
    try:
        return CostCategory((raw or "").strip().upper())
    except ValueError:
        raise ValidationFailed(f"{raw!r} is not a cost category; use one of "
                               f"{', '.join(c.value for c in CostCategory)}.",
                               field="category") from None


def parse_payer_kind(raw) -> PayerKind:
    """:raises ValidationFailed: not one of DESIGN.md's payer kinds"""
    if isinstance(raw, PayerKind):
        return raw
    try:
        return PayerKind((raw or "").strip().upper())
    except ValueError:
        raise ValidationFailed(f"{raw!r} is not a payer kind; use one of "
                               f"{', '.join(k.value for k in PayerKind)}.",
                               field="kind") from None


# -- payers -------------------------------------------------------------------------------
def payers_for(session: Session, deployment: Deployment) -> list[Payer]:
    return list(session.scalars(select(Payer).where(Payer.deployment_id == deployment.id)
                                .order_by(Payer.name)))


def get_payer(session: Session, deployment: Deployment, payer_id) -> Payer:
    """:raises NotFound: no such payer in this deployment"""
    payer = session.get(Payer, payer_id) if str(payer_id or "").isdigit() else None
    if payer is None or payer.deployment_id != deployment.id:
        raise NotFound("That payer is not in this deployment's registry.", field="payer_id")
    return payer


def _payer_fields(session: Session, deployment: Deployment, *, name, kind, country,
                  organisation_type, current: Payer | None = None) -> dict:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("A payer needs a name.", field="name")
    if len(name) > 200:
        raise ValidationFailed("A payer's name is at most 200 characters.", field="name")
    taken = session.scalar(select(Payer.id).where(Payer.deployment_id == deployment.id,
                                                  Payer.name == name))
    if taken is not None and (current is None or taken != current.id):
        raise Conflict(f"A payer called {name!r} is already in the registry.", field="name")
    kind = parse_payer_kind(kind)
    try:
        country = country_code(country) if (country or "").strip() else None
    except ValidationFailed as exc:
        exc.field = "country"
        raise
    if organisation_type in ("", None):
        organisation_type = None
    elif not isinstance(organisation_type, OrganisationType):
        try:
            organisation_type = OrganisationType(organisation_type)
        except ValueError:
            raise ValidationFailed(f"{organisation_type!r} is not an organisation type.",
                                   field="organisation_type") from None
    if organisation_type is not None and kind is not PayerKind.US_ORGANISATION:
        raise ValidationFailed("An organisation type only applies to a US organisation.",
                               field="organisation_type")
    return {"name": name, "kind": kind, "country": country,
            "organisation_type": organisation_type}


def add_payer(session: Session, deployment: Deployment, *, name: str, kind, actor: User | None,
              country: str | None = None, organisation_type=None) -> Payer:
    """Add someone who pays for, or arranges, things of value.

    :raises ValidationFailed: no name, unknown kind or country
    :raises Conflict: the name is already in the registry
    """
    audit.act_as(session, actor)
    fields = _payer_fields(session, deployment, name=name, kind=kind, country=country,
                           organisation_type=organisation_type)
    payer = Payer(deployment_id=deployment.id, **fields)
    session.add(payer)
    session.flush()
    return payer


def update_payer(session: Session, payer: Payer, *, name: str, kind, actor: User | None,
                 country: str | None = None, organisation_type=None) -> Payer:
    """Correct a payer; every line it pays keeps pointing at it.

    :raises ValidationFailed: no name, unknown kind or country
    :raises Conflict: another payer has the name
    """
    audit.act_as(session, actor)
    deployment = session.get(Deployment, payer.deployment_id)
    fields = _payer_fields(session, deployment, name=name, kind=kind, country=country,
                           organisation_type=organisation_type, current=payer)
    for key, value in fields.items():
        setattr(payer, key, value)
    session.flush()
    return payer


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


# -- exchange rates -----------------------------------------------------------------------
def record_exchange_rate(session: Session, *, currency: str, rate_on: date, usd_per_unit,
                         source: str, actor: User | None) -> ExchangeRate:
    """Record what one unit of ``currency`` was worth in US dollars on ``rate_on``.

    Lines already recorded keep the rate they were converted with.

    :raises ValidationFailed: unknown currency, USD itself, a rate that is not positive, no source
    :raises Conflict: that currency already has a rate for that day
    """
    audit.act_as(session, actor)
    currency = currency_code(currency)
    if currency == "USD":
        raise ValidationFailed("US dollars need no rate.", field="currency")
    if not isinstance(rate_on, date):
        raise ValidationFailed("Give the rate's date.", field="rate_on")
    rate = parse_rate(usd_per_unit)
    source = (source or "").strip()
    if not source:
        raise ValidationFailed("Say where the rate comes from.", field="source")
    if len(source) > 200:
        raise ValidationFailed("The source is at most 200 characters.", field="source")
    if session.scalar(select(ExchangeRate.id).where(ExchangeRate.currency == currency,
                                                    ExchangeRate.rate_on == rate_on)) is not None:
        raise Conflict(f"{currency} already has a rate for {rate_on.isoformat()}.",
                       field="rate_on")
    entry = ExchangeRate(currency=currency, rate_on=rate_on, usd_per_unit=rate, source=source)
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


def rates_page(session: Session, *, page: int = 1, per_page: int = 50) -> Page:
    return paginate(session, select(ExchangeRate).order_by(ExchangeRate.rate_on.desc(),
                                                           ExchangeRate.currency),
                    page, per_page, scalars=True)


def to_usd(session: Session, amount: Decimal, currency: str, on: date,
           amount_usd=None) -> tuple[Decimal, ExchangeRate | None]:
    """(USD value, rate used). A USD value given by hand wins; USD needs no rate.

    :raises ValidationFailed: a bad hand-given value, or no rate for the date
    """
    if amount_usd is not None and amount_usd != "":
        usd = parse_amount(amount_usd, field="amount_usd")
        if currency == "USD" and usd != amount:
            raise ValidationFailed("For a US dollar line the USD value is the amount itself; "
                                   "leave it blank.", field="amount_usd")
        return usd, None
    if currency == "USD":
        return amount, None
    rate = rate_for(session, currency, on)
    return (amount * rate.usd_per_unit).quantize(CENT, rounding=ROUND_HALF_UP), rate


# -- cost lines ---------------------------------------------------------------------------
_EDITABLE = ("description", "paid_to", "in_residence", "reimbursed", "reimbursed_on",
             "evidence_ref", "notes", "arranged_by_id")


def _check_details(session: Session, deployment: Deployment, details: dict) -> dict:
    for key, limit in (("description", 500), ("paid_to", 200), ("evidence_ref", 200),
                       ("notes", 5000)):
        if key in details:
            details[key] = value = (details[key] or "").strip()  # a blank form field is None
            if len(value) > limit:
                raise ValidationFailed(f"At most {limit} characters.", field=key)
    if details.get("arranged_by_id") not in (None, ""):
        details["arranged_by_id"] = get_payer(session, deployment, details["arranged_by_id"]).id
    elif "arranged_by_id" in details:
        details["arranged_by_id"] = None
    if details.get("reimbursed_on") and not details.get("reimbursed"):
        raise ValidationFailed("A reimbursement date needs the line marked as reimbursed.",
                               field="reimbursed_on")
    return details


def record_cost(session: Session, *, deployment: Deployment, volunteer: Volunteer,
                category: CostCategory, amount, currency: str, incurred_on: date, payer: Payer,
                actor: User | None, amount_usd=None, origin: CostOrigin = CostOrigin.MANUAL,
                **details) -> Cost:
    """Record a thing of value given to or for ``volunteer``, converted to USD.

    ``amount_usd`` given by hand wins; otherwise a non-USD amount takes the stored rate for
    its date. ``details``: description, paid_to, in_residence, reimbursed, reimbursed_on,
    evidence_ref, notes, arranged_by_id (and stay_id for lines derived from a stay).

    :raises ValidationFailed: bad amount, category or currency, no rate for the date, a payer
        from another deployment
    """
    audit.act_as(session, actor)
    category = parse_category(category)
    amount = parse_amount(amount)
    currency = currency_code(currency)
    if not isinstance(incurred_on, date):
        raise ValidationFailed("Give the date of the cost.", field="incurred_on")
    if payer.deployment_id != deployment.id:
        raise ValidationFailed("That payer belongs to another deployment.", field="payer_id")
    if (origin is CostOrigin.STAY) != (details.get("stay_id") is not None):
        raise ValidationFailed("Only a stay makes a stay's cost line.", field="origin")
    details = _check_details(session, deployment, details)
    usd, rate = to_usd(session, amount, currency, incurred_on, amount_usd)
    cost = Cost(deployment_id=deployment.id, volunteer_id=volunteer.id, category=category,
                amount=amount, currency=currency, amount_usd=usd, incurred_on=incurred_on,
                payer_id=payer.id, origin=origin,
                usd_per_unit=rate.usd_per_unit if rate else None,
                exchange_rate_id=rate.id if rate else None, **details)
    session.add(cost)
    session.flush()
    return cost


def get_cost(session: Session, deployment: Deployment, cost_id: int) -> Cost:
    """:raises NotFound: no such line in this deployment"""
    cost = session.get(Cost, cost_id)
    if cost is None or cost.deployment_id != deployment.id:
        raise NotFound("No such cost line in this deployment.")
    return cost


def _refuse_derived(cost: Cost) -> None:
    if cost.origin is CostOrigin.STAY:
        raise Conflict("This line is worked out from a stay; change the stay (or its "
                       "accommodation) instead.")


def update_cost(session: Session, cost: Cost, *, actor: User | None, volunteer: Volunteer,
                category, amount, currency: str, incurred_on: date, payer: Payer,
                amount_usd=None, **details) -> Cost:
    """Correct a manual or imported line; its USD value is worked out again.

    :raises Conflict: the line is derived from a stay
    :raises ValidationFailed: as for ``record_cost``
    """
    audit.act_as(session, actor)
    _refuse_derived(cost)
    deployment = session.get(Deployment, cost.deployment_id)
    category = parse_category(category)
    amount = parse_amount(amount)
    currency = currency_code(currency)
    if payer.deployment_id != deployment.id:
        raise ValidationFailed("That payer belongs to another deployment.", field="payer_id")
    details = _check_details(session, deployment, {k: v for k, v in details.items()
                                                   if k in _EDITABLE})
    usd, rate = to_usd(session, amount, currency, incurred_on, amount_usd)
    cost.volunteer_id, cost.category, cost.amount, cost.currency = (
        volunteer.id, category, amount, currency)
    cost.incurred_on, cost.payer_id, cost.amount_usd = incurred_on, payer.id, usd
    cost.usd_per_unit = rate.usd_per_unit if rate else None
    cost.exchange_rate_id = rate.id if rate else None
    for key, value in details.items():
        setattr(cost, key, value)
    session.flush()
    return cost


def delete_cost(session: Session, cost: Cost, *, actor: User | None) -> None:
    """Remove a line recorded by mistake (the audit chain keeps what it said).

    :raises Conflict: the line is derived from a stay
    """
    audit.act_as(session, actor)
    _refuse_derived(cost)
    session.delete(cost)
    session.flush()


# -- reading: pages -----------------------------------------------------------------------
@dataclass
class Page:
    """One page of a longer list."""
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.page * self.per_page, self.total)


def page_number(raw) -> int:
    """A page number from a query string; anything odd means the first page."""
    return int(raw) if str(raw or "").isdigit() and 0 < int(raw) < 10**6 else 1


def paginate(session: Session, stmt, page: int, per_page: int, *, scalars: bool = False,
             count=None) -> Page:
    """Two queries whatever the size of the list: a count and one page.

    ``count``: a cheaper statement counting the same rows, when there is one.
    """
    if count is None:
        count = select(func.count()).select_from(stmt.order_by(None).subquery())
    total = session.scalar(count)
    page = min(max(page, 1), max(1, -(-total // per_page)))
    window = stmt.limit(per_page).offset((page - 1) * per_page)
    items = list(session.scalars(window) if scalars else session.execute(window))
    return Page(items, total, page, per_page)


def ledger_page(session: Session, deployment: Deployment, *, page: int = 1, per_page: int = 50,
                category: CostCategory | None = None, payer_id: int | None = None,
                volunteer_id: int | None = None) -> Page:
    """Cost lines newest first, each with its volunteer, payer and arranger, in one query.

    Items are rows: (Cost, volunteer name, volunteer email, payer name, payer kind,
    arranger name).
    """
    arranger = aliased(Payer)
    filters = [Cost.deployment_id == deployment.id]
    if category is not None:
        filters.append(Cost.category == category)
    if payer_id is not None:
        filters.append(Cost.payer_id == payer_id)
    if volunteer_id is not None:
        filters.append(Cost.volunteer_id == volunteer_id)
    stmt = (select(Cost, User.full_name, User.email, Payer.name, Payer.kind, arranger.name)
            .join(Volunteer, Volunteer.id == Cost.volunteer_id)
            .join(User, User.id == Volunteer.user_id)
            .join(Payer, Payer.id == Cost.payer_id)
            .outerjoin(arranger, arranger.id == Cost.arranged_by_id)
            .where(*filters)
            .order_by(Cost.incurred_on.desc(), Cost.id.desc()))
    # Every join above follows a required foreign key (or is outer), so no row is lost:
    # counting the cost lines alone gives the same number, without the joins.
    return paginate(session, stmt, page, per_page,
                    count=select(func.count(Cost.id)).where(*filters))


def find_volunteer(session: Session, email: str) -> Volunteer:
    """The volunteer with this email.

    :raises ValidationFailed: no volunteer has it
    """
    volunteer = session.scalar(select(Volunteer).join(User, User.id == Volunteer.user_id)
                               .where(User.email == (email or "").strip().lower()))
    if volunteer is None:
        raise ValidationFailed(f"No volunteer has the email {email!r}.", field="volunteer_email")
    return volunteer
