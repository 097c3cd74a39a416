"""Payers, exchange rates, cost lines and totals through the services."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Cost, CostCategory, ExchangeRate, OrganisationType, Payer, PayerKind
from app.services import housing, ledger, money, totals
from app.services.errors import Conflict, NotFound, ValidationFailed

from .builders import (add_rate, d, make_deployment, make_payer, make_person, make_place,
                       make_volunteer)


@pytest.fixture
def world(app_ctx):
    deployment = make_deployment(slug="ledger", spots={"NC": 5, "PA": 5})
    return {"deployment": deployment, "campaign": make_payer(deployment),
            "party": make_payer(deployment, "Northbridge Labour Party",
                                PayerKind.FOREIGN_PARTY, "GB"),
            "self": make_payer(deployment, "Self", PayerKind.SELF, None)}


def _cost(world, volunteer, amount="10.00", currency="USD", on=d(21), payer="campaign",
          category=CostCategory.TRAVEL, **details):
    return ledger.record_cost(db.session, deployment=world["deployment"], volunteer=volunteer,
                              category=category, amount=amount, currency=currency,
                              incurred_on=on, payer=world[payer], actor=None, **details)


@pytest.mark.parametrize(("raw", "expected"), [
    ("129.50", Decimal("129.50")), ("1,200", Decimal("1200.00")), (" 7 ", Decimal("7.00")),
    (Decimal("0"), Decimal("0.00")), ("0.10", Decimal("0.10")),
])
def test_amounts_are_exact_decimals(raw, expected):
    value = money.parse_amount(raw)
    assert value == expected and isinstance(value, Decimal)


@pytest.mark.parametrize(("raw", "message"), [
    ("-1.00", "cannot be negative"), ("abc", "not an amount"), ("", "Enter an amount"),
    ("NaN", "not an amount"), ("Infinity", "not an amount"), ("1.005", "to the cent"),
    (12.5, "never floating point"), ("99999999999", "larger than any single cost"),
])
def test_bad_amounts_are_refused_with_a_reason(raw, message):
    with pytest.raises(ValidationFailed, match=message):
        money.parse_amount(raw)


def test_a_non_usd_line_takes_the_latest_rate_on_or_before_its_date(world):
    volunteer = make_volunteer()
    add_rate("GBP", d(1), "1.20")
    add_rate("GBP", d(15), "1.30")
    add_rate("GBP", d(30), "1.50")
    on_the_day = _cost(world, volunteer, "100.00", "GBP", on=d(15))
    between = _cost(world, volunteer, "100.00", "gbp", on=d(29))
    assert (on_the_day.amount, on_the_day.currency, on_the_day.amount_usd,
            on_the_day.usd_per_unit) == (Decimal("100.00"), "GBP", Decimal("130.00"),
                                         Decimal("1.30000000"))
    assert between.amount_usd == Decimal("130.00")
    assert between.exchange_rate_id == db.session.scalar(
        select(ExchangeRate.id).where(ExchangeRate.rate_on == d(15)))


def test_a_missing_rate_is_an_error_never_a_guess(world):
    volunteer = make_volunteer()
    add_rate("GBP", d(22), "1.30")  # only after the line's date
    add_rate("EUR", d(1), "1.10")   # another currency
    with pytest.raises(ValidationFailed, match="No GBP exchange rate on or before 2024-10-21"):
        _cost(world, volunteer, "100.00", "GBP", on=d(21))
    assert db.session.scalar(select(db.func.count(Cost.id))) == 0


def test_a_usd_value_given_by_hand_wins_but_must_match_for_usd_lines(world):
    volunteer = make_volunteer()
    line = _cost(world, volunteer, "100.00", "JPY", amount_usd="0.67")
    assert (line.amount_usd, line.usd_per_unit, line.exchange_rate_id) == (
        Decimal("0.67"), None, None)
    with pytest.raises(ValidationFailed, match="USD value is the amount itself"):
        _cost(world, volunteer, "100.00", "USD", amount_usd="90.00")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"currency": "XYZ"}, "ISO 4217"), ({"currency": "dollars"}, "ISO 4217"),
    ({"amount": "-5"}, "cannot be negative"), ({"amount": "ten"}, "not an amount"),
    ({"category": "BRIBE"}, "not a cost category"),
    ({"reimbursed_on": d(25)}, "needs the line marked as reimbursed"),
    ({"description": "x" * 501}, "At most 500"),
])
def test_bad_cost_input_is_refused_and_nothing_written(world, kwargs, message):
    volunteer = make_volunteer()
    with pytest.raises(ValidationFailed, match=message):
        _cost(world, volunteer, **kwargs)
    assert db.session.scalar(select(db.func.count(Cost.id))) == 0


def test_a_line_records_payer_arranger_paid_to_and_reimbursement(world):
    volunteer = make_volunteer()
    line = _cost(world, volunteer, "640.00", payer="self", category="TRAVEL",
                 arranged_by_id=world["party"].id, paid_to="Atlantic Air", reimbursed=True,
                 reimbursed_on=d(30), evidence_ref="INV-1", description="Flight")
    assert (line.payer_id, line.arranged_by_id, line.paid_to, line.reimbursed,
            line.reimbursed_on, line.evidence_ref) == (
        world["self"].id, world["party"].id, "Atlantic Air", True, d(30), "INV-1")
    other = make_deployment(slug="other-ledger")
    with pytest.raises(NotFound):
        _cost(world, volunteer, arranged_by_id=make_payer(other, "Outsider").id)


def test_correcting_a_line_converts_again(world):
    volunteer = make_volunteer()
    add_rate("EUR", d(1), "1.10")
    line = _cost(world, volunteer, "100.00")
    ledger.update_cost(db.session, line, actor=None, volunteer=volunteer, category="MEALS",
                       amount="50.00", currency="EUR", incurred_on=d(22), payer=world["party"],
                       paid_to="Diner")
    assert (line.category, line.amount_usd, line.usd_per_unit, line.payer_id, line.paid_to) == (
        CostCategory.MEALS, Decimal("55.00"), Decimal("1.10000000"), world["party"].id, "Diner")
    ledger.delete_cost(db.session, line, actor=None)
    assert db.session.scalar(select(db.func.count(Cost.id))) == 0


def test_payers_have_a_kind_from_the_list_and_a_unique_name(world):
    with pytest.raises(ValidationFailed, match="not a payer kind"):
        ledger.add_payer(db.session, world["deployment"], name="X", kind="MARTIAN", actor=None)
    with pytest.raises(Conflict, match="already in the registry"):
        ledger.add_payer(db.session, world["deployment"], name="Self", kind="SELF", actor=None)
    with pytest.raises(ValidationFailed, match="ISO 3166"):
        ledger.add_payer(db.session, world["deployment"], name="Y", kind="FOREIGN_ENTITY",
                         country="Britain", actor=None)
    with pytest.raises(ValidationFailed, match="only applies to a US organisation"):
        ledger.add_payer(db.session, world["deployment"], name="Z", kind="CAMPAIGN",
                         organisation_type="corporation", actor=None)
    corp = ledger.add_payer(db.session, world["deployment"], name="Keystone Inc.",
                            kind="US_ORGANISATION", country="us", organisation_type="corporation",
                            actor=None)
    assert (corp.kind, corp.country, corp.organisation_type) == (
        PayerKind.US_ORGANISATION, "US", OrganisationType.CORPORATION)
    ledger.update_payer(db.session, corp, name="Keystone Hospitality Inc.", kind="US_ORGANISATION",
                        country="US", organisation_type="labor_union", actor=None)
    assert corp.organisation_type is OrganisationType.LABOR_UNION
    with pytest.raises(Conflict):
        ledger.update_payer(db.session, corp, name="Self", kind="SELF", actor=None)


def test_one_payer_pays_many_lines(world):
    volunteers = [make_volunteer() for _ in range(3)]
    for volunteer in volunteers:
        _cost(world, volunteer, "10.00", payer="party")
    assert db.session.scalar(select(db.func.count(Cost.id))
                             .where(Cost.payer_id == world["party"].id)) == 3


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"currency": "usd"}, ValidationFailed, "need no rate"),
    ({"currency": "ABC"}, ValidationFailed, "ISO 4217"),
    ({"usd_per_unit": "0"}, ValidationFailed, "above zero"),
    ({"usd_per_unit": "-1.2"}, ValidationFailed, "above zero"),
    ({"usd_per_unit": "one"}, ValidationFailed, "not a rate"),
    ({"usd_per_unit": "1.123456789"}, ValidationFailed, "eight decimal places"),
    ({"source": " "}, ValidationFailed, "where the rate comes from"),
    ({"rate_on": d(1)}, Conflict, "already has a rate for 2024-10-01"),
])
def test_bad_exchange_rates_are_refused(world, kwargs, error, message):
    add_rate("GBP", d(1), "1.25")
    args = {"currency": "GBP", "rate_on": d(2), "usd_per_unit": "1.3", "source": "Bank",
            **kwargs}
    with pytest.raises(error, match=message):
        ledger.record_exchange_rate(db.session, actor=None, **args)


def test_totals_per_volunteer_state_payer_kind_and_category_are_exact(world):
    dep = world["deployment"]
    nc, pa = make_person(dep, state="NC"), make_person(dep, state="PA")
    stranger = make_volunteer()  # has costs but no sign-up in the deployment
    add_rate("GBP", d(1), "1.333")
    _cost(world, nc.volunteer, "0.10")
    _cost(world, nc.volunteer, "0.20", category="MEALS")
    _cost(world, pa.volunteer, "100.00", "GBP", payer="party", category="STIPEND")  # 133.30
    _cost(world, pa.volunteer, "0.01", payer="self", category="MEALS")
    _cost(world, stranger, "5.00", payer="self")
    hotel = make_place(dep, world["campaign"], beds=2, cost="33.33")
    housing.assign_stay(db.session, signup=nc, accommodation=hotel, check_in=d(21),
                        check_out=d(24), actor=None)  # 99.99
    assert totals.grand_total(db.session, dep).usd == Decimal("238.60")
    assert {t.label: t.usd for t in totals.by_category(db.session, dep)} == {
        "HOUSING": Decimal("99.99"), "MEALS": Decimal("0.21"), "STIPEND": Decimal("133.30"),
        "TRAVEL": Decimal("5.10")}
    assert {t.label: (t.lines, t.usd) for t in totals.by_payer_kind(db.session, dep)} == {
        "CAMPAIGN": (3, Decimal("100.29")), "FOREIGN_PARTY": (1, Decimal("133.30")),
        "SELF": (2, Decimal("5.01"))}
    assert [(t.label, t.usd) for t in totals.by_payer(db.session, dep)] == [
        ("Northbridge Labour Party", Decimal("133.30")),
        ("Harper for America", Decimal("100.29")), ("Self", Decimal("5.01"))]
    assert {t.label: t.usd for t in totals.by_state(db.session, dep)} == {
        "NC": Decimal("100.29"), "PA": Decimal("133.31"), "—": Decimal("5.00")}
    people = totals.by_volunteer(db.session, dep, per_page=2)
    assert people.total == 3 and people.pages == 2
    assert [(t.usd, t.lines) for t, _email in people.items] == [
        (Decimal("133.31"), 2), (Decimal("100.29"), 3)]
    assert all(isinstance(t.usd, Decimal) for t, _ in people.items)


def test_the_ledger_page_query_filters_and_pages(world):
    volunteer = make_volunteer()
    for day in range(1, 8):
        _cost(world, volunteer, f"{day}.00", on=d(day), payer="party" if day % 2 else "self")
    page = ledger.ledger_page(db.session, world["deployment"], per_page=3)
    assert (page.total, page.pages, page.has_next, page.has_prev) == (7, 3, True, False)
    assert [row[0].incurred_on for row in page.items] == [d(7), d(6), d(5)]
    last = ledger.ledger_page(db.session, world["deployment"], per_page=3, page=99)
    assert last.page == 3 and [row[0].amount for row in last.items] == [Decimal("1.00")]
    party = ledger.ledger_page(db.session, world["deployment"], payer_id=world["party"].id)
    assert party.total == 4 and {row[3] for row in party.items} == {"Northbridge Labour Party"}
    assert ledger.ledger_page(db.session, world["deployment"],
                              category=CostCategory.MEALS).total == 0
    assert db.session.scalar(select(db.func.count(Payer.id))) == 3
