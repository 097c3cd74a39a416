"""The shared vocabularies: money (parse, convert with a preloaded rate table, show) and
enum choices."""
from datetime import date
from decimal import Decimal

import pytest

from app.models import CostCategory, SignupRole
from app.services import choices, money
from app.services.errors import ValidationFailed
from app.services.signups import InvalidRole


def _table():
    return money.RateTable([("GBP", date(2024, 10, 1), Decimal("1.25"), 1),
                            ("GBP", date(2024, 10, 15), Decimal("1.30"), 2),
                            ("EUR", date(2024, 10, 1), Decimal("1.0850"), 3)])


def test_a_line_takes_the_latest_rate_on_or_before_its_date():
    rates = _table()
    assert rates.convert(Decimal("100.00"), "GBP", date(2024, 10, 14)) == \
        money.Converted(Decimal("125.00"), Decimal("1.25"), 1)
    assert rates.convert(Decimal("100.00"), "GBP", date(2024, 10, 15)).usd == Decimal("130.00")
    assert rates.convert(Decimal("100.00"), "GBP", date(2025, 1, 1)).rate_id == 2
    assert rates.convert(Decimal("7.00"), "USD", date(2000, 1, 1)) == money.Converted(
        Decimal("7.00"))


def test_a_missing_rate_is_never_guessed():
    with pytest.raises(money.MissingRate, match="No GBP exchange rate on or before 2024-09-30"):
        _table().convert(Decimal("1.00"), "GBP", date(2024, 9, 30))
    with pytest.raises(money.MissingRate):
        _table().convert(Decimal("1.00"), "JPY", date(2024, 10, 30))


def test_conversion_rounds_half_up_to_the_cent_everywhere():
    # 0.50 × 1.0850 = 0.5425 → 0.54; 1.50 × 1.0850 = 1.6275 → 1.63 (half up, not to even)
    assert money.convert(Decimal("0.50"), Decimal("1.0850")) == Decimal("0.54")
    assert money.convert(Decimal("1.50"), Decimal("1.0850")) == Decimal("1.63")
    assert money.convert(Decimal("0.10"), Decimal("0.25")) == Decimal("0.03")  # 0.025 → 0.03


def test_a_value_given_by_hand_wins_and_usd_must_equal_itself():
    rates = _table()
    assert money.to_usd(rates, Decimal("10.00"), "JPY", date(2024, 1, 1), "0.07").usd == \
        Decimal("0.07")
    with pytest.raises(ValidationFailed, match="the USD value is the amount itself"):
        money.to_usd(rates, Decimal("10.00"), "USD", date(2024, 1, 1), "11.00")


def test_amounts_are_shown_with_thousands_and_cents():
    assert money.format_usd(Decimal("1234567.5")) == "$1,234,567.50"
    assert money.format_usd("-3.2") == "-$3.20"
    assert money.format_amount("1250") == "1,250.00"
    assert money.cents(12) == Decimal("12.00") and money.cents(None) == Decimal("0.00")


def test_choices_take_members_values_and_folded_text():
    assert choices.parse(CostCategory, CostCategory.GIFT, field="c", what="cost category") \
        is CostCategory.GIFT
    assert choices.parse(CostCategory, " travel ", field="c", what="cost category",
                         case="upper") is CostCategory.TRAVEL
    assert choices.parse_optional(CostCategory, "  ", field="c", what="cost category") is None


def test_a_wrong_choice_names_the_field_and_the_allowed_values():
    with pytest.raises(ValidationFailed) as caught:
        choices.parse(CostCategory, "LUXURY", field="category", what="cost category")
    assert caught.value.field == "category"
    assert caught.value.message.startswith("'LUXURY' is not a cost category; use one of HOUSING,")
    with pytest.raises(InvalidRole, match="is not an? role"):
        choices.parse(SignupRole, "emperor", field="role", what="role", error=InvalidRole)
