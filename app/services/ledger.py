"""Payers, exchange rates and cost lines. Money is Decimal throughout (see ``money``).

Every cost line is written here, whoever makes it: ``record_cost`` (the form, the API),
``import_costs`` (through ``add_lines``, thousands at once) and a stay's housing line
(``write_stay_line``). ``add_lines`` is the one INSERT and ``_apply`` the one UPDATE, so a
rule about what a line may hold is checked in one place.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, aliased

from ..models import (CostCategory, CostOrigin, Cost, Deployment, ExchangeRate, OrganisationType,
                      Payer, PayerKind, User, Volunteer)
from ..models.types import utcnow
from . import audit, choices, money
from .errors import Conflict, NotFound, ValidationFailed
from .paging import Page, choice_arg, id_arg, page_number, paginate
from .validation import country_code, currency_code


# -- vocabularies -------------------------------------------------------------------------
def parse_category(raw) -> CostCategory:
    """:raises ValidationFailed: not one of DESIGN.md's categories"""
    return choices.parse(CostCategory, raw, field="category", what="cost category", case="upper")


def parse_payer_kind(raw) -> PayerKind:
    """:raises ValidationFailed: not one of DESIGN.md's payer kinds"""
    return choices.parse(PayerKind, raw, field="kind", what="payer kind", case="upper")


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
    organisation_type = choices.parse_optional(OrganisationType, organisation_type,
                                               field="organisation_type",
                                               what="organisation type", case="lower")
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
    :raises Conflict: another payer has the name, or the new kind would break a
        reimbursement (R18: an own expense is paid by the volunteer, its reimbursement not)
    """
    audit.act_as(session, actor)
    deployment = session.get(Deployment, payer.deployment_id)
    fields = _payer_fields(session, deployment, name=name, kind=kind, country=country,
                           organisation_type=organisation_type, current=payer)
    if fields["kind"] is not payer.kind:
        _check_kind_keeps_reimbursements(session, payer, fields["kind"])
    for key, value in fields.items():
        setattr(payer, key, value)
    session.flush()
    return payer


def _check_kind_keeps_reimbursements(session: Session, payer: Payer, kind: PayerKind) -> None:
    """:raises Conflict: lines of ``payer`` repay or are repaid, and ``kind`` contradicts it"""
    repaid = aliased(Cost)
    if kind is not PayerKind.SELF:
        found = session.scalar(select(func.min(Cost.id))
                               .join(repaid, repaid.reimburses_id == Cost.id)
                               .where(Cost.payer_id == payer.id))
        if found is not None:
            raise Conflict(f"Line #{found}, paid by {payer.name}, is an own expense that another "
                           "line repays: the payer stays the volunteer themself. Unlink the "
                           "reimbursement first.", field="kind")
    else:
        found = session.scalar(select(func.min(Cost.id)).where(Cost.payer_id == payer.id,
                                                               Cost.reimburses_id.is_not(None)))
        if found is not None:
            raise Conflict(f"Line #{found}, paid by {payer.name}, repays a volunteer's own "
                           "expense: a volunteer cannot reimburse themself. Unlink it first.",
                           field="kind")


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
    rate = money.parse_rate(usd_per_unit)
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


def rates_page(session: Session, *, page: int = 1, per_page: int = 50) -> Page:
    return paginate(session, select(ExchangeRate).order_by(ExchangeRate.rate_on.desc(),
                                                           ExchangeRate.currency),
                    page, per_page, scalars=True)


# -- cost lines ---------------------------------------------------------------------------
#: The payer of a line whose payer is not known (a costs.csv row of kind UNKNOWN without a
#: name): R24 finds it; nobody has to invent a name.
UNDISCLOSED_PAYER = "Payer not disclosed"
_DETAILS = ("description", "paid_to", "in_residence", "reimbursed", "reimbursed_on",
            "evidence_ref", "notes", "arranged_by_id", "cash_outlay", "line_ref",
            "reimburses_id")


def _check_details(session: Session, deployment: Deployment, details: dict,
                   line: Cost | None) -> dict:
    for key, limit in (("description", 500), ("paid_to", 200), ("evidence_ref", 200),
                       ("notes", 5000)):
        if key in details:
            details[key] = value = (details[key] or "").strip()  # a blank form field is None
            if len(value) > limit:
                raise ValidationFailed(f"At most {limit} characters.", field=key)
    if "line_ref" in details:
        details["line_ref"] = _line_ref(session, deployment, details["line_ref"], line)
    if details.get("arranged_by_id") not in (None, ""):
        details["arranged_by_id"] = get_payer(session, deployment, details["arranged_by_id"]).id
    elif "arranged_by_id" in details:
        details["arranged_by_id"] = None
    if details.get("reimbursed_on") and not details.get("reimbursed"):
        raise ValidationFailed("A reimbursement date needs the line marked as reimbursed.",
                               field="reimbursed_on")
    return details


def _line_ref(session: Session, deployment: Deployment, raw, line: Cost | None) -> str | None:
    """The organiser's own reference for a line: at most 60 characters, unique in the
    deployment (blank: none)."""
    ref = check_line_ref(raw)
    if not ref:
        return None
    taken = session.scalar(select(Cost.id).where(Cost.deployment_id == deployment.id,
                                                 Cost.line_ref == ref))
    if taken is not None and (line is None or taken != line.id):
        raise Conflict(f"Line #{taken} already has the reference {ref!r}; a reference names one "
                       "line.", field="line_ref")
    return ref


def check_line_ref(raw) -> str:
    """A line reference as typed: at most 60 characters, not starting with ``#`` (``#12``
    names line 12).

    :raises ValidationFailed: naming ``line_ref``
    """
    ref = (raw or "").strip()
    if len(ref) > 60:
        raise ValidationFailed("A line's reference is at most 60 characters.", field="line_ref")
    if ref.startswith("#"):
        raise ValidationFailed("A line's reference cannot start with # (#12 means line 12).",
                               field="line_ref")
    return ref


def _check_reimbursement(session: Session, deployment: Deployment, values: dict,
                         line: Cost | None) -> None:
    """A line that repays an own expense (R18): the volunteer's own line in this deployment,
    repaid by someone else, never beyond what it cost.

    :raises ValidationFailed: naming ``reimburses_id``
    """
    target_id = values.get("reimburses_id")
    if target_id in (None, ""):
        values["reimburses_id"] = None
        return
    target = session.get(Cost, int(target_id)) if str(target_id).isdigit() else None
    if target is None or target.deployment_id != deployment.id:
        raise ValidationFailed("The line it repays is not a line of this deployment.",
                               field="reimburses_id")
    if line is not None and target.id == line.id:
        raise ValidationFailed("A line cannot repay itself.", field="reimburses_id")
    if target.volunteer_id != values["volunteer_id"]:
        raise ValidationFailed(f"Line #{target.id} is another volunteer's: a reimbursement "
                               "repays the same volunteer's own expense.", field="reimburses_id")
    if target.payer.kind is not PayerKind.SELF:
        raise ValidationFailed(f"Line #{target.id} was paid by {target.payer.name}, not by the "
                               "volunteer: only an own expense can be reimbursed.",
                               field="reimburses_id")
    if session.get(Payer, values["payer_id"]).kind is PayerKind.SELF:
        raise ValidationFailed("A reimbursement is paid by someone other than the volunteer.",
                               field="payer_id")
    others = session.scalar(select(func.coalesce(func.sum(Cost.amount_usd), 0)).where(
        Cost.reimburses_id == target.id, Cost.id != (line.id if line is not None else -1)))
    repaid = money.cents(others) + values["amount_usd"]
    if repaid > target.amount_usd:
        raise ValidationFailed(
            f"Line #{target.id} cost {money.format_usd(target.amount_usd)}; with this line "
            f"{money.format_usd(repaid)} would be repaid. A reimbursement cannot repay more "
            "than the line.", field="reimburses_id")
    values["reimburses_id"] = target.id


def _check_repaid(session: Session, cost: Cost, values: dict) -> None:
    """A line others repay keeps what made it repayable: the volunteer, paid by themself,
    at least what was repaid.

    :raises Conflict: the change would leave a reimbursement repaying something else
    """
    repaid = session.scalar(select(func.coalesce(func.sum(Cost.amount_usd), 0)).where(
        Cost.reimburses_id == cost.id))
    if not repaid:
        return
    repaid = money.cents(repaid)
    if values["volunteer_id"] != cost.volunteer_id or \
            session.get(Payer, values["payer_id"]).kind is not PayerKind.SELF:
        raise Conflict(f"Reimbursements repay this line ({money.format_usd(repaid)}): it stays "
                       "the same volunteer's own expense; unlink them first.", field="payer_id")
    if values["amount_usd"] < repaid:
        raise Conflict(f"Reimbursements repay {money.format_usd(repaid)} of this line: it "
                       "cannot cost less than that.", field="amount")


def cash_outlay_by_default(category: CostCategory, in_residence) -> bool:
    """Whether money changed hands when nobody said: yes, except a room in the host's own
    home (R14 under rule set 2024.2)."""
    return not (in_residence and category is CostCategory.HOUSING)


def line_values(session: Session, deployment: Deployment, *, volunteer: Volunteer, category,
                amount, currency: str, incurred_on: date, payer: Payer, amount_usd=None,
                rates: money.RateTable | None = None, line: Cost | None = None,
                **details) -> dict:
    """A cost line's columns from what a person typed, checked and converted to US dollars.

    ``amount_usd`` given by hand wins; otherwise a non-USD amount takes the stored rate for
    its date. ``details``: description, paid_to, in_residence, reimbursed, reimbursed_on,
    evidence_ref, notes, arranged_by_id, cash_outlay (default: yes, except a room in the
    host's own home), line_ref and reimburses_id (the own-expense line it repays). ``line``:
    the saved line these values would replace.

    :raises ValidationFailed: bad amount, category or currency, no rate for the date, a payer
        from another deployment, a reimbursement that cannot repay the line it names
    :raises Conflict: a reference another line has
    """
    category = parse_category(category)
    amount = money.parse_amount(amount)
    currency = currency_code(currency)
    if not isinstance(incurred_on, date):
        raise ValidationFailed("Give the date of the cost.", field="incurred_on")
    if payer.deployment_id != deployment.id:
        raise ValidationFailed("That payer belongs to another deployment.", field="payer_id")
    unknown = set(details) - set(_DETAILS)
    if unknown:
        raise TypeError(f"not a cost line's detail: {', '.join(sorted(unknown))}")
    details = _check_details(session, deployment, details, line)
    if details.get("cash_outlay") is None:
        details["cash_outlay"] = cash_outlay_by_default(category, details.get("in_residence"))
    rates = rates if rates is not None else money.RateTable.load(session, {currency})
    usd = money.to_usd(rates, amount, currency, incurred_on, amount_usd)
    values = dict(volunteer_id=volunteer.id, category=category, amount=amount, currency=currency,
                  amount_usd=usd.usd, usd_per_unit=usd.usd_per_unit,
                  exchange_rate_id=usd.rate_id, incurred_on=incurred_on, payer_id=payer.id,
                  **details)
    if "reimburses_id" not in values and line is not None and line.reimburses_id is not None:
        values["reimburses_id"] = line.reimburses_id  # an edit that leaves the link out keeps it
    if "reimburses_id" in values:
        _check_reimbursement(session, deployment, values, line)
    if line is not None:
        _check_repaid(session, line, values)
    return values


def add_lines(session: Session, deployment: Deployment, lines: list[dict], *,
              origin: CostOrigin = CostOrigin.MANUAL) -> list[Cost]:
    """Write new cost lines (each a dict of checked columns, as ``line_values`` makes). The
    one INSERT of the ledger. Flushes.

    :raises ValidationFailed: a stay's line without its stay, or another line with one
    """
    for values in lines:
        if (origin is CostOrigin.STAY) != (values.get("stay_id") is not None):
            raise ValidationFailed("Only a stay makes a stay's cost line.", field="origin")
    ids = _reserve_ids(session, len(lines))
    made = [Cost(id=next(ids), deployment_id=deployment.id, origin=origin, **values)
            for values in lines]
    session.add_all(made)
    session.flush()
    return made


def _reserve_ids(session: Session, count: int):
    """Ids for ``count`` new cost lines, or Nones to let the database choose.

    On PostgreSQL the ids of a big batch come from the table's sequence up front, so the flush
    sends one prepared INSERT for all the rows (psycopg's pipelined executemany) instead of
    asking for the ids back in huge multi-row INSERT … RETURNING statements: several times
    faster for 20,000 lines. SQLite is fast either way and picks its own ids.
    """
    if session.get_bind().dialect.name != "postgresql" or count < 100:
        return iter([None] * count)
    return iter(session.scalars(
        text("SELECT nextval(pg_get_serial_sequence('costs', 'id')) "
             "FROM generate_series(1, :n)"), {"n": count}).all())


def _apply(session: Session, cost: Cost, values: dict) -> Cost:
    """The one UPDATE of a cost line. Flushes."""
    for key, value in values.items():
        setattr(cost, key, value)
    session.flush()
    return cost


def record_cost(session: Session, *, deployment: Deployment, volunteer: Volunteer,
                category: CostCategory, amount, currency: str, incurred_on: date, payer: Payer,
                actor: User | None, amount_usd=None, **details) -> Cost:
    """Record a thing of value given to or for ``volunteer``, converted to USD (see
    ``line_values`` for the fields).

    :raises ValidationFailed: bad amount, category or currency, no rate for the date, a payer
        from another deployment
    """
    audit.act_as(session, actor)
    values = line_values(session, deployment, volunteer=volunteer, category=category,
                         amount=amount, currency=currency, incurred_on=incurred_on, payer=payer,
                         amount_usd=amount_usd, **details)
    return add_lines(session, deployment, [values])[0]


#: A line identical to one recorded this recently is most likely the same form sent again
#: (the back button brings back the values, not the form's one-time token).
SAME_LINE_WINDOW = timedelta(minutes=30)


def same_line_recently(session: Session, deployment: Deployment, *, volunteer: Volunteer,
                       category, amount, currency: str, incurred_on: date, payer: Payer,
                       description: str = "", **_other) -> Cost | None:
    """A line of the last half hour with the same volunteer, category, amount, currency, date,
    payer and description, if there is one (the newest)."""
    try:
        amount = money.parse_amount(amount)
        category = choices.parse(CostCategory, category, field="category", what="category",
                                 case="upper")
    except ValidationFailed:
        return None  # record_cost says what is wrong with the line
    return session.scalar(
        select(Cost).where(Cost.deployment_id == deployment.id,
                           Cost.volunteer_id == volunteer.id, Cost.category == category,
                           Cost.amount == amount, Cost.currency == str(currency).upper(),
                           Cost.incurred_on == incurred_on, Cost.payer_id == payer.id,
                           Cost.description == (description or ""),
                           Cost.created_at >= utcnow() - SAME_LINE_WINDOW)
        .order_by(Cost.id.desc()).limit(1))


def write_stay_line(session: Session, deployment: Deployment, *, stay_id: int,
                    volunteer: Volunteer, actor: User | None, **fields) -> Cost:
    """Create or rewrite the housing line derived from a stay (``housing`` works out the
    fields from the stay and its place). Flushes.

    :raises ValidationFailed: as for ``record_cost`` (e.g. no rate for the place's currency)
    """
    audit.act_as(session, actor)
    line = session.scalar(select(Cost).where(Cost.stay_id == stay_id))
    values = line_values(session, deployment, volunteer=volunteer, line=line, **fields)
    if line is None:
        return add_lines(session, deployment, [{**values, "stay_id": stay_id}],
                         origin=CostOrigin.STAY)[0]
    return _apply(session, line, values)


def reimbursable_lines(session: Session, deployment: Deployment,
                       volunteer: Volunteer) -> list[tuple[Cost, Decimal]]:
    """The volunteer's own-expense lines in the deployment, with what is left to repay of each
    (for the cost form's "repays" picker), oldest first."""
    repaid = (select(Cost.reimburses_id, func.sum(Cost.amount_usd).label("repaid"))
              .where(Cost.reimburses_id.is_not(None)).group_by(Cost.reimburses_id).subquery())
    rows = session.execute(
        select(Cost, func.coalesce(repaid.c.repaid, 0))
        .join(Payer, Payer.id == Cost.payer_id)
        .outerjoin(repaid, repaid.c.reimburses_id == Cost.id)
        .where(Cost.deployment_id == deployment.id, Cost.volunteer_id == volunteer.id,
               Payer.kind == PayerKind.SELF)
        .order_by(Cost.incurred_on, Cost.id)).all()
    return [(line, line.amount_usd - money.cents(done)) for line, done in rows]


def repaid_by(session: Session, line: Cost) -> list[Cost]:
    """The lines that repay ``line`` (R18), oldest first."""
    return list(session.scalars(select(Cost).where(Cost.reimburses_id == line.id)
                                .order_by(Cost.incurred_on, Cost.id)))


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
    values = line_values(session, deployment, volunteer=volunteer, category=category,
                         amount=amount, currency=currency, incurred_on=incurred_on, payer=payer,
                         amount_usd=amount_usd, line=cost, **details)
    return _apply(session, cost, values)


def delete_cost(session: Session, cost: Cost, *, actor: User | None) -> None:
    """Remove a line recorded by mistake (the audit chain keeps what it said).

    :raises Conflict: the line is derived from a stay, or reimbursements repay it
    """
    audit.act_as(session, actor)
    _refuse_derived(cost)
    repaid_by = session.scalars(select(Cost.id).where(Cost.reimburses_id == cost.id)).all()
    if repaid_by:
        raise Conflict(f"Line{'s' if len(repaid_by) > 1 else ''} "
                       f"{', '.join(f'#{i}' for i in repaid_by)} repay this line: delete them, "
                       "or record what they repay elsewhere, first.")
    session.delete(cost)
    session.flush()


# -- reading ------------------------------------------------------------------------------
@dataclass
class LedgerFilters:
    """What the ledger page lists: a category, a payer, a volunteer (each optional), a page."""
    category: CostCategory | None = None
    payer: Payer | None = None
    volunteer: Volunteer | None = None
    page: int = 1

    @classmethod
    def from_args(cls, session: Session, deployment: Deployment, args) -> LedgerFilters:
        """From a query string (``category``, ``payer``, ``volunteer`` ids, ``page``).

        :raises NotFound: a payer or volunteer id that is not this deployment's
        :raises BadQuery: a value that is no category, id or page number
        """
        category = choice_arg(args.get("category"), {c.value for c in CostCategory},
                              "category")
        payer_id = id_arg(args.get("payer"), "payer")
        volunteer_id = id_arg(args.get("volunteer"), "volunteer")
        volunteer = None
        if volunteer_id is not None:
            volunteer = session.get(Volunteer, volunteer_id)
            if volunteer is None:
                raise NotFound("No such volunteer.")
        return cls(CostCategory(category) if category else None,
                   get_payer(session, deployment, payer_id) if payer_id is not None else None,
                   volunteer, page_number(args.get("page")))


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
