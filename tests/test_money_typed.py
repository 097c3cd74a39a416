"""Money typed by people (issue 13): one rule for forms and imports — a decimal point,
thousands in groups of three allowed, a decimal comma refused with a clear message, never
guessed. "12,50" was stored as 1,250.00."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Cost, ExchangeRate, Role
from app.services import costs_import, deployments, money
from app.services.csv_import import ImportRejected
from app.services.errors import ValidationFailed

from .builders import add_rate, d, small_world
from .conftest import count_rows, csrf_token


@pytest.mark.parametrize(("typed", "value"), [
    ("12.50", "12.50"), ("1,250.00", "1250.00"), ("1,250", "1250.00"), ("12,345,678.9", None),
    ("1250", "1250.00"), (" 99.5 ", "99.50"), (".50", "0.50"), ("1\u00a0250.00", "1250.00"),
    ("0", "0.00")])
def test_amounts_with_a_point_and_thousands_in_threes_are_read(typed, value):
    if value is None:  # above the largest amount a line may hold: refused for that reason
        with pytest.raises(ValidationFailed, match="larger than any single cost"):
            money.parse_amount(typed)
        return
    assert money.parse_amount(typed) == Decimal(value)


@pytest.mark.parametrize(("typed", "message"), [
    ("12,50", "'12,50' uses a decimal comma: write it with a point (12.50)"),
    ("1.250,00", "'1.250,00' uses a decimal comma: write it with a point (1250.00)"),
    ("12,5", "uses a decimal comma"),
    ("1,25,000.00", "has a comma that does not group thousands"),
    ("12,5000", "'12,5000' uses a decimal comma: write it with a point (12.5000)"),
    ("1,250.00.00", "has a comma that does not group thousands"),
    ("12.50 EUR", "'12.50 EUR' is not an amount (e.g. 129.50)"),
    ("-5", "An amount cannot be negative."),
    ("", "Enter an amount")])
def test_a_decimal_comma_or_a_misplaced_comma_is_refused_never_guessed(typed, message):
    with pytest.raises(ValidationFailed) as refused:
        money.parse_amount(typed)
    assert message in refused.value.message


def test_rates_follow_the_same_rule():
    assert money.parse_rate("1.2745") == Decimal("1.27450000")
    for typed in ("1,2745", "1.274,5"):
        with pytest.raises(ValidationFailed, match="decimal comma"):
            money.parse_rate(typed)


def _world(app):
    with app.app_context():
        ids = small_world("mt")
        add_rate("GBP", d(1), "1.25")
        db.session.commit()
        return ids


def _cost_form(ids, amount):
    return {"volunteer_email": ids["emails"][0], "category": "MEALS", "description": "Lunch",
            "amount": amount, "currency": "GBP", "incurred_on": "2024-10-18",
            "payer_id": str(ids["self_id"]), "arranged_by_id": "", "paid_to": "Cafe",
            "evidence_ref": "", "save_anyway": "y"}


def test_the_cost_form_refuses_12_50_and_1_250_00_and_accepts_1_250_00(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    path = f"/organiser/deployments/{ids['slug']}/ledger/costs/new"
    for typed, message in (("12,50", "uses a decimal comma"),
                           ("1.250,00", "uses a decimal comma")):
        response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                           **_cost_form(ids, typed)})
        assert response.status_code == 422, typed
        assert message in response.get_data(as_text=True)
    assert count_rows(app, Cost) == 0
    saved = client.post(path, data={"csrf_token": csrf_token(client, path),
                                     **_cost_form(ids, "1,250.00")})
    assert saved.status_code == 302, saved.get_data(as_text=True)[-2000:]
    with app.app_context():
        line = db.session.scalar(select(Cost))
        assert (line.amount, line.amount_usd) == (Decimal("1250.00"), Decimal("1562.50"))


def test_the_rate_form_refuses_a_decimal_comma(app, client, login_as):
    ids = _world(app)
    login_as(Role.ORGANISER)
    path = f"/organiser/deployments/{ids['slug']}/ledger/rates"
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "currency": "EUR",
                                       "rate_on": "2024-10-01", "usd_per_unit": "1,0788",
                                       "source": "ECB"})
    assert response.status_code == 422
    assert "uses a decimal comma" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ExchangeRate).where(
            ExchangeRate.currency == "EUR")) is None


def test_an_import_lists_each_decimal_comma_by_line_and_writes_nothing(app):
    ids = _world(app)
    a = ids["emails"][0]
    header = ",".join(costs_import.COLUMNS)
    rows = [f'{a},MEALS,Lunch,"12,50",GBP,2024-10-18,Self,,,,,,',
            f'{a},MEALS,Dinner,"1.250,00",GBP,2024-10-18,Self,,,,,,',
            f'{a},MEALS,Banquet,"1,250.00",GBP,2024-10-18,Self,,,,,,']
    data = ("\n".join([header, *rows]) + "\n").encode()
    with app.app_context():
        with pytest.raises(ImportRejected) as rejected:
            costs_import.import_costs(db.session, deployments.get_deployment(db.session, "mt"),
                                      data, actor=None, filename="costs.csv")
        db.session.rollback()
        problems = [(p.line, p.reason) for p in rejected.value.errors]
        assert [line for line, _ in problems] == [2, 3]
        assert "'12,50' uses a decimal comma" in problems[0][1]
        assert "'1.250,00' uses a decimal comma" in problems[1][1]
    assert count_rows(app, Cost) == 0
    with app.app_context():
        result = costs_import.import_costs(
            db.session, deployments.get_deployment(db.session, "mt"),
            ("\n".join([header, rows[2]]) + "\n").encode(), actor=None, filename="ok.csv")
        db.session.commit()
        assert result.written == 1
        assert db.session.scalar(select(Cost.amount)) == Decimal("1250.00")


def test_amounts_are_shown_with_their_symbol_and_code():
    assert money.format_money("640", "GBP") == "£640.00 GBP"
    assert money.format_money("1250.5", "eur") == "€1,250.50 EUR"
    assert money.format_money("3000", "JPY") == "¥3,000.00 JPY"
    assert money.format_money("12", "SEK") == "12.00 SEK"  # no common symbol: the code says it
